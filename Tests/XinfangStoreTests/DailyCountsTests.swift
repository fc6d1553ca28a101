import Foundation
import GRDB
import Testing
import XinfangCore
import XinfangTesting

@testable import XinfangStore

/// The indicators from `daily_counts` (kept by triggers) equal a scan of `cases`, for every kind
/// of period, after rows change in every column the indicators read, and after the calendar's
/// offset changes.
struct DailyCountsTests {
    let units = [NodeID("430102"), NodeID("430104"), NodeID("430100"), NodeID("430000")]
    /// 2026-11-25 10:00 China Standard Time.
    let now = Date(timeIntervalSince1970: 1_795_572_000)

    /// Periods of whole days (past, a month, around today, into the future, two years) and two that are not.
    func periods(_ calendar: DeadlineCalendar) -> [(Date, Date)] {
        let offset = calendar.utcOffsetSeconds
        let today = calendar.civilDate(of: now)
        func day(_ d: Int) -> Date { today.adding(days: d).startOfDay(utcOffsetSeconds: offset) }
        let month = CivilDate(year: 2026, month: 3, day: 1)!.startOfDay(utcOffsetSeconds: offset)
        let monthEnd = CivilDate(year: 2026, month: 4, day: 1)!.startOfDay(utcOffsetSeconds: offset)
        let yearStart = CivilDate(year: today.year, month: 1, day: 1)!.startOfDay(utcOffsetSeconds: offset)
        return [
            (day(-730), day(1)), (yearStart, day(1)), (month, monthEnd), (day(-40), day(-39)), (day(-20), day(30)),
            (day(0), day(1)), (day(-75), day(-3)), (day(5), day(90)), (month.addingTimeInterval(3600), monthEnd),
            (day(-10), now),
        ]
    }

    /// The dashboard's monthly trend from the table equals a scan, from a month's first day and from within a month.
    func expectEqualTrends(_ db: NodeDatabase, calendar: DeadlineCalendar, _ label: String) async throws {
        let offset = calendar.utcOffsetSeconds
        let today = calendar.civilDate(of: now)
        for from in [
            CivilDate(year: today.year - 1, month: today.month, day: 1)!.startOfDay(utcOffsetSeconds: offset),
            today.adding(days: -200).startOfDay(utcOffsetSeconds: offset),
            today.adding(days: -800).startOfDay(utcOffsetSeconds: offset),
        ] {
            let counted = try await db.monthlyTrend(since: from)
            let scanned = try await db.monthlyTrendScanning(since: from)
            #expect(!scanned.isEmpty, "\(label): cases since \(from)")
            #expect(
                counted.mapValues { $0.mapValues { [$0.received, $0.closed] } }
                    == scanned.mapValues { $0.mapValues { [$0.received, $0.closed] } },
                "\(label): trend since \(from)"
            )
        }
    }

    func expectEqualCounts(_ db: NodeDatabase, calendar: DeadlineCalendar, at instants: [Date], _ label: String) async throws {
        for instant in instants {
            for (from, to) in periods(calendar) {
                let counted = try await db.indicatorCounts(from: from, to: to, now: instant)
                let scanned = try await db.indicatorCountsScanning(from: from, to: to, now: instant)
                #expect(counted == scanned, "\(label): [\(from), \(to)) at \(instant)")
                #expect(!scanned.isEmpty || to <= from || from > now, "\(label): the period \(from) has cases")
            }
        }
    }

    /// The cases at every `step`-th place (by case number), `from` on: the rows a change picks.
    func every(_ step: Int, of numbers: [String], from offset: Int = 0) -> [String] {
        stride(from: offset, to: numbers.count, by: step).map { numbers[$0] }
    }

    /// Runs `sql` with `WHERE case_number IN (…)` for `numbers`, in statements of many rows each
    /// (PostgreSQL's triggers see each statement's rows together).
    func change(_ db: NodeDatabase, _ sql: String, _ numbers: [String]) async throws {
        try await db.write { s in
            for chunk in numbers.chunked(400) {
                let placeholders = NodeDatabase.placeholders(chunk.count)
                try s.run(sql.replacingOccurrences(of: "$IN", with: "case_number IN (\(placeholders))"), arguments: Array(chunk), cached: false)
            }
        }
    }

    @Test(arguments: StoreBackend.allCases) func dailyCountsEqualAScanAsRowsChange(backend: StoreBackend) async throws {
        try await backend.withNode(NodeID("430000")) { db in
            try await db.loadSyntheticCases(count: 4000, units: units, now: now, years: 2)
            let instants = [now, now.addingTimeInterval(20 * 86_400), now.addingTimeInterval(-3 * 86_400)]
            try await expectEqualCounts(db, calendar: .standard, at: instants, "as loaded")
            try await expectEqualTrends(db, calendar: .standard, "as loaded")
            let loaded = try await db.read { s in
                try s.rows("SELECT case_number FROM cases ORDER BY case_number", arguments: [], cached: false).map { $0[0] as String }
            }
            // Cases registered one at a time through the write path: the insertion's triggers.
            for day in 0..<12 {
                _ = try await db.register(
                    Fixtures.registration(receivedAt: now.addingTimeInterval(Double(-day) * 86_400)),
                    actor: "李娜",
                    now: now
                )
            }
            try await expectEqualCounts(db, calendar: .standard, at: [now], "after registrations")
            let numbers = try await db.read { s in
                try s.rows("SELECT case_number FROM cases ORDER BY case_number", arguments: [], cached: false).map { $0[0] as String }
            }
            // Change, for some cases, every column the indicators read; delete a few rows.
            try await change(db, "UPDATE cases SET unit_node = '430104' WHERE $IN", every(17, of: numbers))
            try await change(db, "UPDATE cases SET closed_at = handling_due_at + 86400000 WHERE closed_at IS NULL AND $IN", every(3, of: numbers))
            try await change(
                db,
                "UPDATE cases SET decided_at = registered_at + 20 * 86400000 WHERE decided_at IS NULL AND $IN",
                every(2, of: numbers)
            )
            try await change(
                db,
                """
                UPDATE cases SET evaluated_at = closed_at + 86400000, office_rating = 'dissatisfied', unit_rating = 'satisfied'
                WHERE evaluated_at IS NULL AND closed_at IS NOT NULL AND $IN
                """,
                every(5, of: numbers)
            )
            try await change(db, "UPDATE cases SET law_related = 1 - law_related WHERE $IN", every(23, of: numbers))
            try await change(
                db,
                "UPDATE cases SET channel = 'online', category_l1 = '其他', is_repeat = 1, collective_batches = 2, collective_persons = 9 WHERE $IN",
                every(29, of: numbers)
            )
            try await change(db, "UPDATE cases SET registered_at = registered_at - 2678400000 WHERE $IN", every(31, of: numbers))
            try await change(db, "UPDATE cases SET handling_due_at = NULL WHERE $IN", every(37, of: numbers))
            // No indicator column: nothing to count.
            try await change(db, "UPDATE cases SET status = 'closed', ae_hash = 7 WHERE $IN", every(41, of: numbers))
            // A statement whose rows change both ways: the one's contribution moves, the other's stays.
            try await change(db, "UPDATE cases SET unit_node = unit_node, closed_at = closed_at WHERE $IN", every(7, of: numbers, from: 3))
            // Loaded rows only: a registered case has events, which keep it.
            try await change(db, "DELETE FROM case_states WHERE $IN", every(43, of: loaded))
            try await change(db, "DELETE FROM cases WHERE $IN", every(43, of: loaded))
            try await expectEqualCounts(db, calendar: .standard, at: instants, "after changes")
            try await expectEqualTrends(db, calendar: .standard, "after changes")
            let rows = try await db.read { s in
                try s.rows("SELECT count(*) FROM daily_counts WHERE grain = 'm'", arguments: [], cached: false).first.map { $0[0] as Int64 } ?? 0
            }
            #expect(rows > 0 && rows < 4000, "monthly rows summarise: \(rows)")
            // The answer does come from the table: without its monthly rows, two years count less.
            let (from, to) = periods(.standard)[0]
            try await db.write { s in try s.run("DELETE FROM daily_counts WHERE grain = 'm'", arguments: [], cached: false) }
            let counted = try await db.indicatorCounts(from: from, to: to, now: now)
            let scanned = try await db.indicatorCountsScanning(from: from, to: to, now: now)
            #expect(IndicatorCounts.sum(Array(counted.values)).registered < IndicatorCounts.sum(Array(scanned.values)).registered)
        }
    }

    /// One transaction that writes rows several times (a row updated twice, updated then deleted,
    /// inserted then updated) counts each row once, as it stands at the commit: SQLite's triggers
    /// stage each write, PostgreSQL's each statement, and both add them up before the commit. A
    /// transaction that fails leaves the counts as they were, and nothing staged.
    @Test(arguments: StoreBackend.allCases) func rowsWrittenSeveralTimesInOneTransactionCountAsTheyStand(backend: StoreBackend) async throws {
        try await backend.withNode(NodeID("430000")) { db in
            try await db.loadSyntheticCases(count: 1500, units: units, now: now, years: 1)
            let numbers = try await db.read { s in
                try s.rows("SELECT case_number FROM cases ORDER BY case_number", arguments: [], cached: false).map { $0[0] as String }
            }
            let picked = every(5, of: numbers)
            try await db.write { s in
                for (sql, rows) in [
                    ("UPDATE cases SET unit_node = '430104' WHERE $IN", picked),
                    ("UPDATE cases SET unit_node = '430102', closed_at = registered_at + 86400000 WHERE $IN", picked),
                    ("UPDATE cases SET decided_at = registered_at + 3 * 86400000 WHERE decided_at IS NULL AND $IN", every(3, of: picked)),
                    ("DELETE FROM case_states WHERE $IN", every(7, of: picked)),
                    ("DELETE FROM cases WHERE $IN", every(7, of: picked)),
                ] {
                    let placeholders = NodeDatabase.placeholders(rows.count)
                    try s.run(sql.replacingOccurrences(of: "$IN", with: "case_number IN (\(placeholders))"), arguments: rows, cached: false)
                }
                let staged = try !DailyCounts.nothingStaged(s)
                #expect(staged || s.dialect == .postgres, "SQLite's triggers stage within the transaction")
            }
            let left = try await db.write { s in try DailyCounts.nothingStaged(s) }
            #expect(left, "the commit before counted what was staged")
            try await expectEqualCounts(db, calendar: .standard, at: [now], "after one transaction of many writes")

            let before = try await db.indicatorCounts(from: periods(.standard)[0].0, to: periods(.standard)[0].1, now: now)
            struct Refused: Error {}
            await #expect(throws: Refused.self) {
                try await db.write { s in
                    _ = try s.run("UPDATE cases SET unit_node = '430104', law_related = 1 - law_related", arguments: [], cached: false)
                    throw Refused()
                }
            }
            let after = try await db.indicatorCounts(from: periods(.standard)[0].0, to: periods(.standard)[0].1, now: now)
            #expect(after == before, "a transaction that failed counted nothing")
            let leftAfterFailure = try await db.write { s in try DailyCounts.nothingStaged(s) }
            #expect(leftAfterFailure)
            try await expectEqualCounts(db, calendar: .standard, at: [now], "after a failed transaction")
        }
    }

    @Test func anotherCalendarOffsetRecountsTheTable() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("daily-counts-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        do {
            let db = try NodeDatabase.open(directory: dir, node: NodeID("430000"), calendar: .standard, durability: .processCrashOnly)
            try await db.loadSyntheticCases(count: 1500, units: units, now: now, years: 1)
        }
        let utc = DeadlineCalendar(utcOffsetSeconds: 0)
        let reopened = try NodeDatabase.open(directory: dir, node: NodeID("430000"), calendar: utc, durability: .processCrashOnly)
        let meta = try await reopened.readSQLite { db in try NodeMeta.get(db, "daily_counts") }
        #expect(meta == DailyCounts.signature(offsetMs: 0, .sqlite))
        try await expectEqualCounts(reopened, calendar: utc, at: [now], "UTC")
        try await expectEqualTrends(reopened, calendar: utc, "UTC")
    }
}
