public import Foundation
public import Logging
public import ServiceLifecycle
public import XinfangCore
public import XinfangStore

/// Delivers the outbox: one loop per adjacent peer, each sending a packet as soon as something is
/// due (woken by the store after every commit that enqueues), batching whatever has queued, and
/// otherwise sleeping until its next timer (`PeerLoop` decides; `PeerDispatcher` acts). Runs
/// until graceful shutdown. The simulator drives the same `PeerLoop` and `PeerDispatcher` in
/// its fake time.
public struct SyncService: Service {
    let database: NodeDatabase
    let transport: any PacketTransport
    let clock: any NodeClock
    let logger: Logger
    /// The longest an idle loop sleeps without a signal.
    let idleCheckSeconds: TimeInterval

    public init(
        database: NodeDatabase,
        transport: any PacketTransport,
        clock: any NodeClock,
        logger: Logger,
        idleCheckSeconds: TimeInterval = PeerLoop.idleCheckSeconds
    ) {
        self.database = database
        self.transport = transport
        self.clock = clock
        self.logger = logger
        self.idleCheckSeconds = idleCheckSeconds
    }

    public func run() async throws {
        guard let hierarchy = database.hierarchy else { return }
        let me = database.node
        let peers = ([hierarchy.topology.parent(of: me)].compactMap { $0 } + hierarchy.topology.children(of: me))
            .compactMap { hierarchy.topology.node($0) }
        try await database.resetInFlight(now: clock.now())
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

    /// One peer's loop: the dispatcher's steps, sleeping between them on the wake-up.
    func loop(peer: TopologyNode, wakeup: Wakeup) async {
        let dispatcher = PeerDispatcher(
            database: database,
            transport: transport,
            clock: clock,
            peer: peer,
            logger: logger,
            preparesAhead: true,
            stopping: { wakeup.isStopped || Task.isCancelled }
        )
        var loop = PeerLoop(idleCheck: idleCheckSeconds)
        while !wakeup.isStopped && !Task.isCancelled {
            if case .wait(let until) = loop.step {
                // Never longer than the idle check, even if the wall clock jumped back meanwhile.
                await wakeup.wait(upTo: min(until.timeIntervalSince(clock.now()), loop.idleCheck))
                loop.wake()
                continue
            }
            let outcome = await dispatcher.perform(loop.step, jitter: .random(in: 0..<1))
            loop.record(outcome, now: clock.now())
        }
    }
}

/// ServiceLifecycle logs a service by its description: its name, not every stored property (the
/// store, the gateways, their keys).
extension SyncService: CustomStringConvertible {
    public var description: String { "SyncService(node: \(database.node))" }
}
