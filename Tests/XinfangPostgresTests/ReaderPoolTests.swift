import Foundation
import Synchronization
import Testing
import XinfangPostgres
import XinfangStore
import XinfangTesting

/// A PostgreSQL server's reads run side by side on its pool of read connections: a read that
/// waits (for an advisory lock the test holds) does not hold up a quick one. The lock is given back
/// only once the quick read has answered, so with one connection for both the waiting read would
/// wait until its `lock_timeout` and the test would fail. No timing is assumed: the waiting read's
/// bound (`waitBound`) only ends that deadlock, and is far above what opening a connection and
/// answering `SELECT 2` takes on a loaded machine (the store's own 5 s was not, in CI).
struct ReaderPoolTests {
    static let waitBound = "120s"

    final class Answered: Sendable {
        let flag = Atomic<Bool>(false)
    }

    @Test(arguments: [2, 4])
    func aQuickReadDoesNotWaitForASlowOne(readers: Int) async throws {
        try await TestPostgres.withCluster { socket in
            let location = StoreBackend.location(socket)
            let store = PostgresTransactions(location, readers: readers)
            let holder = PostgresTransactions(location)
            let release = DispatchSemaphore(value: 0)
            let quickAnswered = Answered()
            let (held, signalHeld) = AsyncStream<Void>.makeStream()
            let finished = try await withThrowingTaskGroup(of: String.self) { group in
                group.addTask {
                    try await holder.writing { db in
                        try db.execute("SELECT 1 FROM (SELECT pg_advisory_xact_lock(77)) AS taken")
                        signalHeld.yield()
                        release.wait()
                    }
                    return "holder"
                }
                for await _ in held { break }
                group.addTask {
                    let one: Int? = try await store.reading { db in
                        try db.execute("SET LOCAL lock_timeout = '\(Self.waitBound)'")
                        return try db.value("SELECT 1 FROM (SELECT pg_advisory_xact_lock_shared(77)) AS waited")
                    }
                    return one == 1 && quickAnswered.flag.load(ordering: .sequentiallyConsistent)
                        ? "slow after quick" : "slow read: \(String(describing: one))"
                }
                try await Task.sleep(for: .milliseconds(300))
                group.addTask {
                    let two: Int? = try await store.reading { db in try db.value("SELECT 2") }
                    quickAnswered.flag.store(two == 2, ordering: .sequentiallyConsistent)
                    release.signal()
                    return two == 2 ? "quick" : "quick read answered \(String(describing: two))"
                }
                return try await group.reduce(into: []) { $0.append($1) }.filter { $0 != "holder" }.sorted()
            }
            await store.close()
            await holder.close()
            #expect(finished == ["quick", "slow after quick"])
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
