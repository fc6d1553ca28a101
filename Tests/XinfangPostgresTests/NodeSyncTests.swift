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

    @Test(arguments: StoreBackend.allCases)
    func theCitysPacketsAreAppliedOnceAndTheCountysWorkGoesBack(_ backend: StoreBackend) async throws {
        let (topology, keys) = Self.hierarchy()
        let city = try NodeDatabase.inMemory(node: Fixtures.city, hierarchy: Hierarchy(topology: topology, key: keys[Fixtures.city]!))
        let cases = 40
        var numbers: [CaseNumber] = []
        for i in 0..<cases {
            let (state, _) = try await city.register(Fixtures.registration(receivedAt: Self.now, summary: "反映拖欠工资 \(i)"), actor: "登记员", now: Self.now)
            _ = try await city.act(
                on: state.caseNumber,
                action: .offer(to: Fixtures.county, mode: .transfer, dueAt: nil, note: nil),
                actor: "经办人",
                now: Self.now
            )
            numbers.append(state.caseNumber)
        }
        try await backend.withNode(Fixtures.county, hierarchy: Hierarchy(topology: topology, key: keys[Fixtures.county]!)) { county in
            try await city.startSending(to: Fixtures.county, session: try await county.openReceiving(from: Fixtures.city, now: Self.now))
            var packets = 0
            var firstPacket: OutboxBatch?
            while let batch = try await city.nextBatch(for: Fixtures.county, now: Self.now) {
                let number = try #require(batch.number)
                let receipts = try await county.receivePacket(from: Fixtures.city, number: number, chains: batch.chains, now: Self.now)
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
                try await county.receivePacket(from: Fixtures.city, number: replay.number!, chains: replay.chains, now: Self.now)
            }
            #expect(try await county.counts() == (cases: cases, events: 2 * cases))

            // The county accepts a case: its event goes back up to the city.
            let accepted = try await county.act(on: numbers[0], action: .accept, actor: "承办人", now: Self.now)
            let up = try #require(try await county.nextBatch(for: Fixtures.city, now: Self.now))
            #expect(up.chains.flatMap { $0 }.contains { $0.hash == accepted.headHash })
            let report = try await county.verifyIntegrity()
            #expect(report.ok, "\(report.problems)")
            #expect(report.events == 2 * cases + 1)
        }
    }
}
