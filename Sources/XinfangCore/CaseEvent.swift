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

    /// The canonical bytes the hash covers.
    public func canonicalBytes() -> Data {
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

    /// SHA-256 of the canonical bytes, lower-case hex.
    public func computedHash() -> String {
        canonicalBytes().sha256Hex
    }
}

extension Data {
    /// SHA-256 of the bytes, lower-case hex.
    public var sha256Hex: String { Data(SHA256.hash(data: self)).hexString }

    /// The bytes in lower-case hex.
    public var hexString: String {
        map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}

/// The one JSON form used for hashing and storage: sorted keys, dates as integer milliseconds.
public enum CanonicalJSON {
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(Int64((date.timeIntervalSince1970 * 1000).rounded()))
        }
        return encoder
    }

    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let c = try decoder.singleValueContainer()
            return Date(timeIntervalSince1970: Double(try c.decode(Int64.self)) / 1000)
        }
        return decoder
    }
}
