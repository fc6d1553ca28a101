import Foundation
import Logging
import Synchronization
import Testing
import XinfangCore
import XinfangSimulation
import XinfangStore
import XinfangSync
import XinfangTesting

/// The sync service's dispatcher makes the next packet ready while one is in flight
/// (`preparesAhead`): the peer still receives the packets one at a time, in order, each item once;
/// when a packet fails, the packet made ready behind it goes back to the queue unsent, with no
/// attempt counted, and nothing is left marked in flight.
struct PeerDispatcherAheadTests {
    typealias H = ExampleHierarchy
    static let t0 = Fixtures.instant("2026-11-02T09:00:00+08:00")

    /// Answers every chain as applied, except the non-greeting packets whose ordinal (from 1) is
    /// in `unreachable`, which it does not reach. Records what it was given.
    final class AnsweringTransport: PacketTransport {
        let unreachable: Set<Int>
        let log = Mutex<(packets: [Packet], inFlight: Int, overlapped: Bool)>(([], 0, false))
        init(unreachable: Set<Int> = []) { self.unreachable = unreachable }

        func send(_ body: Data, signature: String, from: NodeID, to peer: TopologyNode) async -> TransportResult {
            guard let packet = try? CanonicalJSON.decoder.decode(Packet.self, from: body) else { return .unreachable("not a packet") }
            let ordinal = log.withLock { log in
                if log.inFlight > 0 { log.overlapped = true }
                log.inFlight += 1
                log.packets.append(packet)
                return log.packets.filter { !$0.isGreeting }.count
            }
            // Time for a packet made ready behind this one to be sent early, if the code allowed it.
            try? await Task.sleep(for: .milliseconds(20))
            log.withLock { $0.inFlight -= 1 }
            if packet.isGreeting { return .delivered(PacketResponse(receipts: [], session: LinkSession.newID())) }
            if unreachable.contains(ordinal) { return .unreachable("test: packet \(ordinal) does not arrive") }
            let receipts = packet.chains.map { run in
                ItemReceipt(kind: .chain, caseNumber: run[0].caseNumber, status: .applied, head: run.last!.seq)
            }
            return .delivered(PacketResponse(receipts: receipts))
        }

        var sent: [Packet] { log.withLock { $0.packets.filter { !$0.isGreeting } } }
        var overlapped: Bool { log.withLock { $0.overlapped } }
    }

    /// A county with `cases` registrations queued for its city (one item a case).
    func county(cases: Int, transport: AnsweringTransport, clock: ManualClock) async throws -> (NodeDatabase, PeerDispatcher) {
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
            preparesAhead: true
        )
        #expect(await dispatcher.perform(.greet, jitter: 0.5) == .greeted)
        return (db, dispatcher)
    }

    /// The city's outbox items by state (the states that hold any).
    func counts(_ db: NodeDatabase) async throws -> [String: Int] {
        (try await db.outboxSummary().first { $0.peer == H.changsha.rawValue }?.counts ?? [:]).filter { $0.value > 0 }
    }

    @Test func oneAttemptSendsEveryDuePacketInOrderEachItemOnce() async throws {
        let perPacket = DeliveryPolicy.itemsPerPacketMax
        let transport = AnsweringTransport()
        let clock = ManualClock(Self.t0)
        let (db, dispatcher) = try await county(cases: 2 * perPacket + perPacket / 2, transport: transport, clock: clock)

        #expect(await dispatcher.perform(.attempt, jitter: 0.5) == .delivered)

        let sent = transport.sent
        #expect(sent.map(\.chains.count) == [perPacket, perPacket, perPacket / 2])
        #expect(sent.map(\.packetSeq) == [1, 2, 3], "numbered in the order they are sent")
        #expect(Set(sent.map(\.session)).count == 1)
        let cases = sent.flatMap { $0.chains.map { $0[0].caseNumber } }
        #expect(Set(cases).count == cases.count, "no case sent twice")
        #expect(!transport.overlapped, "a packet is sent only after the one before it is answered")
        let after = try await counts(db)
        #expect(after == ["acknowledged": cases.count])
        #expect(await dispatcher.perform(.attempt, jitter: 0.5) == .nothingDue(nextDue: nil))
    }

    @Test func aFailedPacketSendsTheOneReadyBehindItBackToTheQueueUncounted() async throws {
        let perPacket = DeliveryPolicy.itemsPerPacketMax
        let transport = AnsweringTransport(unreachable: [2])
        let clock = ManualClock(Self.t0)
        let (db, dispatcher) = try await county(cases: 2 * perPacket + perPacket / 2, transport: transport, clock: clock)

        guard case .failed(let retryAt) = await dispatcher.perform(.attempt, jitter: 0.5) else {
            Issue.record("the second packet did not reach the city: the attempt fails")
            return
        }
        #expect(transport.sent.count == 2, "the packet made ready behind the failed one is not sent")
        // The first was acknowledged, the second failed (one attempt each); the third batch, made
        // ready while the second was in flight, is queued again as it was: nothing stays in flight.
        let afterFailure = try await counts(db)
        #expect(afterFailure == ["acknowledged": perPacket, "failed": perPacket, "pending": perPacket / 2])
        let waiting = try await db.outboxSummary().first { $0.peer == H.changsha.rawValue }!.items
        #expect(waiting.filter { $0.state == "pending" }.allSatisfy { $0.attempts == 0 }, "the unsent batch counts no attempt")
        #expect(waiting.filter { $0.state == "failed" }.allSatisfy { $0.attempts == 1 })

        // After the failed packet's retry time, the rest goes: the requeued items in a new packet.
        clock.set(retryAt)
        #expect(await dispatcher.perform(.attempt, jitter: 0.5) == .delivered)
        let afterRetry = try await counts(db)
        #expect(afterRetry == ["acknowledged": 2 * perPacket + perPacket / 2])
        let numbers = transport.sent.map(\.packetSeq)
        #expect(numbers == numbers.sorted() && Set(numbers).count == numbers.count, "numbers only grow: \(numbers)")
    }
}
