import Foundation
import Logging
import Synchronization
import Testing
import XinfangCore
import XinfangHTTP
import XinfangStore
import XinfangSync
import XinfangTesting

/// The sync loop (issue 14): what it decides after each step, that its wake-up does not wake
/// itself, that an idle loop leaves the store alone between its timers, and that a commit
/// wakes it at once.
struct PeerLoopTests {
    static let t0 = Fixtures.instant("2026-11-02T09:00:00+08:00")
    static func at(_ seconds: Double) -> Date { t0.addingTimeInterval(seconds) }

    @Test(
        arguments: [
            (PeerLoop.Outcome.greeted, PeerLoop.Step.attempt),
            (.delivered, .attempt),
            (.nothingDue(nextDue: nil), .wait(until: at(PeerLoop.idleCheckSeconds))),
            (.nothingDue(nextDue: at(3)), .wait(until: at(3))),
            (.nothingDue(nextDue: at(-1)), .attempt),
            (.nothingDue(nextDue: at(0)), .attempt),
            (.nothingDue(nextDue: at(86_400)), .wait(until: at(PeerLoop.idleCheckSeconds))),
            (.failed(retryAt: at(0.2)), .wait(until: at(0.2))),
            (.failed(retryAt: at(-5)), .wait(until: at(0))),
            (.failed(retryAt: at(3_600)), .wait(until: at(PeerLoop.idleCheckSeconds))),
            (.storeFailed, .wait(until: at(PeerLoop.storeErrorPauseSeconds))),
        ]
    )
    func theNextStepFollowsFromWhatTheLastFound(_ outcome: PeerLoop.Outcome, _ expected: PeerLoop.Step) {
        #expect(PeerLoop.next(after: outcome, now: Self.t0) == expected)
    }

    @Test func aLoopGreetsFirstAndOnlyAWaitingLoopIsWoken() {
        var loop = PeerLoop()
        #expect(loop.step == .greet)
        loop.wake()
        #expect(loop.step == .greet, "waking does not skip the greeting")
        loop.record(.greeted, now: Self.t0)
        loop.record(.nothingDue(nextDue: nil), now: Self.t0)
        #expect(!loop.isDue(at: Self.at(59)))
        #expect(loop.isDue(at: Self.at(60)))
        loop.wake()
        #expect(loop.step == .attempt && loop.isDue(at: Self.t0))
    }

    /// The idle spin: a cancelled time-out used to fill the wake-up's slot, so every later wait
    /// returned at once. A signal ends one wait, and the next one waits again.
    @Test func aSignalEndsOneWaitAndAStaleOneCannotMakeTheLoopSpin() async {
        let wakeup = Wakeup()
        wakeup.signal()
        #expect(await wakeup.wait(upTo: 30), "a signal kept from before ends the next wait")
        // A wait that a signal ends mid-way: its cancelled timer must not leave a signal behind.
        async let ended = wakeup.wait(upTo: 30)
        try? await Task.sleep(for: .milliseconds(50))
        wakeup.signal()
        #expect(await ended)
        for _ in 0..<3 {
            let start = ContinuousClock.now
            let signalled = await wakeup.wait(upTo: 0.2)
            #expect(!signalled, "nothing signalled: the wait ends by its time-out")
            #expect(ContinuousClock.now - start >= .milliseconds(150), "the wait waited")
        }
        wakeup.stop()
        #expect(await wakeup.wait(upTo: 30) && wakeup.isStopped)
    }

    /// A transport that records what it is given and answers every packet as delivered with no
    /// receipts (a greeting with a new session).
    final class RecordingTransport: PacketTransport {
        let sent = Mutex<[Packet]>([])
        func send(_ body: Data, signature: String, from: NodeID, to peer: TopologyNode) async -> TransportResult {
            guard let packet = try? CanonicalJSON.decoder.decode(Packet.self, from: body) else { return .unreachable("not a packet") }
            sent.withLock { $0.append(packet) }
            return .delivered(PacketResponse(receipts: [], session: packet.isGreeting ? LinkSession.newID() : nil))
        }
        var packets: [Packet] { sent.withLock { $0 } }
    }

    func county() throws -> (NodeDatabase, TopologyNode) {
        let (topology, keys) = ExampleHierarchy.topology(baseURL: { "http://\($0).invalid" })
        let db = try NodeDatabase.inMemory(node: H.furong, hierarchy: Hierarchy(topology: topology, key: keys[H.furong]!))
        return (db, topology.node(H.changsha)!)
    }

    /// The production loop's steps over an hour of fake time with nothing to send: the store is
    /// read a bounded number of times (one attempt per idle check), however long the hour.
    @Test func anIdleLoopReadsTheStoreOnlyAtItsTimers() async throws {
        let (db, city) = try county()
        let clock = ManualClock(Self.t0)
        let dispatcher = PeerDispatcher(database: db, transport: RecordingTransport(), clock: clock, peer: city, logger: Logger(label: "test"))
        var loop = PeerLoop()
        let before = db.transactions.value
        var steps = 0
        while clock.now() < Self.at(3_600) {
            steps += 1
            try #require(steps < 1_000, "the loop spins")
            if case .wait(let until) = loop.step {
                try #require(until > clock.now(), "an idle loop never waits for nothing")
                clock.set(until)
                loop.wake()
                continue
            }
            loop.record(await dispatcher.perform(loop.step, jitter: 0.5), now: clock.now())
        }
        let reads = db.transactions.value - before
        let timers = Int(3_600 / PeerLoop.idleCheckSeconds)
        #expect(reads > 0, "the loop looked at its outbox")
        #expect(reads <= 3 * (timers + 2), "\(reads) store transactions in an idle hour")
    }

    /// The real service on the real clock: idle, it leaves the store alone; a registration that
    /// enqueues for the city goes out at once, long before the idle check would find it.
    @Test func aCommitWakesTheLoopAtOnceAndAnIdleServiceRests() async throws {
        let (db, _) = try county()
        let transport = RecordingTransport()
        // An idle check of an hour: a packet that leaves within the test's wait left because the
        // commit woke the loop, however slow a loaded machine is.
        let service = SyncService(database: db, transport: transport, clock: SystemClock(), logger: Logger(label: "test"), idleCheckSeconds: 3_600)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await service.run() }
            // The greeting goes out first.
            try await waitUntil { transport.packets.count >= 1 }
            try await Task.sleep(for: .milliseconds(300))
            let idleBefore = db.transactions.value
            try await Task.sleep(for: .seconds(1))
            #expect(db.transactions.value - idleBefore <= 2, "an idle loop spins on the store")
            let registered = Date()
            _ = try await db.register(Fixtures.registration(receivedAt: registered), actor: "李娜", now: registered)
            try await waitUntil { transport.packets.contains { !$0.chains.isEmpty } }
            #expect(Date().timeIntervalSince(registered) < 3_600, "woken by the commit, not by its timer")
            group.cancelAll()
        }
    }

    func waitUntil(_ condition: () -> Bool) async throws {
        let deadline = Date().addingTimeInterval(120)
        while !condition() {
            try #require(Date() < deadline, "timed out")
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
