public import Foundation
public import XinfangCore

/// One HTTP body from a node to an adjacent node: runs of case events and commands.
///
/// Serialised as canonical JSON; the sender signs the exact body bytes with its node key and sends
/// the signature in `X-Xinfang-Signature`, its id in `X-Xinfang-From`.
public struct Packet: Codable, Sendable, Equatable {
    /// The peer protocol version this build writes (`PeerProtocol.build`).
    public static var currentVersion: Int { PeerProtocol.build.current }

    public var version: Int
    public var from: NodeID
    public var to: NodeID
    /// The link session the receiver opened when this node greeted it (`LinkSession`); nil in
    /// a greeting, which opens one.
    public var session: String?
    /// The packet's number in its session, from 1 (0 in a greeting): the receiver refuses a
    /// number it has seen.
    public var packetSeq: Int
    public var sentAt: Date
    public var chains: [[CaseEvent]]
    public var commands: [CaseCommand]
    /// An anti-entropy round (child to parent only).
    public var digest: DigestRequest?
    /// The sender's open node-local flags and its subtree's (child to parent only).
    public var flags: [Flag]?

    public init(
        from: NodeID,
        to: NodeID,
        number: PacketNumber,
        sentAt: Date,
        chains: [[CaseEvent]],
        commands: [CaseCommand],
        digest: DigestRequest? = nil,
        flags: [Flag]? = nil,
        version: Int = Packet.currentVersion
    ) {
        self.version = version
        self.from = from
        self.to = to
        self.session = number.session
        self.packetSeq = number.number
        self.sentAt = sentAt
        self.chains = chains
        self.commands = commands
        self.digest = digest
        self.flags = flags
    }

    /// A greeting: no session, no items. The receiver answers with a new session. It goes in the
    /// oldest version the sender speaks, which a neighbour one release behind reads too.
    public static func greeting(from: NodeID, to: NodeID, sentAt: Date, version: Int = PeerProtocol.build.greetingVersion) -> Packet {
        var packet = Packet(
            from: from,
            to: to,
            number: PacketNumber(session: "", number: 0),
            sentAt: sentAt,
            chains: [],
            commands: [],
            version: version
        )
        packet.session = nil
        return packet
    }

    /// Whether the packet is a greeting.
    public var isGreeting: Bool { session == nil }

    /// Its session and number; nil for a greeting.
    public var number: PacketNumber? { session.map { PacketNumber(session: $0, number: packetSeq) } }

    /// The canonical body bytes.
    public func encoded() -> Data {
        // Encoding events, commands, strings, integers and dates cannot fail.
        try! CanonicalJSON.encoder.encode(self)
    }

    /// The canonical body bytes of this packet with `wireChains` as its chains: each event already
    /// in its canonical JSON (`OutboxBatch.runs`, copied from the store), so the sender does not
    /// decode the events and encode them again. The same bytes as `encoded()` of the packet with
    /// the decoded events (`PacketTests`). `chains` must be empty: its place takes the events.
    public func encoded(wireChains: [[Data]]) -> Data {
        precondition(chains.isEmpty, "a packet's chains are given once")
        let rest = encoded()
        // `chains` sorts first of the packet's keys, so its body opens with the empty list.
        let opening = Data(#"{"chains":[]"#.utf8)
        precondition(rest.starts(with: opening), "a packet's canonical JSON opens with its chains")
        var body = Data(#"{"chains":["#.utf8)
        body.reserveCapacity(rest.count + wireChains.reduce(0) { $0 + $1.reduce(2) { $0 + $1.count + 1 } })
        for (index, chain) in wireChains.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            body.append(UInt8(ascii: "["))
            for (position, event) in chain.enumerated() {
                if position > 0 { body.append(UInt8(ascii: ",")) }
                body.append(event)
            }
            body.append(UInt8(ascii: "]"))
        }
        body.append(UInt8(ascii: "]"))
        body.append(rest[rest.index(rest.startIndex, offsetBy: opening.count)...])
        return body
    }
}

/// A packet read from its canonical JSON by hand (`CanonicalJSONReader`): its events, nearly all
/// of its bytes, by their own readers; its commands, digest round and flags (rare) by the decoder
/// from their own bytes. Nil when the reader does not take the body: decode it then.
extension Packet: CanonicalJSONReadable {
    public static func readCanonical(_ body: Data) -> Packet? {
        CanonicalJSONReader.read(body) { reader throws(CanonicalJSONReader.Unreadable) in try Packet(reading: &reader) }
    }

    public init(reading r: inout CanonicalJSONReader) throws(CanonicalJSONReader.Unreadable) {
        var o = try r.openObject()
        try r.required("chains", &o)
        chains = try r.array { r throws(CanonicalJSONReader.Unreadable) in
            try r.array { r throws(CanonicalJSONReader.Unreadable) in try CaseEvent(reading: &r) }
        }
        try r.required("commands", &o)
        commands = try r.emptyArray() ? [] : r.decoded([CaseCommand].self)
        digest = try r.key("digest", &o) ? r.decoded(DigestRequest.self) : nil
        flags = try r.key("flags", &o) ? r.decoded([Flag].self) : nil
        try r.required("from", &o)
        from = try r.raw(NodeID.self)
        try r.required("packetSeq", &o)
        packetSeq = try r.int()
        try r.required("sentAt", &o)
        sentAt = try r.date()
        session = try r.key("session", &o) ? r.string() : nil
        try r.required("to", &o)
        to = try r.raw(NodeID.self)
        try r.required("version", &o)
        version = try r.int()
        try r.closeObject(o)
    }
}

/// The receiver's answer to a packet: one receipt per item.
public struct PacketResponse: Codable, Sendable, Equatable {
    public var receipts: [ItemReceipt]
    /// The answer to an anti-entropy round.
    public var digest: DigestReply?
    /// The answer to a greeting: the session the sender is to number its packets in.
    public var session: String?
    /// The answer to a greeting: the newest version the receiver speaks (from version 3; a
    /// receiver one release behind says nothing, and is sent version 2).
    public var version: Int?
    public init(receipts: [ItemReceipt], digest: DigestReply? = nil, session: String? = nil, version: Int? = nil) {
        self.receipts = receipts
        self.digest = digest
        self.session = session
        self.version = version
    }
}

/// The answer's canonical JSON written and read by hand (its receipts, one a case; a digest
/// reply, rare, by the encoder and decoder), the same bytes and values as theirs
/// (`ReceiptJSONTests`).
extension PacketResponse: CanonicalJSONReadable {
    /// The canonical body bytes.
    public func encoded() -> Data {
        var out = CanonicalJSONWriter(capacity: 64 + receipts.count * 96)
        out.openObject()
        // Encoding a digest reply (strings and integers) cannot fail.
        if let digest { out.json("digest", try! CanonicalJSON.encoder.encode(digest)) }
        out.objects("receipts", receipts)
        out.string("session", session)
        out.number("version", version)
        out.closeObject()
        let data = Data(out.bytes)
        assert(data == (try? CanonicalJSON.encoder.encode(self)), "an answer written by hand differs from the encoder's")
        return data
    }

    /// The answer in `data`: read by hand when in the canonical form, else by the decoder.
    public static func decodeCanonical(_ data: Data) throws -> PacketResponse {
        try CanonicalJSONReader.decode(PacketResponse.self, from: data)
    }

    public init(reading r: inout CanonicalJSONReader) throws(CanonicalJSONReader.Unreadable) {
        var o = try r.openObject()
        digest = try r.key("digest", &o) ? r.decoded(DigestReply.self) : nil
        try r.required("receipts", &o)
        receipts = try r.array { r throws(CanonicalJSONReader.Unreadable) in try ItemReceipt(reading: &r) }
        session = try r.key("session", &o) ? r.string() : nil
        version = try r.key("version", &o) ? r.int() : nil
        try r.closeObject(o)
    }
}

/// Which versions of the peer protocol a build speaks, so a hierarchy is upgraded node by node:
/// every node accepts its own version and the one before, greets in the older of the two, and
/// writes to each neighbour the newest version that neighbour said it speaks. A packet in any
/// other version is refused as `unsupported-version`, naming both; the sender greets again, and
/// the waiting items back off and never die of it.
public struct PeerProtocol: Sendable, Equatable {
    /// The version this build writes to a neighbour that speaks it.
    public var current: Int
    /// The versions it takes.
    public var accepted: ClosedRange<Int>
    /// Whether its answer to a greeting says its version.
    public var statesVersion: Bool
    /// The event and command formats it reads in a packet (`FormatReader`).
    public var reads: FormatReader

    public init(current: Int, accepted: ClosedRange<Int>, statesVersion: Bool, reads: FormatReader = .build) {
        self.current = current
        self.accepted = accepted
        self.statesVersion = statesVersion
        self.reads = reads
    }

    /// This build, version 3: version 2 with the receiver's version in the answer to a greeting;
    /// events and commands of formats 1 and 2.
    public static let build = PeerProtocol(current: 3, accepted: 2...3, statesVersion: true, reads: .build)
    /// The release before, version 2: it wrote and took version 2 only and said nothing of it, and
    /// knew events and commands of format 1 only. The simulator runs nodes of it beside this build's.
    public static let previousRelease = PeerProtocol(current: 2, accepted: 2...2, statesVersion: false, reads: .previousRelease)

    /// A greeting's version: the oldest this build takes.
    public var greetingVersion: Int { accepted.lowerBound }

    /// The version of a packet to a neighbour that said it speaks `stated` (nil: it said nothing).
    public func version(forPeerStating stated: Int?) -> Int {
        max(accepted.lowerBound, min(current, stated ?? accepted.lowerBound))
    }

    /// The refusal of a packet in `version` (nil: it named none), naming both sides' versions.
    public func refusal(of version: Int?) -> String? {
        if let version, accepted.contains(version) { return nil }
        let range = accepted.count == 1 ? "\(accepted.lowerBound)" : "\(accepted.lowerBound)–\(accepted.upperBound)"
        return "this node takes peer protocol versions \(range) (it writes \(current)); the packet is version \(version.map(String.init) ?? "none"): "
            + (version.map { $0 < accepted.lowerBound } ?? true ? "upgrade the sender" : "upgrade this node")
    }
}

/// The header names of the peer protocol.
public enum PeerHeaders {
    public static let from = "X-Xinfang-From"
    public static let signature = "X-Xinfang-Signature"
}

/// The limits of the peer protocol.
public enum PeerLimits {
    /// The largest packet body a node accepts.
    public static let packetBytesMax = DeliveryPolicy.packetBytesMax
    /// How far a packet's `sentAt` may be from the receiver's clock.
    public static let clockSkewMaxSeconds: Double = 15 * 60
    /// Time-out of one packet delivery.
    public static let requestTimeoutSeconds: Double = 10
    /// Items in one packet.
    public static let itemsMax = DeliveryPolicy.itemsPerPacketMax * 2
}

/// The ranges a received event's or command's numbers must lie in. A peer is authenticated but not
/// trusted: numbers outside them (a sequence number of `Int.max`, a negative epoch) would make the
/// arithmetic on them overflow, and are refused with the packet. The bounds of what an event says
/// (counts, lengths, days, dates) are Core's (`CaseEventBody.boundsFailure`); the store refuses
/// the run that breaks one (`out-of-bounds`), item by item.
public enum ReceivedBounds {
    public static let seqMax = 10_000_000
    public static let epochMax = 1_000_000
    public static let logicalMax: Int32 = 1_000_000_000
    /// 2200-01-01 in milliseconds since 1970.
    public static let wallMsMax: Int64 = 7_258_118_400_000

    /// What is wrong with the packet's numbers, or nil.
    public static func problem(in packet: Packet) -> String? {
        for event in packet.chains.joined() {
            guard (1...seqMax).contains(event.seq), (0...epochMax).contains(event.epoch), (0...logicalMax).contains(event.time.logical),
                (0...wallMsMax).contains(event.time.wallMs)
            else { return "an event of \(event.caseNumber) has its seq, epoch or time out of range" }
        }
        for command in packet.commands where !(0...CaseCommand.hopsMax).contains(command.hops) {
            return "command \(command.id) has \(command.hops) hops"
        }
        return nil
    }
}
