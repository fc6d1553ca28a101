import Testing
import XinfangCore
import XinfangTesting

@testable import XinfangStore

/// On PostgreSQL the daily counts' spans are read without parallel workers, for the rest of their
/// transaction only (`SQLDialect.serialPlans`): on its defaults the planner started two workers
/// for the few thousand rows of three years' counts, which took twice as long as one process
/// reading them (docs/BENCHMARKS.md, P9). Other reads keep the planner's choice.
struct SerialPlansTests {
    static let setting = "SELECT current_setting('max_parallel_workers_per_gather')"

    @Test func theDailySpansAreReadWithoutParallelWorkersForTheirTransactionOnly() async throws {
        try await StoreBackend.postgres.withNode { db in
            let (before, during) = try await db.read { session in
                let before = try session.value(Self.setting, as: String.self)
                var counts: [NodeID: IndicatorCounts] = [:]
                let span = NodeDatabase.DailySpan(measures: ["registered"], fromDay: 20_000, toDay: 20_100)
                try NodeDatabase.addDailyCounts(session, [span], into: &counts)
                return (before, try session.value(Self.setting, as: String.self))
            }
            let after = try await db.read { try $0.value(Self.setting, as: String.self) }
            #expect(before != nil && before != "0", "PostgreSQL's own setting before the spans")
            #expect(during == "0")
            #expect(after == before)
        }
    }
}
