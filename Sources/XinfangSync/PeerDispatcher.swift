import Foundation
public import Logging
import Synchronization
public import XinfangCore
public import XinfangStore

/// Carries out one peer loop's steps against the store and the transport: the greeting, and one
/// packet of due items with its outcome recorded. It decides nothing about when: `PeerLoop` does.
public struct PeerDispatcher: Sendable {
    let database: any CaseStore
    let transport: any PacketTransport
    let clock: any NodeClock
    let peer: TopologyNode
    let logger: Logger
    let link: PeerLink
    /// What was sent, for the log's progress lines during a catch-up.
    let sent = StreamProgress()
    /// Set when a store error ended a step: the next attempt first queues again what the failed
    /// one left marked in flight, which would otherwise wait for the service's next start.
    let leftInFlight = Mark()

    /// Whether an attempt makes the next packet ready while one is in flight and goes on while
    /// packets are due (the node's sync service); the simulator sends one packet a step, its steps
    /// interleaved by its seed.
    let preparesAhead: Bool
    /// Whether the loop driving this dispatcher is stopping (graceful shutdown): an attempt makes
    /// no packet ready once it is, and ends when the ones on the wire are answered.
    let stopping: @Sendable () -> Bool

    public init(
        database: any CaseStore,
        transport: any PacketTransport,
        clock: any NodeClock,
        peer: TopologyNode,
        logger: Logger,
        preparesAhead: Bool = false,
        stopping: @escaping @Sendable () -> Bool = { false },
        speaks: PeerProtocol = .build
    ) {
        self.preparesAhead = preparesAhead
        self.stopping = stopping
        self.database = database
        self.transport = transport
        self.clock = clock
        self.peer = peer
        var logger = logger
        logger[metadataKey: "sync.peer"] = "\(peer.id)"
        self.logger = logger
        self.link = PeerLink(database: database, transport: transport, clock: clock, peer: peer, speaks: speaks)
    }

    /// Performs `step` (a greeting or an attempt; a wait is the driver's) and says what it found.
    /// `jitter` in 0..<1 spreads the retry times of a failed packet.
    public func perform(_ step: PeerLoop.Step, jitter: Double) async -> PeerLoop.Outcome {
        do {
            switch step {
            case .greet:
                try await greet()
                return .greeted
            case .attempt:
                return try await attempt(jitter: jitter)
            case .wait:
                return .nothingDue(nextDue: nil)
            }
        } catch {
            logger.error("sync step failed", metadata: ["error": "\(error)"])
            leftInFlight.set(true)
            return .storeFailed
        }
    }

    /// Tells the neighbour this node is up and opens a session for its packets (`PeerLink`), so
    /// the neighbour sends what waited for this node at once instead of at its next retry.
    func greet() async throws {
        let result = try await link.greet()
        if case .delivered = result { return }
        logger.debug("greeting not answered", metadata: ["sync.result": "\(result)"])
    }

    /// Sends due items and records each answer: one packet, or with `preparesAhead` every packet
    /// due until nothing is, a packet fails or the loop stops (`sendWindowed`).
    func attempt(jitter: Double) async throws -> PeerLoop.Outcome {
        let now = clock.now()
        if leftInFlight.isSet {
            try await database.requeueInFlight(to: peer.id, now: now)
            leftInFlight.set(false)
            logger.notice("queued again what a failed attempt left in flight")
        }
        guard let batch = try await database.nextBatch(for: peer.id, now: now) else {
            return .nothingDue(nextDue: try await database.nextDueAt(for: peer.id))
        }
        let first: ReadyPacket
        do {
            let number: PacketNumber
            if let allocated = batch.number { number = allocated } else { number = try await link.number() }
            first = ready(batch, number: number, now: now)
        } catch let greeting as PeerLink.GreetingFailed {
            logger.info("peer not greeted", metadata: ["sync.error": "\(greeting.reason)"])
            return .failed(retryAt: try await recordFailure(batch, reason: greeting.description, kind: greeting.kind, jitter: jitter))
        }
        return try await sendWindowed(first, limit: preparesAhead ? .max : 1, jitter: jitter)
    }

    /// Sends `first` and the packets due after it, up to `limit`, with up to `packetsInFlightMax`
    /// on the wire at once (`InOrderWindow`): each next packet is made ready (its items marked
    /// sent, its body encoded) and sent while the one before it is in flight, so the peer works on
    /// one while it stores the other, and the answers are recorded in the order the packets were
    /// sent. The peer may take them in either order (its replay window takes any number not seen
    /// before): a case's chain item is never in two packets at once (it stays in flight until
    /// answered), a losing branch travels with its whole path, and the protocol already lets items
    /// overtake each other (a failed item waits for its retry while newer ones go). After a
    /// failure no more packets are sent; the ones in flight are still answered and recorded. The
    /// window is not drained while packets are due: an attempt ended after 16 packets until
    /// 2026-12-07, and the peer was idle at each end while the last was answered and the next
    /// attempt's first was made ready (`bench catch-up`: 4 % of the rate); it now ends only when the
    /// loop is stopping (`stopping`, looked at before each packet is made ready). A
    /// store error ends the attempt (thrown, as before the window): the items of a packet it leaves
    /// marked sent are queued again at the next attempt (`leftInFlight`).
    func sendWindowed(_ first: ReadyPacket, limit: Int, jitter: Double) async throws -> PeerLoop.Outcome {
        var unsent: ReadyPacket? = first
        var retryAt: Date?
        try await InOrderWindow.run(
            width: Self.packetsInFlightMax,
            limit: limit,
            next: {
                guard let packet = unsent else { return stopping() ? nil : await readyNext() }
                unsent = nil
                return packet
            },
            send: { [link] packet in try await link.send(packet.packet, body: packet.body) },
            record: { packet, result in
                guard case .delivered(let response) = result else {
                    let at = try await recordFailure(packet.batch, result, jitter: jitter)
                    retryAt = min(retryAt ?? at, at)
                    return false
                }
                try await database.recordDelivery(packet.batch, receipts: response.receipts, now: clock.now(), jitter: jitter)
                logDelivery(packet)
                return true
            }
        )
        return retryAt.map { .failed(retryAt: $0) } ?? .delivered
    }

    /// The most packets on the wire to one peer at once when the dispatcher prepares ahead. The
    /// peer decodes, checks and folds one packet while it writes and commits the one before; a
    /// third covers the answer's way back and its recording here. With two, the peer's cores were
    /// idle a fifth of the time once its writer no longer bounded P1 (`xinfang bench ingest`
    /// 17,231–18,045 events/s with two, 17,328–20,143 with three, no better with four;
    /// docs/BENCHMARKS.md, "Texts bound in place, reads kept prepared, three packets on the wire").
    public static let packetsInFlightMax = 3

    /// A packet made ready to send: its batch, number and encoded body.
    struct ReadyPacket: Sendable {
        var batch: OutboxBatch
        var packet: Packet
        var body: Data
    }

    func ready(_ batch: OutboxBatch, number: PacketNumber, now: Date) -> ReadyPacket {
        let packet = Packet(
            from: database.node,
            to: peer.id,
            number: number,
            sentAt: now,
            chains: [],
            commands: batch.commands,
            version: link.version(for: number)
        )
        // The events go in as the store holds them, without being decoded and encoded again.
        return ReadyPacket(batch: batch, packet: packet, body: packet.encoded(wireChains: batch.runs.map(\.events)))
    }

    /// The next packet, made ready while the current one is in flight; nil when nothing is due,
    /// the link's session is gone (the next attempt greets first), or the store failed (logged;
    /// the next attempt reads again).
    func readyNext() async -> ReadyPacket? {
        do {
            let now = clock.now()
            guard let batch = try await database.nextBatch(for: peer.id, now: now) else { return nil }
            guard let number = batch.number else {
                try await database.requeue(batch, now: now)
                return nil
            }
            return ready(batch, number: number, now: now)
        } catch {
            logger.error("preparing the next packet failed", metadata: ["error": "\(error)"])
            return nil
        }
    }

    func logDelivery(_ sent: ReadyPacket) {
        let number = sent.packet.packetSeq
        logger.debug("packet delivered", metadata: ["sync.items": "\(sent.batch.itemIDs.count)", "sync.packet": "\(number)"])
        if let window = self.sent.record(peer.id.rawValue, items: sent.batch.itemIDs.count, now: clock.now()) {
            logger.info(
                "sending to peer",
                metadata: [
                    "sync.packets": "\(window.packets)", "sync.items": "\(window.items)",
                    "sync.items_per_second": "\(Int(window.perSecond))", "sync.packet": "\(number)",
                ]
            )
        }
    }

    /// Records a packet that was refused or did not reach the peer; when its items are due again.
    func recordFailure(_ batch: OutboxBatch, _ result: TransportResult, jitter: Double) async throws -> Date {
        switch result {
        case .delivered:
            preconditionFailure("a delivered packet is not a failure")
        case .refused(let status, let code, let detail):
            logger.warning("packet refused", metadata: ["sync.status": "\(status)", "sync.code": "\(code)", "sync.detail": "\(detail)"])
            return try await recordFailure(batch, reason: "\(code): \(detail)", kind: DeliveryFailure.ofRefusal(code: code), jitter: jitter)
        case .unreachable(let reason):
            logger.info("peer unreachable", metadata: ["sync.error": "\(reason)"])
            return try await recordFailure(batch, reason: reason, kind: .unreachable, jitter: jitter)
        }
    }

    func recordFailure(_ batch: OutboxBatch, reason: String, kind: DeliveryFailure, jitter: Double) async throws -> Date {
        try await database.recordFailure(batch, error: reason, kind: kind, now: clock.now(), jitter: jitter)
    }

    /// A flag the dispatcher's copies share.
    final class Mark: Sendable {
        private let value = Atomic<Bool>(false)
        var isSet: Bool { value.load(ordering: .relaxed) }
        func set(_ on: Bool) { value.store(on, ordering: .relaxed) }
    }
}
