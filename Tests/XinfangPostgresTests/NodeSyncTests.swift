import Foundation
import Testing
import XinfangCore
import XinfangStore
import XinfangTesting

/// A county's store receiving the city's packets, on both backends (the city on SQLite): every
/// chain applied once in its packet's transaction, a replayed packet refused, and the county's own
/// work queued back up to the city.
struct NodeSyncTests {
    static let now = Fixtures.instant("2026-11-02T09:00:00+08:00")

    static func hierarchy() -> (Topology, [NodeID: NodeKey]) {
        let keys = [Fixtures.city: NodeKey(), Fixtures.county: NodeKey(), Fixtures.province: NodeKey()]
        let nodes: [(NodeID, String, Level, NodeID?)] = [
            (Fixtures.province, "湖南省", .province, nil), (Fixtures.city, "长沙市", .city, Fixtures.province),
            (Fixtures.county, "芙蓉区", .county, Fixtures.city),
        ]
        let topology = Topology(
            nodes: nodes.map { id, name, level, parent in
                TopologyNode(id: id, name: name, level: level, parent: parent, baseURL: "direct://\(id)", publicKey: keys[id]!.publicKeyBase64)
            }
        )
        return (topology, keys)
    }

    /// `count` cases the city registers and transfers to the county, in order (with `text` as
    /// each one's full text, when given).
    static func transferred(_ count: Int, from city: NodeDatabase, text: String? = nil) async throws -> [CaseNumber] {
        var numbers: [CaseNumber] = []
        for i in 0..<count {
            var registration = Fixtures.registration(receivedAt: now, summary: "反映拖欠工资 \(i)")
            if let text { registration.text = text }
            let (state, _) = try await city.register(registration, actor: "登记员", now: now)
            _ = try await city.act(
                on: state.caseNumber,
                action: .offer(to: Fixtures.county, mode: .transfer, dueAt: nil, note: nil),
                actor: "经办人",
                now: now
            )
            numbers.append(state.caseNumber)
        }
        return numbers
    }

    @Test(arguments: StoreBackend.allCases)
    func theCitysPacketsAreAppliedOnceAndTheCountysWorkGoesBack(_ backend: StoreBackend) async throws {
        let (topology, keys) = Self.hierarchy()
        let city = try NodeDatabase.inMemory(node: Fixtures.city, hierarchy: Hierarchy(topology: topology, key: keys[Fixtures.city]!))
        let cases = 40
        let numbers = try await Self.transferred(cases, from: city)
        try await backend.withNode(Fixtures.county, hierarchy: Hierarchy(topology: topology, key: keys[Fixtures.county]!)) { county in
            try await city.startSending(to: Fixtures.county, session: try await county.openReceiving(from: Fixtures.city, now: Self.now))
            var packets = 0
            var firstPacket: OutboxBatch?
            while let batch = try await city.nextBatch(for: Fixtures.county, now: Self.now) {
                let number = try #require(batch.number)
                let receipts = try await county.receivePacket(from: Fixtures.city, number: number, chains: try batch.chains(), now: Self.now)
                #expect(receipts.allSatisfy { $0.status == .applied }, "\(receipts.filter { $0.status != .applied })")
                try await city.recordDelivery(batch, receipts: receipts, now: Self.now, jitter: 0)
                firstPacket = firstPacket ?? batch
                packets += 1
            }
            #expect(packets >= 1)
            #expect(try await county.counts() == (cases: cases, events: 2 * cases))
            for number in numbers {
                #expect(try await county.caseState(number) == (try await city.caseState(number)))
            }
            // The same packet again is a replay: refused, nothing stored twice.
            let replay = try #require(firstPacket)
            await #expect(throws: (any Error).self) {
                try await county.receivePacket(from: Fixtures.city, number: replay.number!, chains: try replay.chains(), now: Self.now)
            }
            #expect(try await county.counts() == (cases: cases, events: 2 * cases))

            // The county accepts a case: its event goes back up to the city.
            let accepted = try await county.act(on: numbers[0], action: .accept, actor: "承办人", now: Self.now)
            let up = try #require(try await county.nextBatch(for: Fixtures.city, now: Self.now))
            #expect(try up.chains().flatMap { $0 }.contains { $0.hash == accepted.headHash })
            let report = try await county.verifyIntegrity()
            #expect(report.ok, "\(report.problems)")
            #expect(report.events == 2 * cases + 1)
        }
    }

    /// Packets whose runs are not all plain. A case named twice in one packet (its opening, then
    /// an event after it) takes both, and the node's clock ends ahead of every time the packet
    /// carried, so the county's next event follows them. A run whose head's signature does not
    /// verify is refused alone and the run after it in its packet is stored.
    @Test(arguments: StoreBackend.allCases)
    func aRefusedRunLeavesTheRestOfItsPacketStored(_ backend: StoreBackend) async throws {
        let (topology, keys) = Self.hierarchy()
        let city = try NodeDatabase.inMemory(node: Fixtures.city, hierarchy: Hierarchy(topology: topology, key: keys[Fixtures.city]!))
        var chains: [[CaseEvent]] = []
        for number in try await Self.transferred(4, from: city) { chains.append(try await city.events(of: number)) }
        let first = chains[0]
        var forged = chains[1]
        keys[Fixtures.county]!.sign(&forged[forged.count - 1])
        try await backend.withNode(Fixtures.county, hierarchy: Hierarchy(topology: topology, key: keys[Fixtures.county]!)) { county in
            let session = try await county.openReceiving(from: Fixtures.city, now: Self.now)
            // The first case's opening alone, then its offer, then another case.
            let plain = [Array(first.prefix(1)), Array(first.dropFirst()), chains[2]]
            let receipts = try await county.receivePacket(
                from: Fixtures.city,
                number: PacketNumber(session: session, number: 1),
                chains: plain,
                now: Self.now
            )
            #expect(receipts.map(\.status) == [.applied, .applied, .applied])
            #expect(receipts.map(\.head) == [1, first.count, chains[2].count])
            #expect(try await county.caseState(first[0].caseNumber) == (try await city.caseState(first[0].caseNumber)))

            // The county's own next event is later than every event the packet brought.
            let accepted = try await county.act(on: first[0].caseNumber, action: .accept, actor: "承办人", now: Self.now)
            let latest = try #require(plain.joined().map(\.time).max())
            let own = try #require(try await county.events(of: accepted.caseNumber).last)
            #expect(own.origin == Fixtures.county)
            #expect(own.time > latest, "\(own.time) after \(latest)")

            let mixed = try await county.receivePacket(
                from: Fixtures.city,
                number: PacketNumber(session: session, number: 2),
                chains: [forged, chains[3]],
                now: Self.now
            )
            #expect(mixed.map(\.status) == [.rejected, .applied])
            #expect(mixed[0].knownCode == .badSignature)
            #expect(try await county.caseState(chains[1][0].caseNumber) == nil)
            #expect(try await county.caseState(chains[3][0].caseNumber) == (try await city.caseState(chains[3][0].caseNumber)))
            #expect(try await county.counts() == (cases: 3, events: first.count + 1 + chains[2].count + chains[3].count))
            let report = try await county.verifyIntegrity()
            #expect(report.ok, "\(report.problems)")
        }
    }
}
