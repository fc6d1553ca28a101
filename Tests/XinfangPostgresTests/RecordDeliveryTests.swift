import Foundation
import Testing
import XinfangCore
import XinfangTesting

@testable import XinfangStore

/// The sender's record of a packet's answers (`NodeDatabase.recordDelivery`), on both backends:
/// each item becomes what its receipt says (applied: acknowledged; a gap: pending again from the
/// receiver's head; rejected: failed, its attempt counted; no receipt: failed as unanswered), and
/// a packet of many items is recorded in a few statements, not two an item.
struct RecordDeliveryTests {
    static let now = NodeSyncTests.now

    /// Records the answers through a session that counts the statements; how many there were.
    static func record(_ db: some SQLSession, _ batch: OutboxBatch, _ receipts: [ItemReceipt]) throws -> Int {
        let counting = GatheringSessionTests.Counting(db)
        try NodeDatabase.recordDelivery(counting, batch, receipts: receipts, now: now, jitter: 0)
        return counting.statements
    }

    @Test(arguments: StoreBackend.allCases)
    func eachItemBecomesWhatItsReceiptSaysInAFewStatements(_ backend: StoreBackend) async throws {
        let (topology, keys) = NodeSyncTests.hierarchy()
        let hierarchies = [Fixtures.city, Fixtures.county].map { ($0, Hierarchy(topology: topology, key: keys[$0]!)) }
        try await backend.withNodes(Dictionary(uniqueKeysWithValues: hierarchies)) { nodes in
            let (city, county) = (nodes[Fixtures.city]!, nodes[Fixtures.county]!)
            let cases = 100
            let numbers = try await NodeSyncTests.transferred(cases, from: city)
            try await city.startSending(to: Fixtures.county, session: try await county.openReceiving(from: Fixtures.city, now: Self.now))
            let batch = try #require(try await city.nextBatch(for: Fixtures.county, now: Self.now))
            #expect(batch.itemIDs.count == cases)
            // Every run's last event is the case's head: 2 events a case.
            var receipts = numbers.map { ItemReceipt(kind: .chain, caseNumber: $0, status: .applied, head: 2) }
            receipts[1] = ItemReceipt(kind: .chain, caseNumber: numbers[1], status: .gap, head: 1, code: .gap, detail: "from 1")
            receipts[2] = ItemReceipt(kind: .chain, caseNumber: numbers[2], status: .rejected, head: 0, code: .invalidChain, detail: "bad")
            receipts.remove(at: 3)  // the fourth case has no receipt
            let recorded = receipts
            let statements = try await city.write { db in try Self.record(db, batch, recorded) }
            #expect(statements <= 12, "\(statements) statements for \(cases) items")
            let items = try await city.read { db in
                try numbers.map { number in try #require(try OutboxTable.find(db, .chain(Fixtures.county, number))).item }
            }
            #expect(items[0].state == .acknowledged && items[0].ackedSeq == 2)
            #expect(items[1].state == .pending && items[1].ackedSeq == 1, "a gap resends from the receiver's head")
            #expect(items[2].state == .failed && items[2].attempts == 1 && items[2].lastErrorKind == .rejected)
            #expect(items[3].state == .failed && items[3].lastErrorKind == .unanswered)
            #expect(items[4...].allSatisfy { $0.state == .acknowledged && $0.ackedSeq == 2 && $0.attempts == 0 })
        }
    }
}
