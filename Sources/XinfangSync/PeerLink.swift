public import Foundation
import Metrics
public import XinfangCore
public import XinfangStore

/// The sending end of one link's sessions (`LinkSession`): greets the peer for a session, numbers
/// packets in it, and drops it when the peer refuses a packet for its session or number, so the
/// next packet greets first. The sync loop and the reconciliation job both send through it: every
/// packet to a peer is numbered in the one session the store holds for the link.
public struct PeerLink: Sendable {
    let database: any CaseStore
    let transport: any PacketTransport
    let clock: any NodeClock
    public let peer: TopologyNode
    /// The versions this node speaks: the greeting's, and what it writes to the peer.
    let speaks: PeerProtocol

    public init(database: any CaseStore, transport: any PacketTransport, clock: any NodeClock, peer: TopologyNode, speaks: PeerProtocol = .build) {
        self.database = database
        self.transport = transport
        self.clock = clock
        self.peer = peer
        self.speaks = speaks
    }

    /// A greeting that did not open a session: how it counts for the packet that waited for it.
    public struct GreetingFailed: Error, Sendable, CustomStringConvertible {
        public var kind: DeliveryFailure
        public var reason: String
        public var description: String { "greeting failed: \(reason)" }
    }

    /// Greets the peer and stores the session it opens; what the greeting met.
    @discardableResult
    public func greet() async throws -> TransportResult {
        let result = try await deliver(Packet.greeting(from: database.node, to: peer.id, sentAt: clock.now(), version: speaks.greetingVersion))
        guard case .delivered(let response) = result else { return result }
        guard let session = response.session, LinkSession.isWellFormed(session) else {
            return .refused(status: 502, code: "no-session", detail: "\(peer.id) answered the greeting without a session")
        }
        database.peerVersions.record(peer.id, session: session, version: response.version)
        try await database.startSending(to: peer.id, session: session)
        return result
    }

    /// The version of a packet numbered in `number`'s session: the newest the peer stated that
    /// this node writes, else the oldest it speaks.
    public func version(for number: PacketNumber) -> Int {
        speaks.version(forPeerStating: database.peerVersions.version(of: peer.id, session: number.session))
    }

    /// The next packet's session and number, after a greeting when the link has none. Throws
    /// `GreetingFailed` when the greeting does not open one.
    public func number() async throws -> PacketNumber {
        if let number = try await database.nextPacketNumber(for: peer.id) { return number }
        switch try await greet() {
        case .delivered: break
        case .refused(let status, let code, let detail):
            throw GreetingFailed(kind: DeliveryFailure.ofRefusal(code: code), reason: "\(status) \(code): \(detail)")
        case .unreachable(let reason):
            throw GreetingFailed(kind: .unreachable, reason: reason)
        }
        guard let number = try await database.nextPacketNumber(for: peer.id) else {
            throw GreetingFailed(kind: .packetRefused, reason: "the session was dropped as it opened")
        }
        return number
    }

    /// Signs and sends `packet` (`body`: its encoding, when the caller has it). A refusal for its
    /// session or number, or for its version (the peer was upgraded or rolled back since it
    /// answered), drops the session: the next packet greets and learns the peer's version again.
    public func send(_ packet: Packet, body: Data? = nil) async throws -> TransportResult {
        let result = try await deliver(packet, body: body)
        if case .refused(_, let code, _) = result, LinkSession.Refusal(rawValue: code) != nil || code == DeliveryFailure.unsupportedVersion,
            let session = packet.session
        {
            try await database.dropSending(to: peer.id, session: session)
        }
        return result
    }

    func deliver(_ packet: Packet, body: Data? = nil) async throws -> TransportResult {
        guard let hierarchy = database.hierarchy else { return .unreachable("this node runs without a topology") }
        let body = body ?? packet.encoded()
        let result = await transport.send(body, signature: hierarchy.key.sign(body), from: database.node, to: peer)
        let outcome =
            switch result {
            case .delivered: "delivered"
            case .refused(_, let code, _): code
            case .unreachable: "unreachable"
            }
        Counter(label: "xinfang_packets_sent_total", dimensions: [("peer", peer.id.rawValue), ("result", outcome)]).increment()
        return result
    }
}
