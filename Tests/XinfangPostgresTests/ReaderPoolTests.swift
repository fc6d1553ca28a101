import Foundation
import Testing
import XinfangPostgres
import XinfangStore
import XinfangTesting

/// A PostgreSQL server's reads run side by side on its pool of read connections: a quick read
/// started while a slow one runs finishes first. With one read connection it waits its turn, which
/// shows the test can tell the two apart.
struct ReaderPoolTests {
    @Test(arguments: [1, 2, 4])
    func aQuickReadDoesNotWaitForASlowOne(readers: Int) async throws {
        try await TestPostgres.withCluster { socket in
            let store = PostgresTransactions(StoreBackend.location(socket), readers: readers)
            // The group's results come in the order the reads finish.
            let finished = try await withThrowingTaskGroup(of: String.self) { group in
                group.addTask {
                    let one: Int? = try await store.reading { db in try db.value("SELECT 1 FROM pg_sleep(3)") }
                    return one == 1 ? "slow" : "slow read answered \(String(describing: one))"
                }
                try await Task.sleep(for: .milliseconds(500))
                group.addTask {
                    let two: Int? = try await store.reading { db in try db.value("SELECT 2") }
                    return two == 2 ? "quick" : "quick read answered \(String(describing: two))"
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            await store.close()
            #expect(finished == (readers == 1 ? ["slow", "quick"] : ["quick", "slow"]))
        }
    }

    /// More reads at once than connections: each waits for a free one, and all complete.
    @Test func moreReadsThanConnectionsAllComplete() async throws {
        try await TestPostgres.withCluster { socket in
            let store = PostgresTransactions(StoreBackend.location(socket), readers: 2)
            let sum = try await withThrowingTaskGroup(of: Int.self) { group in
                for n in 1...20 { group.addTask { try await store.reading { db in try db.value("SELECT CAST(? AS BIGINT)", [n]) ?? 0 } } }
                return try await group.reduce(0, +)
            }
            await store.close()
            #expect(sum == 210)
        }
    }
}
