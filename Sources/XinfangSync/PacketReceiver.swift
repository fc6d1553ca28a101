public import Foundation
import Metrics
public import XinfangCore
public import XinfangStore

/// Why a whole packet is refused: an HTTP status, a stable code and a reason.
public struct PacketRefusal: Error, Equatable, Sendable {
    public var status: Int
    public var code: String
    public var detail: String

    public init(status: Int, code: String, detail: String) {
        self.status = status
        self.code = code
        self.detail = detail
    }
}

/// Takes packets from adjacent nodes: authenticates the hop, refuses what is not for it, and
/// hands each item to the store (which answers per item, so one bad item does not sink the rest).
///
/// Checks, in order: the sender is a node of the topology and adjacent to this one; the body's
/// signature verifies against its key; the body parses; the version is spoken here; the packet is
/// addressed from the sender to this node; every event and command is of a format read here; its
/// time is within the skew limit; its session is open here and its number new (`LinkSession`),
/// unless it is a greeting, which opens a session. Every refusal is counted by sender and code.
public struct PacketReceiver: Sendable {
    public let database: NodeDatabase
    public let clock: any NodeClock
    /// The versions this node takes and states (`PeerProtocol.build`; the simulator runs nodes of
    /// the release before).
    public let speaks: PeerProtocol

    public init(database: NodeDatabase, clock: any NodeClock, speaks: PeerProtocol = .build) {
        self.database = database
        self.clock = clock
        self.speaks = speaks
    }

    public func receive(body: Data, from header: String?, signature: String?) async throws -> PacketResponse {
        let now = clock.now()
        let started = DispatchTime.now()
        do {
            let response = try await check(body: body, from: header, signature: signature, now: now)
            let peer = database.hierarchy?.topology.node(NodeID(header ?? ""))?.id.rawValue ?? NodeDatabase.unknownSender
            Counter(label: "xinfang_packets_received_total", dimensions: [("peer", peer), ("result", "taken")]).increment()
            Metrics.Timer(label: "xinfang_packet_apply_seconds").recordInterval(since: started)
            return response
        } catch let refusal as PacketRefusal {
            try await database.countRefusal(peer: header ?? "unknown", code: refusal.code, detail: refusal.detail, now: now)
            throw refusal
        }
    }

    func check(body: Data, from header: String?, signature: String?, now: Date) async throws -> PacketResponse {
        guard let hierarchy = database.hierarchy else {
            throw PacketRefusal(status: 503, code: "no-hierarchy", detail: "this node runs without a topology")
        }
        let me = database.node
        let sender = try Self.sender(of: body, from: header, signature: signature, at: me, topology: hierarchy.topology)
        let packet = try decodePacket(body)
        guard packet.from == sender.id, packet.to == me else {
            throw PacketRefusal(
                status: 400,
                code: "misaddressed",
                detail: "the packet is from \(packet.from) to \(packet.to), received by \(me) from \(sender.id)"
            )
        }
        if let problem = ReceivedBounds.problem(in: packet) {
            throw PacketRefusal(status: 400, code: "malformed-packet", detail: problem)
        }
        // An event or command this release cannot read sinks the packet like its version would:
        // the sender backs off and sends it again once this node is upgraded.
        if let refusal = speaks.reads.refusal(chains: packet.chains, commands: packet.commands) {
            throw PacketRefusal(status: 400, code: DeliveryFailure.unsupportedVersion, detail: refusal)
        }
        guard packet.chains.count + packet.commands.count <= PeerLimits.itemsMax else {
            throw PacketRefusal(status: 413, code: "too-many-items", detail: "at most \(PeerLimits.itemsMax) items in a packet")
        }
        guard abs(packet.sentAt.timeIntervalSince(now)) <= PeerLimits.clockSkewMaxSeconds else {
            throw PacketRefusal(status: 409, code: "stale-packet", detail: "the packet was sent at \(packet.sentAt), too far from this node's clock")
        }
        guard let number = packet.number else { return try await greeted(packet, from: sender.id, now: now) }
        guard LinkSession.isWellFormed(number.session), (1...LinkSession.numberMax).contains(number.number) else {
            throw PacketRefusal(status: 400, code: "malformed-packet", detail: "the packet's session or number is out of range")
        }
        // The number check, the sender's reachability and the chains commit together.
        var receipts: [ItemReceipt]
        do {
            receipts = try await database.receivePacket(from: sender.id, number: number, chains: packet.chains, now: now)
        } catch let refusal as LinkSession.Refusal {
            let detail =
                refusal == .unknownSession
                ? "session \(number.session) of \(sender.id) is not open here: greet again"
                : "packet \(number.number) of session \(number.session) from \(sender.id) was received before: greet again"
            throw PacketRefusal(status: 409, code: refusal.rawValue, detail: detail)
        }
        for command in packet.commands {
            receipts.append(try await database.receiveCommand(command, from: sender.id, now: now))
        }
        let fromChild = hierarchy.topology.parent(of: sender.id) == me
        if let flags = packet.flags {
            guard fromChild else { throw PacketRefusal(status: 400, code: "misaddressed", detail: "flag reports go from a child to its parent") }
            try await database.acceptFlagReport(flags, from: sender.id, now: now)
        }
        var response = PacketResponse(receipts: receipts)
        if let digest = packet.digest {
            guard fromChild else { throw PacketRefusal(status: 400, code: "misaddressed", detail: "anti-entropy goes from a child to its parent") }
            response.digest = try await answer(digest, from: sender.id, now: now)
        }
        return response
    }

    /// The packet in `body`, in a version this node takes: read by hand when it is in the
    /// canonical form every node writes (`Packet.readCanonical`; the decoder was about 11 % of a
    /// receiver's time), else by the decoder, which takes or refuses it as before.
    func decodePacket(_ body: Data) throws -> Packet {
        let packet = try Packet.readCanonical(body) ?? decodeByDecoder(body)
        if let refusal = speaks.refusal(of: packet.version) {
            throw PacketRefusal(status: 400, code: DeliveryFailure.unsupportedVersion, detail: refusal)
        }
        return packet
    }

    /// The packet by the decoder. The body is parsed once: only a packet that does not parse is
    /// read again for its version, so that one in a version this node does not take is refused as
    /// such rather than as malformed (a first parse for the version alone was about 4 % of a
    /// receiver's time).
    private func decodeByDecoder(_ body: Data) throws -> Packet {
        struct Envelope: Decodable { var version: Int? }
        do { return try CanonicalJSON.decoder.decode(Packet.self, from: body) } catch {
            guard let envelope = try? CanonicalJSON.decoder.decode(Envelope.self, from: body) else {
                throw PacketRefusal(status: 400, code: "malformed-json", detail: "the packet is not a JSON object")
            }
            if let refusal = speaks.refusal(of: envelope.version) {
                throw PacketRefusal(status: 400, code: DeliveryFailure.unsupportedVersion, detail: refusal)
            }
            throw PacketRefusal(status: 400, code: "malformed-packet", detail: "the packet does not parse: \(error)")
        }
    }

    /// The adjacent node that signed `body`, or the refusal: the sender must be a node of the
    /// topology, this node's parent or child, and its signature must verify. Every request of
    /// the peer protocol (packets, blob chunks) is checked so.
    public static func sender(of body: Data, from header: String?, signature: String?, at me: NodeID, topology: Topology) throws -> TopologyNode {
        guard let header, let sender = topology.node(NodeID(header)) else {
            throw PacketRefusal(status: 403, code: "unknown-peer", detail: "the sender \(header ?? "(none)") is not a node of the topology")
        }
        guard topology.areAdjacent(sender.id, me) else {
            throw PacketRefusal(status: 403, code: "not-adjacent", detail: "\(sender.id) is not this node's parent or child")
        }
        guard Signatures.verify(signature, of: body, publicKey: sender.publicKey) else {
            throw PacketRefusal(status: 401, code: "bad-packet-signature", detail: "the packet signature does not verify against \(sender.id)'s key")
        }
        return sender
    }

    /// A signed request of the peer API other than a packet (blob chunks, a subtree page): it must
    /// say it is from its signer to this node, and be sent within the clock skew allowed.
    static func checkRequest(from: NodeID, to: NodeID, sentAt: Date, sender: NodeID, me: NodeID, now: Date) throws {
        guard from == sender, to == me else {
            throw PacketRefusal(status: 400, code: "misaddressed", detail: "the request is from \(from) to \(to), received by \(me) from \(sender)")
        }
        guard abs(sentAt.timeIntervalSince(now)) <= PeerLimits.clockSkewMaxSeconds else {
            throw PacketRefusal(status: 409, code: "stale-packet", detail: "the request was sent at \(sentAt), too far from this node's clock")
        }
    }

    /// A greeting opens a session for the sender's packets. It carries nothing else.
    func greeted(_ packet: Packet, from sender: NodeID, now: Date) async throws -> PacketResponse {
        guard packet.packetSeq == 0, packet.chains.isEmpty, packet.commands.isEmpty, packet.digest == nil, packet.flags == nil else {
            throw PacketRefusal(status: 400, code: "malformed-packet", detail: "a packet without a session is a greeting, and carries nothing")
        }
        return PacketResponse(
            receipts: [],
            session: try await database.openReceiving(from: sender, now: now),
            version: speaks.statesVersion ? speaks.current : nil
        )
    }

    /// The parent's side of anti-entropy: round 1 answers which tops differ with its leaves under
    /// them; round 2 repairs what differs and answers with its own entries.
    func answer(_ request: DigestRequest, from child: NodeID, now: Date) async throws -> DigestReply {
        func malformed(_ detail: String) -> PacketRefusal { PacketRefusal(status: 400, code: "malformed-digest", detail: detail) }
        if let packed = request.tops {
            guard let theirs = AntiEntropy.unpack(packed, max: AntiEntropy.topCount), theirs.count == AntiEntropy.topCount else {
                throw malformed("round 1 carries exactly \(AntiEntropy.topCount) top digests")
            }
            let leaves = try await database.digestLeaves(for: child)
            let mine = AntiEntropy.tops(ofLeaves: leaves)
            let differing = (0..<AntiEntropy.topCount).filter { mine[$0] != theirs[$0] }
            if differing.isEmpty { try await database.clearMismatches(with: child) }
            let values = differing.flatMap { top in
                (0..<AntiEntropy.leavesPerTop).map { leaves[top * AntiEntropy.leavesPerTop + $0] ?? 0 }
            }
            return DigestReply(differingTops: differing, leaves: AntiEntropy.pack(values))
        }
        guard let leaves = request.leaves, let packed = request.entries else {
            throw malformed("a digest request is round 1 (tops) or round 2 (leaves, entries)")
        }
        guard leaves.count <= DigestRequest.leavesMax, leaves.allSatisfy({ (0..<AntiEntropy.leafCount).contains($0) }) else {
            throw malformed("at most \(DigestRequest.leavesMax) leaves, each below \(AntiEntropy.leafCount)")
        }
        guard let theirs = DigestEntry.unpack(packed, max: DigestRequest.entriesMax) else { throw malformed("the entries do not parse") }
        let mine = try await database.digestEntries(for: child, leaves: leaves)
        _ = try await database.repairDifferences(
            with: child,
            theirs: theirs,
            leaves: leaves,
            complete: leaves.count < DigestRequest.leavesMax,
            now: now
        )
        return DigestReply(entries: DigestEntry.pack(mine))
    }
}
