import Foundation
import Logging
import Synchronization
import Testing
import XinfangCore
import XinfangSimulation
import XinfangSync
import XinfangTesting

@testable import XinfangStore

/// The sync service's dispatcher makes the next packet ready and sends it while one is in flight
/// (`preparesAhead`), at most `PeerDispatcher.packetsInFlightMax` on the wire: each item is sent
/// once, the answers are recorded in the order the packets were sent, and after a failure no new
/// packet is sent while the ones in flight are still answered and recorded; nothing is left
/// marked in flight.
struct PeerDispatcherAheadTests {
    typealias H = ExampleHierarchy
    static let t0 = Fixtures.instant("2026-11-02T09:00:00+08:00")

    /// Answers every chain as applied, except the non-greeting packets whose ordinal (from 1) is
    /// in `unreachable`, which it does not reach. A packet whose ordinal is a key of `holds` is
    /// answered only once the packet of the value's ordinal has arrived (or after two seconds): a
    /// dispatcher that waited for each answer before sending the next would show it by that wait
    /// and by never overlapping. Records what it was given.
    final class AnsweringTransport: PacketTransport {
        let unreachable: Set<Int>
        let holds: [Int: Int]
        let log = Mutex<(packets: [Packet], inFlight: Int, mostInFlight: Int)>(([], 0, 0))
        init(unreachable: Set<Int> = [], holds: [Int: Int] = [:]) {
            self.unreachable = unreachable
            self.holds = holds
        }

        func send(_ body: Data, signature: String, from: NodeID, to peer: TopologyNode) async -> TransportResult {
            guard let packet = try? CanonicalJSON.decoder.decode(Packet.self, from: body) else { return .unreachable("not a packet") }
            let ordinal = log.withLock { log in
                log.inFlight += 1
                log.mostInFlight = max(log.mostInFlight, log.inFlight)
                log.packets.append(packet)
                return log.packets.filter { !$0.isGreeting }.count
            }
            if let awaited = holds[ordinal] {
                // Released as soon as the awaited packet is on the wire; the deadline only ends a
                // test whose dispatcher never sends it. Two seconds were too few for the sender to
                // record the first answer and make the third packet ready beside the whole suite
                // on 2 cores (a clean-clone run, 2026-12-07).
                let deadline = ContinuousClock.now + .seconds(30)
                while sent.count < awaited, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(1)) }
            } else {
                try? await Task.sleep(for: .milliseconds(5))
            }
            log.withLock { $0.inFlight -= 1 }
            if packet.isGreeting { return .delivered(PacketResponse(receipts: [], session: LinkSession.newID())) }
            if unreachable.contains(ordinal) { return .unreachable("test: packet \(ordinal) does not arrive") }
            let receipts = packet.chains.map { run in
                ItemReceipt(kind: .chain, caseNumber: run[0].caseNumber, status: .applied, head: run.last!.seq)
            }
            return .delivered(PacketResponse(receipts: receipts))
        }

        var sent: [Packet] { log.withLock { $0.packets.filter { !$0.isGreeting } } }
        var mostInFlight: Int { log.withLock { $0.mostInFlight } }
    }

    /// A county with `cases` registrations queued for its city (one item a case).
    func county(
        cases: Int,
        transport: AnsweringTransport,
        clock: ManualClock,
        stopping: @escaping @Sendable () -> Bool = { false }
    ) async throws -> (NodeDatabase, PeerDispatcher) {
        let (topology, keys) = ExampleHierarchy.topology(baseURL: { "http://\($0).invalid" })
        let db = try NodeDatabase.inMemory(node: H.furong, hierarchy: Hierarchy(topology: topology, key: keys[H.furong]!))
        for _ in 0..<cases {
            _ = try await db.register(Fixtures.registration(receivedAt: Self.t0), actor: "李娜", now: Self.t0)
        }
        let dispatcher = PeerDispatcher(
            database: db,
            transport: transport,
            clock: clock,
            peer: topology.node(H.changsha)!,
            logger: Logger(label: "test"),
            preparesAhead: true,
            stopping: stopping
        )
        #expect(await dispatcher.perform(.greet, jitter: 0.5) == .greeted)
        return (db, dispatcher)
    }

    /// The city's outbox items by state (the states that hold any).
    func counts(_ db: NodeDatabase) async throws -> [String: Int] {
        (try await db.outboxSummary().first { $0.peer == H.changsha.rawValue }?.counts ?? [:]).filter { $0.value > 0 }
    }

    @Test func oneAttemptSendsEveryDuePacketAFullWindowOnTheWireEachItemOnce() async throws {
        let perPacket = DeliveryPolicy.itemsPerPacketMax
        let width = PeerDispatcher.packetsInFlightMax
        // The packets before the window's last are answered only once it has been sent.
        let transport = AnsweringTransport(holds: Dictionary(uniqueKeysWithValues: (1..<width).map { ($0, width) }))
        let clock = ManualClock(Self.t0)
        let (db, dispatcher) = try await county(cases: width * perPacket + perPacket / 2, transport: transport, clock: clock)

        #expect(await dispatcher.perform(.attempt, jitter: 0.5) == .delivered)

        let sent = transport.sent
        let sizes: [Int] = [perPacket / 2] + Array(repeating: perPacket, count: width)
        #expect(sent.map(\.chains.count).sorted() == sizes)
        let numbers: [Int] = Array(1...(width + 1))
        #expect(sent.map(\.packetSeq).sorted() == numbers, "each packet its own number")
        #expect(Set(sent.map(\.session)).count == 1)
        let cases = sent.flatMap { $0.chains.map { $0[0].caseNumber } }
        #expect(Set(cases).count == cases.count, "no case sent twice")
        #expect(transport.mostInFlight == width, "the next packet goes while the ones before are in flight, no more")
        let after = try await counts(db)
        #expect(after == ["acknowledged": cases.count])
        #expect(await dispatcher.perform(.attempt, jitter: 0.5) == .nothingDue(nextDue: nil))
    }

    @Test func aStoppingLoopMakesNoNewPacketAndTheOnesOnTheWireAreRecorded() async throws {
        let perPacket = DeliveryPolicy.itemsPerPacketMax
        // The loop stops after the second packet was made ready: it is asked before each packet
        // after the attempt's first, and says so from its second answer on.
        let asked = Atomic<Int>(0)
        let transport = AnsweringTransport()
        let clock = ManualClock(Self.t0)
        let (db, dispatcher) = try await county(cases: 4 * perPacket, transport: transport, clock: clock) {
            asked.add(1, ordering: .relaxed).newValue >= 2
        }

        #expect(await dispatcher.perform(.attempt, jitter: 0.5) == .delivered)
        #expect(transport.sent.count == 2, "no packet is made ready once the loop stops")
        #expect(asked.load(ordering: .relaxed) == 2)
        let after = try await counts(db)
        #expect(after == ["acknowledged": 2 * perPacket, "pending": 2 * perPacket], "the ones sent recorded, nothing left in flight")
        let waiting = try await db.outboxSummary().first { $0.peer == H.changsha.rawValue }!.items
        #expect(waiting.filter { $0.state == "pending" }.allSatisfy { $0.attempts == 0 }, "what was not made ready counts no attempt")
    }

    @Test func afterAFailedPacketNoneIsSentAndTheOnesInFlightAreRecorded() async throws {
        let perPacket = DeliveryPolicy.itemsPerPacketMax
        let width = PeerDispatcher.packetsInFlightMax
        // The second packet fails, and its failure comes back only once the window is full again
        // behind it (the first answered, the packet after the window's first on the wire).
        let transport = AnsweringTransport(unreachable: [2], holds: [2: width + 1])
        let clock = ManualClock(Self.t0)
        let (db, dispatcher) = try await county(cases: (width + 1) * perPacket + perPacket / 2, transport: transport, clock: clock)

        guard case .failed(let retryAt) = await dispatcher.perform(.attempt, jitter: 0.5) else {
            Issue.record("the second packet did not reach the city: the attempt fails")
            return
        }
        #expect(transport.sent.count == width + 1, "no packet is sent after the failure is known")
        // All but the second were acknowledged, the second failed (one attempt); the last batch
        // was never made ready: its items wait, uncounted, and nothing stays in flight.
        let afterFailure = try await counts(db)
        #expect(afterFailure == ["acknowledged": width * perPacket, "failed": perPacket, "pending": perPacket / 2])
        let waiting = try await db.outboxSummary().first { $0.peer == H.changsha.rawValue }!.items
        #expect(waiting.filter { $0.state == "pending" }.allSatisfy { $0.attempts == 0 }, "the unsent batch counts no attempt")
        #expect(waiting.filter { $0.state == "failed" }.allSatisfy { $0.attempts == 1 })

        // After the failed packet's retry time, the rest goes.
        clock.set(retryAt)
        #expect(await dispatcher.perform(.attempt, jitter: 0.5) == .delivered)
        let afterRetry = try await counts(db)
        #expect(afterRetry == ["acknowledged": (width + 1) * perPacket + perPacket / 2])
        let numbers = transport.sent.map(\.packetSeq)
        #expect(Set(numbers).count == numbers.count, "no number used twice: \(numbers)")
    }

    /// A store error while the answers are recorded ends the attempt with its items marked in
    /// flight; the next attempt queues them again and sends them, instead of leaving them until
    /// the service's next start.
    @Test func whatAStoreErrorLeftInFlightGoesAtTheNextAttempt() async throws {
        let perPacket = DeliveryPolicy.itemsPerPacketMax
        let transport = AnsweringTransport()
        let clock = ManualClock(Self.t0)
        let (db, dispatcher) = try await county(cases: perPacket + perPacket / 2, transport: transport, clock: clock)
        // The store refuses to record an answer (a full disk, a lost database connection).
        try await db.write { s in
            try s.run(
                """
                CREATE TEMP TRIGGER refuse_answers BEFORE UPDATE OF state ON outbox WHEN NEW.state = 'acknowledged'
                BEGIN SELECT RAISE(ABORT, 'test: the store fails'); END
                """,
                arguments: [],
                cached: false
            )
        }
        #expect(await dispatcher.perform(.attempt, jitter: 0.5) == .storeFailed)
        let left = try await counts(db)
        #expect((left["sent"] ?? 0) > 0, "the failed attempt left items marked in flight: \(left)")
        #expect(left["acknowledged"] == nil)

        try await db.write { s in try s.run("DROP TRIGGER refuse_answers", arguments: [], cached: false) }
        let before = transport.sent.count
        #expect(await dispatcher.perform(.attempt, jitter: 0.5) == .delivered)
        #expect(try await counts(db) == ["acknowledged": perPacket + perPacket / 2], "every item went and was answered")
        #expect(transport.sent.count > before, "the items went again")
    }
}
