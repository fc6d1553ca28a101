import Foundation
import GRDB
import Testing
import XinfangCore
import XinfangTesting

@testable import XinfangStore

/// The backlog's one pass over the open cases (migration 020): on both backends its counts are
/// what each open case's own columns say, counted here one case at a time, and on SQLite the pass
/// reads the partial index of open cases in its order, with no sort.
struct BacklogPassTests {
    static let units = [NodeID("430102"), NodeID("430104"), NodeID("430100"), NodeID("430000")]

    /// Each open case counted one at a time from its row, as `BacklogCounts` says each count is.
    static func countedOneByOne(_ db: NodeDatabase, now: Date, lights: DueLightRule) async throws -> [NodeID: BacklogCounts] {
        let rows = try await db.read { db in
            try db.rows(
                """
                SELECT holder, status, next_due_kind, next_due_at, petition_received_at, assigned_by, supervision_due_at
                FROM cases WHERE is_open = 1
                """,
                arguments: [],
                cached: false
            )
        }
        let today = db.calendar.civilDate(of: now)
        var result: [NodeID: BacklogCounts] = [:]
        for row in rows {
            var counts = result[NodeID(row["holder"] as String), default: BacklogCounts()]
            let status: String = row["status"]
            counts.open += 1
            counts.byStatus[status, default: 0] += 1
            if let phase = CaseStatus(rawValue: status)?.backlogPhase { counts.byPhase[phase.rawValue, default: 0] += 1 }
            let received = Date(timeIntervalSince1970: Double(row["petition_received_at"] as Int64) / 1000)
            let age = today.daysSinceEpoch - db.calendar.civilDate(of: received).daysSinceEpoch
            counts.byAge[AgeBucket(days: age).rawValue, default: 0] += 1
            if let due = row["next_due_at"] as Int64? {
                if due < now.milliseconds {
                    counts.overdue += 1
                    counts.overdueByKind[row["next_due_kind"] as String, default: 0] += 1
                } else if due <= lights.yellowUntil.milliseconds {
                    counts.dueSoon += 1
                }
            }
            if (row["assigned_by"] as String?) != nil { counts.awaitingClosureReport += 1 }
            if let feedbackDue = row["supervision_due_at"] as Int64? {
                counts.awaitingSupervisionFeedback += 1
                if feedbackDue < now.milliseconds { counts.supervisionFeedbackOverdue += 1 }
            }
            result[NodeID(row["holder"] as String)] = counts
        }
        return result
    }

    @Test(arguments: StoreBackend.allCases)
    func theBacklogCountsWhatEachOpenCaseSays(_ backend: StoreBackend) async throws {
        try await backend.withNode(NodeID("430000")) { db in
            let now = Date()
            try await db.loadSyntheticCases(count: 4_000, units: Self.units, now: now, years: 1)
            let lights = DueLightRule(now: now, workingDays: 3, calendar: db.calendar)
            let backlog = try await db.backlog(now: now, lights: lights)
            let expected = try await Self.countedOneByOne(db, now: now, lights: lights)
            // What the comparison rests on: several holders, each with overdue cases of both kinds.
            #expect(Set(expected.keys) == Set(Self.units))
            for unit in Self.units {
                #expect(expected[unit]?.overdueByKind.keys.sorted() == ["handling", "notice"], "\(unit)")
                #expect((expected[unit]?.byStatus.count ?? 0) >= 3, "\(unit)")
            }
            #expect(backlog == expected)
        }
    }

    @Test func onSQLiteThePassReadsTheOpenIndexInItsOrderWithNoSort() async throws {
        let db = try NodeDatabase.inMemory(node: NodeID("430000"))
        let now = Date()
        try await db.loadSyntheticCases(count: NodeDatabase.statisticsFloor * 4, units: Self.units, now: now, years: 1)
        for statistics in [false, true] {
            if statistics { #expect(try await db.refreshPlannerStatistics()) }
            let sql = db.backlogPassSQL(now: now)
            let plan = try await db.readSQLite { db in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: [0, 0, 0, 0]).map { $0["detail"] as String }
            }
            #expect(
                plan.contains { $0.contains("USING INDEX cases_open") || $0.contains("USING COVERING INDEX cases_open") },
                "statistics: \(statistics), \(plan)"
            )
            #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "statistics: \(statistics), \(plan)")
        }
    }
}
