import Foundation
public import Logging
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

    public init(database: any CaseStore, transport: any PacketTransport, clock: any NodeClock, peer: TopologyNode, logger: Logger) {
        self.database = database
        self.transport = transport
        self.clock = clock
        self.peer = peer
        var logger = logger
        logger[metadataKey: "sync.peer"] = "\(peer.id)"
        self.logger = logger
        self.link = PeerLink(database: database, transport: transport, clock: clock, peer: peer)
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

    /// Sends one packet of due items and records the answer.
    func attempt(jitter: Double) async throws -> PeerLoop.Outcome {
        let now = clock.now()
        guard let batch = try await database.nextBatch(for: peer.id, now: now) else {
            return .nothingDue(nextDue: try await database.nextDueAt(for: peer.id))
        }
        let failure: (reason: String, kind: DeliveryFailure)
        do {
            let number: PacketNumber
            if let allocated = batch.number { number = allocated } else { number = try await link.number() }
            let packet = Packet(from: database.node, to: peer.id, number: number, sentAt: now, chains: batch.chains, commands: batch.commands)
            switch try await link.send(packet) {
            case .delivered(let response):
                try await database.recordDelivery(batch, receipts: response.receipts, now: clock.now(), jitter: jitter)
                logger.debug("packet delivered", metadata: ["sync.items": "\(batch.itemIDs.count)", "sync.packet": "\(number.number)"])
                if let window = sent.record(peer.id.rawValue, items: batch.itemIDs.count, now: clock.now()) {
                    logger.info(
                        "sending to peer",
                        metadata: [
                            "sync.packets": "\(window.packets)", "sync.items": "\(window.items)",
                            "sync.items_per_second": "\(Int(window.perSecond))", "sync.packet": "\(number.number)",
                        ]
                    )
                }
                return .delivered
            case .refused(let status, let code, let detail):
                logger.warning("packet refused", metadata: ["sync.status": "\(status)", "sync.code": "\(code)", "sync.detail": "\(detail)"])
                failure = ("\(code): \(detail)", DeliveryFailure.ofRefusal(code: code))
            case .unreachable(let reason):
                logger.info("peer unreachable", metadata: ["sync.error": "\(reason)"])
                failure = (reason, .unreachable)
            }
        } catch let greeting as PeerLink.GreetingFailed {
            logger.info("peer not greeted", metadata: ["sync.error": "\(greeting.reason)"])
            failure = (greeting.description, greeting.kind)
        }
        let retryAt = try await database.recordFailure(batch, error: failure.reason, kind: failure.kind, now: clock.now(), jitter: jitter)
        return .failed(retryAt: retryAt)
    }
}
