import Foundation
import Testing
import XinfangCore
import XinfangTesting

@testable import XinfangStore

/// Which of a packet's events are stored (`NodeDatabase.storedHashes`), on both backends, each
/// reading by its own key (SQLite under the case, PostgreSQL by the hash): a stored event and its
/// predecessor are found; an event not stored is not; and a predecessor stored under another
/// case is not taken for the run's, whichever key found it.
struct StoredHashesTests {
    static let now = Fixtures.instant("2026-11-02T09:00:00+08:00")

    @Test(arguments: StoreBackend.allCases)
    func onlyTheRunsOwnCasesEventsAreKnown(_ backend: StoreBackend) async throws {
        try await backend.withNode { store in
            var numbers: [CaseNumber] = []
            for i in 0..<2 {
                let (state, _) = try await store.register(
                    Fixtures.registration(receivedAt: Self.now, summary: "反映拖欠工资 \(i)"),
                    actor: "登记员",
                    now: Self.now
                )
                _ = try await store.act(on: state.caseNumber, action: .comment(text: "已电话联系信访人"), actor: "登记员", now: Self.now)
                numbers.append(state.caseNumber)
            }
            let first = try await store.events(of: numbers[0])
            let second = try await store.events(of: numbers[1])
            #expect(first.count == 2 && second.count == 2)
            // A run of the second case whose event names the first case's head as its predecessor.
            var borrowing = second[1]
            borrowing.prevHash = first[1].hash
            // An event of the first case that is not stored.
            var unstored = first[1]
            unstored.hash = String(repeating: "0", count: 64)
            let (runs, borrowingRun) = ([first, [unstored]], [[borrowing]])
            let (own, borrowed) = try await store.read { db in
                (
                    try NodeDatabase.storedHashes(db, of: runs),
                    try NodeDatabase.storedHashes(db, of: borrowingRun)
                )
            }
            #expect(own == Set(first.map(\.hash)), "the stored events and the predecessor, not the one never stored")
            #expect(borrowed == [second[1].hash], "another case's event is not a predecessor here")
        }
    }
}
