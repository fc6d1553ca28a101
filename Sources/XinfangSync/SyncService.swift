import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization
public import XinfangCore
public import XinfangStore

/// Delivers the outbox: one loop per adjacent peer, each sending a packet as soon as something is
/// due (woken by the store after every commit that enqueues), batching whatever has queued, and
/// otherwise sleeping until the next retry falls due. Runs until graceful shutdown.
public struct SyncService: Service {
    let database: NodeDatabase
    let transport: any PacketTransport
    let clock: any NodeClock
    let logger: Logger

    /// The longest a loop sleeps without a wake-up (a safety net; wake-ups are immediate).
    public static let idleWakeSeconds = 1.0

    public init(database: NodeDatabase, transport: any PacketTransport, clock: any NodeClock, logger: Logger) {
        self.database = database
        self.transport = transport
        self.clock = clock
        self.logger = logger
    }

    public func run() async throws {
        guard let hierarchy = database.hierarchy else { return }
        let me = database.node
        let peers = ([hierarchy.topology.parent(of: me)].compactMap { $0 } + hierarchy.topology.children(of: me))
            .compactMap { hierarchy.topology.node($0) }
        try await database.resetInFlight()
        let wakeups = peers.map { _ in Wakeup() }
        database.outboxSignal.subscribe { for wakeup in wakeups { wakeup.signal() } }
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                for (peer, wakeup) in zip(peers, wakeups) {
                    group.addTask { await loop(peer: peer, wakeup: wakeup) }
                }
            }
        } onGracefulShutdown: {
            for wakeup in wakeups { wakeup.stop() }
        }
    }

    func loop(peer: TopologyNode, wakeup: Wakeup) async {
        var logger = logger
        logger[metadataKey: "sync.peer"] = "\(peer.id)"
        await greet(peer, logger: logger)
        while !wakeup.isStopped && !Task.isCancelled {
            do {
                if try await deliverOnce(to: peer, logger: logger) { continue }
                let due = try await database.nextDueAt(for: peer.id)
                let delay = due.map { max(0, min($0.timeIntervalSince(clock.now()), Self.idleWakeSeconds)) } ?? Self.idleWakeSeconds
                await wakeup.wait(upTo: delay)
            } catch is CancellationError {
                return
            } catch {
                logger.error("sync loop failed", metadata: ["error": "\(error)"])
                await wakeup.wait(upTo: Self.idleWakeSeconds)
            }
        }
    }

    /// Tells a neighbour this node is up (an empty signed packet), so it sends what waited for this
    /// node at once instead of at its next retry.
    func greet(_ peer: TopologyNode, logger: Logger) async {
        guard let hierarchy = database.hierarchy, let seq = try? await database.allocatePacketSeq(for: peer.id) else { return }
        let body = Packet(from: database.node, to: peer.id, packetSeq: seq, sentAt: clock.now(), chains: [], commands: []).encoded()
        if case .unreachable(let reason) = await transport.send(body, signature: hierarchy.key.sign(body), from: database.node, to: peer) {
            logger.debug("greeting not delivered", metadata: ["sync.error": "\(reason)"])
        }
    }

    /// Sends one packet of due items to `peer`; true when it was delivered (so more may follow at once).
    public func deliverOnce(to peer: TopologyNode, logger: Logger, jitter: Double = .random(in: 0..<1)) async throws -> Bool {
        guard let hierarchy = database.hierarchy else { return false }
        let now = clock.now()
        guard let batch = try await database.nextBatch(for: peer.id, now: now) else { return false }
        let packet = Packet(from: database.node, to: peer.id, packetSeq: batch.packetSeq, sentAt: now, chains: batch.chains, commands: batch.commands)
        let body = packet.encoded()
        let result = await transport.send(body, signature: hierarchy.key.sign(body), from: database.node, to: peer)
        switch result {
        case .delivered(let response):
            try await database.recordDelivery(batch, receipts: response.receipts, now: clock.now(), jitter: jitter)
            logger.debug("packet delivered", metadata: ["sync.items": "\(batch.itemIDs.count)", "sync.packet": "\(batch.packetSeq)"])
            return true
        case .refused(let status, let code, let detail):
            logger.warning("packet refused", metadata: ["sync.status": "\(status)", "sync.code": "\(code)", "sync.detail": "\(detail)"])
            try await database.recordFailure(batch, error: "\(code): \(detail)", kind: .rejected, now: clock.now(), jitter: jitter)
        case .unreachable(let reason):
            logger.info("peer unreachable", metadata: ["sync.error": "\(reason)"])
            try await database.recordFailure(batch, error: reason, kind: .unreachable, now: clock.now(), jitter: jitter)
        }
        return false
    }
}

/// A one-slot wake-up with a time-out, for a loop that waits for work or for a deadline.
final class Wakeup: Sendable {
    struct State {
        var signaled = false
        var stopped = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    let state = Mutex(State())

    var isStopped: Bool { state.withLock { $0.stopped } }

    func signal() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if let waiter = s.waiter {
                s.waiter = nil
                return waiter
            }
            s.signaled = true
            return nil
        }
        waiter?.resume()
    }

    func stop() {
        state.withLock { $0.stopped = true }
        signal()
    }

    /// Returns after a signal (or one that came since the last wait), a stop, or `seconds`.
    func wait(upTo seconds: Double) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForSignal() }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
                self.signal()
            }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForSignal() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { s -> Bool in
                    if s.signaled || s.stopped {
                        s.signaled = false
                        return true
                    }
                    s.waiter = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            signal()
        }
    }
}
