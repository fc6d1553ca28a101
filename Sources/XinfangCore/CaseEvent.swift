import Crypto
public import Foundation

/// What one event of a chain records: the registration that opens a case, or an action applied to it.
public enum CaseEventBody: Equatable, Sendable {
    case register(CaseRegistration)
    case act(CaseAction)
    /// The holder refused a command (the event carries it); the case is otherwise unchanged.
    case refuse(code: String, detail: String)

    /// The name shown in the chain (`register`, `notify`, `commandRefused`, …).
    public var kind: String {
        switch self {
        case .register: "register"
        case .act(let action): action.name.rawValue
        case .refuse: Self.refusedKind
        }
    }

    /// The stored kind of a refused command's event.
    public static let refusedKind = "commandRefused"

    /// The longest refusal code and detail a `commandRefused` event may carry.
    public static let refusalCodeLengthMax = 64
    public static let refusalDetailLengthMax = 4_000

    /// The body in the form a chain stores, or the bound it breaks: an action in its validated
    /// form, a registration within `CaseRegistration.checkBounds()`. Every event a node makes
    /// passes here, and every event a node receives is checked by it (`boundsFailure`).
    public func bounded() throws(ValidationFailure) -> CaseEventBody {
        switch self {
        case .register(let registration):
            try registration.checkBounds()
            return self
        case .act(let action):
            return .act(try action.validated())
        case .refuse(let code, let detail):
            try Check.bounded(code, field: "code", max: Self.refusalCodeLengthMax)
            guard !detail.isEmpty, detail.count <= Self.refusalDetailLengthMax else { throw .tooLong("detail", max: Self.refusalDetailLengthMax) }
            return self
        }
    }

    /// The bound a received body breaks, or nil: the received form must already be the stored one.
    public var boundsFailure: ValidationFailure? {
        do {
            let stored = try bounded()
            return stored == self ? nil : .invalid("body", "事件内容不是规范形式。")
        } catch {
            return error
        }
    }

    /// Chinese label of the kind.
    public var label: String {
        switch self {
        case .register: "登记"
        case .act(let action): action.name.label
        case .refuse: "拒绝执行指令"
        }
    }
}

extension CaseEventBody: Codable {
    enum CodingKeys: String, CodingKey { case action, registration, code, detail }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try c.decode(String.self, forKey: .action)
        if kind == "register" {
            self = .register(try c.decode(CaseRegistration.self, forKey: .registration))
        } else if kind == "commandRefused" {
            self = .refuse(code: try c.decode(String.self, forKey: .code), detail: try c.decode(String.self, forKey: .detail))
        } else {
            let fields = try ActionFields(from: decoder)
            do {
                self = .act(try CaseAction(fields: fields))
            } catch {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
            }
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .register(let registration):
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode("register", forKey: .action)
            try c.encode(registration, forKey: .registration)
        case .act(let action):
            try action.fields.encode(to: encoder)
        case .refuse(let code, let detail):
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode("commandRefused", forKey: .action)
            try c.encode(code, forKey: .code)
            try c.encode(detail, forKey: .detail)
        }
    }
}

/// One immutable fact in a case's chain.
///
/// Identified by (case, epoch, seq) and its `hash`, a SHA-256 over the canonical JSON of every
/// field but the hash and the signature. Each event names its predecessor's hash, so a replica
/// can check that it holds the same history, and any change to a stored event is detected.
public struct CaseEvent: Codable, Equatable, Sendable {
    public var caseNumber: CaseNumber
    /// Raised by a forced takeover; fences writers (DESIGN §3).
    public var epoch: Int
    /// 1 for the registration, then one more per event.
    public var seq: Int
    /// The predecessor's hash; nil for the first event.
    public var prevHash: String?
    /// The node that appended the event.
    public var origin: NodeID
    public var time: HLCTimestamp
    /// The person who acted (a registrar, handler or approver), as the node's user names them.
    public var actor: String
    public var body: CaseEventBody
    public var hash: String
    /// The command this event applies, with its origin's signature, when a non-holder asked for it.
    public var command: CaseCommand?
    /// The origin node's Ed25519 signature over the hash (base64).
    public var signature: String?
    /// The `format` field as written: nil for format 1, which predates it (`DataFormats`).
    public var formatField: Int?

    /// The event's format (`DataFormats`): its hash covers the field from format 2 on.
    public var format: Int { formatField ?? 1 }

    enum CodingKeys: String, CodingKey {
        case caseNumber, epoch, seq, prevHash, origin, time, actor, body, hash, command, signature
        case formatField = "format"
    }

    /// Builds the event and computes its hash.
    public init(
        caseNumber: CaseNumber,
        epoch: Int,
        seq: Int,
        prevHash: String?,
        origin: NodeID,
        time: HLCTimestamp,
        actor: String,
        body: CaseEventBody,
        command: CaseCommand? = nil,
        format: Int = 1
    ) {
        self.formatField = DataFormats.field(format)
        self.caseNumber = caseNumber
        self.epoch = epoch
        self.seq = seq
        self.prevHash = prevHash
        self.origin = origin
        self.time = time
        self.actor = actor
        self.body = body
        self.command = command
        self.hash = ""
        self.signature = nil
        self.hash = computedHash()
    }

    /// The wall-clock time of the event.
    public var date: Date { Date(timeIntervalSince1970: Double(time.wallMs) / 1000) }

    /// The bytes the hash covers, by the encoder: every field but the hash and the signature.
    /// The definition that `Encoded.hashedBytes` splices by hand; tests hold them equal.
    struct Hashed: Encodable {
        var caseNumber: CaseNumber
        var epoch: Int
        var seq: Int
        var prevHash: String?
        var origin: NodeID
        var time: HLCTimestamp
        var actor: String
        var body: CaseEventBody
        var command: CaseCommand?
        var format: Int?
    }

    /// The canonical bytes the hash covers, made by the encoder from `Hashed`.
    func canonicalBytesByEncoder() -> Data {
        let hashed = Hashed(
            caseNumber: caseNumber,
            epoch: epoch,
            seq: seq,
            prevHash: prevHash,
            origin: origin,
            time: time,
            actor: actor,
            body: body,
            command: command,
            format: formatField
        )
        // Encoding a value made of strings, integers and booleans cannot fail.
        return try! CanonicalJSON.encoder.encode(hashed)
    }

    /// The canonical bytes the hash covers.
    public func canonicalBytes() -> Data {
        Data(encoded().hashedBytes())
    }

    /// SHA-256 of the canonical bytes, lower-case hex.
    public func computedHash() -> String {
        encoded().computedHash()
    }

    /// The event with its body and command encoded (once). A registration's body and an action's
    /// are written by hand (`CaseRegistration.bodyJSON`, `ActionFields.bodyJSON`; debug builds
    /// assert the encoder's bytes).
    public func encoded() -> Encoded {
        // Encoding a value made of strings, integers and booleans cannot fail.
        func byEncoder(_ value: some Encodable) -> String { String(decoding: try! CanonicalJSON.encoder.encode(value), as: UTF8.self) }
        let bodyJSON: String
        switch body {
        case .register(let registration):
            bodyJSON = registration.bodyJSON()
            assert(bodyJSON == byEncoder(body), "a registration's JSON written by hand differs from the encoder's")
        case .act(let action):
            bodyJSON = action.fields.bodyJSON()
            assert(bodyJSON == byEncoder(body), "an action's JSON written by hand differs from the encoder's")
        case .refuse:
            bodyJSON = byEncoder(body)
        }
        return Encoded(event: self, body: bodyJSON, command: command.map(byEncoder))
    }

    /// The event with its body and command encoded, once its hash is found to match its content.
    public func checked() throws(ChainError) -> Checked {
        try encoded().checked()
    }

    /// The writing of an event's canonical JSON around its body and command already encoded: the
    /// keys of `CodingKeys` in the encoder's sorted order, nil optionals left out. Without `hash`
    /// and `signature` these are the bytes the hash covers (`Hashed`); with them, the event's
    /// whole canonical form, which a packet carries (`StoredEventJSON`).
    public static func writeCanonical(
        into out: inout CanonicalJSONWriter,
        actor: String,
        body: String,
        caseNumber: String,
        command: String?,
        epoch: Int,
        format: Int?,
        hash: String?,
        origin: String,
        prevHash: String?,
        seq: Int,
        signature: String?,
        time: HLCTimestamp
    ) {
        out.openObject()
        out.string("actor", actor)
        out.json("body", body)
        out.string("caseNumber", caseNumber)
        out.json("command", command)
        out.number("epoch", epoch)
        out.number("format", format)
        out.string("hash", hash)
        out.string("origin", origin)
        out.string("prevHash", prevHash)
        out.number("seq", seq)
        out.string("signature", signature)
        out.key("time")
        out.openObject()
        out.number("logical", time.logical)
        out.number("wallMs", time.wallMs)
        out.closeObject()
        out.closeObject()
    }

    /// An event with its body and command in canonical JSON, each encoded once: the bytes its hash
    /// covers are spliced around them (`hashedBytes`), and its stored row keeps them as they are.
    public struct Encoded: Sendable {
        public let event: CaseEvent
        /// The body's canonical JSON.
        public let body: String
        /// The command's canonical JSON, when the event carries one.
        public let command: String?

        /// The canonical bytes the hash covers (equal to the encoder's of `Hashed`).
        public func hashedBytes() -> [UInt8] {
            var out = CanonicalJSONWriter(capacity: 256 + body.utf8.count + (command?.utf8.count ?? 0))
            CaseEvent.writeCanonical(
                into: &out,
                actor: event.actor,
                body: body,
                caseNumber: event.caseNumber.rawValue,
                command: command,
                epoch: event.epoch,
                format: event.formatField,
                hash: nil,
                origin: event.origin.rawValue,
                prevHash: event.prevHash,
                seq: event.seq,
                signature: nil,
                time: event.time
            )
            return out.bytes
        }

        /// SHA-256 of the canonical bytes, lower-case hex.
        public func computedHash() -> String {
            SHA256.hash(data: hashedBytes()).hexString
        }

        /// The registration's canonical JSON inside a register event's body (`{"action":"register",
        /// "registration":…}`, keys sorted), as the encoder wrote it; nil for other events.
        public var registrationJSON: Substring.UTF8View? {
            guard case .register = event.body, body.utf8.starts(with: Self.registerPrefix), body.utf8.last == UInt8(ascii: "}") else { return nil }
            return body.utf8.dropFirst(Self.registerPrefix.count).dropLast()
        }

        private static let registerPrefix = Array(#"{"action":"register","registration":"#.utf8)

        /// The event as checked: its hash matches its content.
        public func checked() throws(ChainError) -> Checked {
            guard computedHash() == event.hash else {
                throw ChainError(caseNumber: event.caseNumber, seq: event.seq, reason: "hash does not match the event's content")
            }
            return Checked(encoded: self)
        }
    }

    /// An event whose hash was found to match its content (made only by `checked()`), with its
    /// body and command encoded: what a chain's fold takes, so each event is hashed once and its
    /// body encoded once on its way to the store.
    public struct Checked: Sendable {
        public let encoded: Encoded
        public var event: CaseEvent { encoded.event }

        fileprivate init(encoded: Encoded) {
            self.encoded = encoded
        }
    }
}

extension Sequence<UInt8> {
    /// The bytes in lower-case hex.
    public var hexString: String {
        var out: [UInt8] = []
        out.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            out.append(CanonicalJSONWriter.hexDigits[Int(byte >> 4)])
            out.append(CanonicalJSONWriter.hexDigits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension Data {
    /// SHA-256 of the bytes, lower-case hex.
    public var sha256Hex: String { SHA256.hash(data: self).hexString }
}

/// The one JSON form used for hashing and storage: sorted keys, dates as integer milliseconds.
///
/// One encoder and one decoder for the process, configured once and never changed: Foundation's
/// are safe to share between threads (each call works on state of its own), and a new one a call
/// cost an allocation and a date closure every event.
public enum CanonicalJSON {
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(milliseconds(date))
        }
        return encoder
    }()

    /// A date as the canonical form writes it: whole milliseconds since 1970, rounded.
    public static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }

    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let c = try decoder.singleValueContainer()
            return Date(timeIntervalSince1970: Double(try c.decode(Int64.self)) / 1000)
        }
        return decoder
    }()
}
