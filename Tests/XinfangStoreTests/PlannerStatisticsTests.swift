import Foundation
import GRDB
import Testing
import XinfangCore
import XinfangTesting

@testable import XinfangStore

/// The cases' planner statistics are taken when missing or stale, and not otherwise; with them the
/// planner reads a holder's open cases from the partial index of open cases.
struct PlannerStatisticsTests {
    let units = [NodeID("430102"), NodeID("430104"), NodeID("430000")]

    func statRows(_ db: NodeDatabase) async throws -> Int {
        try await db.readSQLite { db in
            guard try db.tableExists("sqlite_stat1") else { return 0 }
            return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'cases'") ?? 0
        }
    }

    @Test func statisticsAreTakenWhenMissingOrStaleOnly() async throws {
        let db = try NodeDatabase.inMemory(node: NodeID("430000"))
        let now = Date()
        try await db.loadSyntheticCases(count: NodeDatabase.statisticsFloor - 1, units: units, now: now, years: 1)
        #expect(try await db.refreshPlannerStatistics() == false, "a small store keeps the defaults")
        #expect(try await statRows(db) == 0)

        // Past the floor: taken once, then not again while the count stays within the drift.
        try await db.writeSQLite { db in
            try db.execute(sql: "DELETE FROM case_states")
            try db.execute(sql: "DELETE FROM cases")
        }
        try await db.loadSyntheticCases(count: NodeDatabase.statisticsFloor * 2, units: units, now: now, years: 1)
        #expect(try await db.refreshPlannerStatistics())
        #expect(try await statRows(db) > 0)
        #expect(try await db.refreshPlannerStatistics() == false)

        // As if they had been taken at another count: stale beyond a factor of two either way.
        let count = NodeDatabase.statisticsFloor * 2
        for (takenAt, stale) in [(count / 2 + 1, false), (count / 2 - 1, true), (count * 2, false), (count * 2 + 1, true)] {
            try await db.writeSQLite { db in
                try db.execute(
                    sql: "UPDATE sqlite_stat1 SET stat = ? WHERE tbl = 'cases' AND idx = 'sqlite_autoindex_cases_1'",
                    arguments: ["\(takenAt) 1"]
                )
            }
            #expect(try await db.refreshPlannerStatistics() == stale, "taken at \(takenAt), \(count) cases now")
        }
        let retaken = try await db.readSQLite { db in
            try String.fetchOne(db, sql: "SELECT stat FROM sqlite_stat1 WHERE idx = 'sqlite_autoindex_cases_1'")
        }
        #expect(retaken?.hasPrefix("\(count) ") == true, "taken again at the count of now")
    }

    @Test func withStatisticsAHoldersOpenCasesComeFromThePartialIndex() async throws {
        let db = try NodeDatabase.inMemory(node: NodeID("430000"))
        try await db.loadSyntheticCases(count: NodeDatabase.statisticsFloor * 4, units: units, now: Date(), years: 3)
        #expect(try await db.refreshPlannerStatistics())
        let plan = try await db.readSQLite { db in
            try Row.fetchAll(
                db,
                sql: "EXPLAIN QUERY PLAN SELECT case_number FROM cases WHERE holder = ? AND is_open = ?",
                arguments: ["430000", true]
            )
            .map { $0["detail"] as String }.joined(separator: "\n")
        }
        #expect(plan.contains("cases_open"), "\(plan)")
    }
}
