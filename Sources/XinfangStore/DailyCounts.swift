import Foundation
import GRDB
import XinfangCore

/// The measures of `daily_counts` and the SQL that keeps them.
enum DailyCounts {
    static let dayMs = IndicatorRules.dayMs

    /// Bumped whenever the measures or their SQL change: a store whose triggers were written by
    /// another version rewrites them and recounts.
    /// v2: 及时受理 and 按期办结 are judged by the case's own deadlines (`accept_due_at`,
    /// `handling_due_at` met at `handling_met_at`), whole days moved past rest days.
    /// v3: receipts (`received`, by 收件日期) for the dashboard's monthly trend.
    static let version = 3

    /// What `node_meta.daily_counts` says when the triggers and the counts are current. On
    /// PostgreSQL the triggers are per statement (`postgresTriggersSQL`), on SQLite they stage
    /// each row (`stagedTable`); a store whose triggers added each row's counts themselves
    /// rewrites them.
    static func signature(offsetMs: Int64, _ dialect: SQLDialect) -> String {
        "v\(version) \(dialect == .postgres ? "per statement" : "staged") offset \(offsetMs)"
    }

    /// The offset of `calendar`'s zone, at whose midnight the counts' days are cut.
    static func offsetMs(_ calendar: DeadlineCalendar) -> Int64 { Int64(calendar.utcOffsetSeconds) * 1000 }

    /// Writes the triggers for `offsetMs` and recounts every case, unless they are current.
    static func install(_ db: some SQLSession, offsetMs: Int64) throws {
        let wanted = signature(offsetMs: offsetMs, db.dialect)
        guard try NodeMeta.get(db, "daily_counts") != wanted else { return }
        let d = db.dialect
        try run(db, dropTriggersSQL(d) + triggersSQL(offsetMs: offsetMs, d) + recountSQL(offsetMs: offsetMs, d))
        try NodeMeta.set(db, "daily_counts", wanted)
    }

    /// Runs statements one at a time (the extended protocol of PostgreSQL takes one at a time).
    static func run(_ db: some SQLSession, _ statements: [String]) throws {
        for statement in statements { try db.run(statement, arguments: [], cached: false) }
    }

    static func dropTriggersSQL(_ dialect: SQLDialect) -> [String] {
        let on = dialect == .postgres ? " ON cases" : ""
        let drops = ["daily_counts_insert", "daily_counts_delete", "daily_counts_update"].map { "DROP TRIGGER IF EXISTS \($0)\(on)" }
        // The per-row function PostgreSQL's triggers called before they were per statement.
        return drops + (dialect == .postgres ? ["DROP FUNCTION IF EXISTS daily_counts_of_case()"] : [])
    }

    /// Runs `load` (many rows written at once: the benchmark's synthetic province) without the
    /// triggers, then counts once from the rows, one GROUP BY per measure instead of a trigger per
    /// row. In the caller's transaction: no one sees the counts before they are whole.
    static func bulkLoad(_ db: some SQLSession, offsetMs: Int64, _ load: () throws -> Void) throws {
        try run(db, dropTriggersSQL(db.dialect))
        try load()
        try run(db, triggersSQL(offsetMs: offsetMs, db.dialect) + recountSQL(offsetMs: offsetMs, db.dialect))
    }

    /// Whether the counts were made for `offsetMs` by this version.
    static func areCurrent(_ db: some SQLSession, offsetMs: Int64) throws -> Bool {
        try NodeMeta.get(db, "daily_counts") == signature(offsetMs: offsetMs, db.dialect)
    }

    /// One measure: which rows count, at which time, under which keys, with which values.
    struct Measure {
        var name: String
        /// The time column (an expression over the row `R`) whose day or month is the period.
        var time: String
        var condition: String
        var k1: String = "''"
        var k2: String = "''"
        /// n, a, b, c, d, e, f.
        var values: [String]
    }

    static var measures: [Measure] {
        let due = "R.accept_due_at"
        let one = ["1", "0", "0", "0", "0", "0", "0"]
        return [
            Measure(
                name: "registered",
                time: "R.registered_at",
                condition: "1",
                k1: "R.channel",
                values: [
                    "1", "R.is_repeat", "R.skip_level", "R.joint_letter", "(R.collective_batches > 0)", "R.collective_batches",
                    "R.collective_persons",
                ]
            ),
            Measure(name: "category", time: "R.registered_at", condition: "1", k1: "R.category_l1", values: one),
            Measure(
                name: "acceptance",
                time: due,
                condition: "R.law_related = 0 AND R.accept_due_at IS NOT NULL",
                values: [
                    "1", "(R.decided_at IS NOT NULL AND R.decided_at <= \(due))", "(R.decided_at IS NOT NULL AND R.decided_at > \(due))",
                    "(R.decided_at IS NULL)", "0", "0", "0",
                ]
            ),
            Measure(
                name: "closure",
                time: "R.handling_due_at",
                condition: "R.law_related = 0 AND R.handling_due_at IS NOT NULL",
                values: [
                    "1", "(R.handling_met_at IS NOT NULL AND R.handling_met_at <= R.handling_due_at)",
                    "(R.handling_met_at IS NOT NULL AND R.handling_met_at > R.handling_due_at)", "(R.handling_met_at IS NULL)", "0", "0", "0",
                ]
            ),
            Measure(
                name: "evaluated",
                time: "R.evaluated_at",
                condition: "R.law_related = 0 AND R.evaluated_at IS NOT NULL",
                k1: "coalesce(R.office_rating, '')",
                k2: "coalesce(R.unit_rating, '')",
                values: one
            ),
            Measure(
                name: "evaluationDue",
                time: "R.eval_due_at",
                condition: "R.law_related = 0 AND R.evaluated_at IS NULL AND R.eval_due_at IS NOT NULL",
                values: one
            ),
            // Every receipt (by 收件日期, so an imported ledger lands in its own months) and every
            // closure, for the dashboard's monthly trend.
            Measure(name: "received", time: "R.petition_received_at", condition: "1", values: one),
            Measure(name: "closed", time: "R.closed_at", condition: "R.closed_at IS NOT NULL", values: one),
        ]
    }

    /// The columns whose change changes a case's contribution.
    static let columns = [
        "registered_at", "unit_node", "channel", "category_l1", "is_repeat", "skip_level", "joint_letter", "collective_batches",
        "collective_persons", "law_related", "decided_at", "handling_due_at", "closed_at", "evaluated_at", "office_rating",
        "unit_rating", "eval_due_at", "accept_due_at", "handling_met_at", "petition_received_at",
    ]

    /// The period of `time` (milliseconds) at `grain`: the civil day number, or year × 12 + month − 1.
    static func period(_ grain: String, of time: String, offsetMs: Int64, _ dialect: SQLDialect) -> String {
        let local = "((\(time)) + \(offsetMs))"
        if grain == "d" { return "(\(local) / \(dayMs))" }
        switch dialect {
        case .sqlite:
            let moment = "\(local) / 1000, 'unixepoch'"
            return "(CAST(strftime('%Y', \(moment)) AS INTEGER) * 12 + CAST(strftime('%m', \(moment)) AS INTEGER) - 1)"
        case .postgres:
            let moment = "(to_timestamp(\(local) / 1000) AT TIME ZONE 'UTC')"
            return "CAST(EXTRACT(YEAR FROM \(moment)) * 12 + EXTRACT(MONTH FROM \(moment)) - 1 AS BIGINT)"
        }
    }

    /// A measure's value as a number: PostgreSQL does not take a comparison for 0 or 1 as SQLite does.
    static func number(_ expression: String, _ dialect: SQLDialect) -> String {
        dialect == .postgres ? "CAST((\(expression)) AS INTEGER)" : expression
    }

    /// A measure's condition: SQLite's `1` is PostgreSQL's `TRUE`.
    static func condition(_ condition: String, _ dialect: SQLDialect) -> String {
        dialect == .postgres && condition == "1" ? "TRUE" : condition
    }

    /// Adds a contribution to its row. PostgreSQL (in a trigger's function) wants the table's
    /// columns named with the table; SQLite's triggers were written without, and stay so.
    static func upsert(_ dialect: SQLDialect) -> String {
        let t = dialect == .postgres ? "daily_counts." : ""
        return """
            ON CONFLICT(measure, grain, period, unit_node, k1, k2) DO UPDATE SET
                n = \(t)n + excluded.n, a = \(t)a + excluded.a, b = \(t)b + excluded.b, c = \(t)c + excluded.c,
                d = \(t)d + excluded.d, e = \(t)e + excluded.e, f = \(t)f + excluded.f
            """
    }

    /// SQLite's staging table: the row triggers copy each written row's measured columns there
    /// with a sign (a new row +1, an old one -1), one insert a row, and every write transaction
    /// adds them to the counts before it commits (`flushStaged`). SQLite has only row triggers;
    /// per row, adding each contribution to its 16 counts was 16 upserts an inserted case and 32
    /// an updated one (about 14 % of P1, docs/BENCHMARKS.md).
    static let stagedTable = "daily_counts_staged"

    static func triggersSQL(offsetMs: Int64, _ dialect: SQLDialect) -> [String] {
        if dialect == .postgres { return postgresTriggersSQL(offsetMs: offsetMs) }
        let changed = columns.map { "OLD.\($0) IS NOT NEW.\($0)" }.joined(separator: " OR ")
        func staged(_ row: String, _ sign: Int) -> String {
            "(\(sign), " + columns.map { "\(row).\($0)" }.joined(separator: ", ") + ")"
        }
        let insert = "INSERT INTO \(stagedTable) (sign, \(columns.joined(separator: ", "))) VALUES"
        return [
            "CREATE TRIGGER daily_counts_insert AFTER INSERT ON cases BEGIN \(insert) \(staged("NEW", 1)); END",
            "CREATE TRIGGER daily_counts_delete AFTER DELETE ON cases BEGIN \(insert) \(staged("OLD", -1)); END",
            """
            CREATE TRIGGER daily_counts_update AFTER UPDATE OF \(columns.joined(separator: ", ")) ON cases
            WHEN \(changed) BEGIN \(insert) \(staged("OLD", -1)), \(staged("NEW", 1)); END
            """,
        ]
    }

    /// The statements that add what SQLite's triggers staged to the counts and empty the staging
    /// table, for `offsetMs` (`NodeDatabase` makes them once).
    static func flushSQL(offsetMs: Int64) -> [String] {
        contributions(from: [(stagedTable, "R.sign")], offsetMs: offsetMs, .sqlite) + ["DELETE FROM \(stagedTable)"]
    }

    /// Adds what the triggers staged to the counts, in the caller's write transaction: every write
    /// transaction of a SQLite store runs it before it commits (`NodeDatabase.write` and its
    /// siblings), so no reader sees a count without its rows. A transaction that wrote no measured
    /// column pays one lookup of an empty table.
    static func flushStaged(_ db: some SQLSession, _ flush: [String]) throws {
        guard !flush.isEmpty, try !nothingStaged(db) else { return }
        for statement in flush { try db.run(statement, arguments: [], cached: true) }
    }

    /// Whether nothing waits in SQLite's staging table (what every committed transaction leaves).
    static func nothingStaged(_ db: some SQLSession) throws -> Bool {
        guard db.dialect == .sqlite else { return true }
        return try db.value("SELECT EXISTS (SELECT 1 FROM \(stagedTable))", as: Bool.self) != true
    }

    /// The same counts kept by PostgreSQL per statement rather than per row: each trigger sees the
    /// statement's rows as transition tables (`new_rows`, `old_rows`) and adds, per measure and
    /// grain, one aggregate of their contributions (a row's new values count +1, its old ones -1;
    /// keys whose sum is nothing are left alone). The write path gathers a packet's rows into a few
    /// multi-row statements (`GatheringSession`), so a packet of 200 cases runs 16 statements a
    /// trigger instead of 16 a row; per row, the triggers were half of the server's time in P9's P1
    /// (docs/BENCHMARKS.md). An update that changes no column a measure reads stops at its first
    /// statement, as the per-row trigger's `WHEN` did (a statement trigger with transition tables
    /// takes no column list).
    static func postgresTriggersSQL(offsetMs: Int64) -> [String] {
        let changed = columns.map { "o.\($0) IS DISTINCT FROM n.\($0)" }.joined(separator: " OR ")
        func function(_ name: String, _ body: String) -> String {
            """
            CREATE OR REPLACE FUNCTION \(name)() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
            \(body)
            RETURN NULL;
            END
            $$
            """
        }
        func body(_ sources: [(table: String, sign: String)]) -> String {
            contributions(from: sources, offsetMs: offsetMs, .postgres).map { $0 + ";" }.joined(separator: "\n")
        }
        return [
            function("daily_counts_inserted", body([("new_rows", "1")])),
            function("daily_counts_deleted", body([("old_rows", "-1")])),
            function(
                "daily_counts_updated",
                """
                IF NOT EXISTS (SELECT 1 FROM old_rows AS o JOIN new_rows AS n ON n.case_number = o.case_number WHERE \(changed)) THEN
                RETURN NULL;
                END IF;
                \(body([("new_rows", "1"), ("old_rows", "-1")]))
                """
            ),
            "CREATE TRIGGER daily_counts_insert AFTER INSERT ON cases REFERENCING NEW TABLE AS new_rows "
                + "FOR EACH STATEMENT EXECUTE FUNCTION daily_counts_inserted()",
            "CREATE TRIGGER daily_counts_delete AFTER DELETE ON cases REFERENCING OLD TABLE AS old_rows "
                + "FOR EACH STATEMENT EXECUTE FUNCTION daily_counts_deleted()",
            "CREATE TRIGGER daily_counts_update AFTER UPDATE ON cases REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
                + "FOR EACH STATEMENT EXECUTE FUNCTION daily_counts_updated()",
        ]
    }

    /// One statement per measure and grain adding the net contribution of the rows of `sources`
    /// (each row counted by its source's sign: PostgreSQL's transition tables, +1 for `new_rows`
    /// and -1 for `old_rows`; SQLite's staging table, each row's own `sign`), grouped by the
    /// table's key; keys whose sum is nothing are left alone.
    static func contributions(from sources: [(table: String, sign: String)], offsetMs: Int64, _ dialect: SQLDialect) -> [String] {
        var statements: [String] = []
        for measure in measures {
            for grain in ["d", "m"] {
                let period = period(grain, of: measure.time, offsetMs: offsetMs, dialect)
                let parts = sources.map { table, sign in
                    let values = measure.values.enumerated().map { "\(sign) * \(number($1, dialect)) AS v\($0)" }.joined(separator: ", ")
                    return """
                        SELECT \(period) AS p, R.unit_node AS u, \(measure.k1) AS x1, \(measure.k2) AS x2, \(values)
                        FROM \(table) AS R WHERE \(condition(measure.condition, dialect))
                        """
                }
                let sums = measure.values.indices.map { "SUM(v\($0))" }
                statements.append(
                    """
                    INSERT INTO daily_counts (measure, grain, period, unit_node, k1, k2, n, a, b, c, d, e, f)
                    SELECT '\(measure.name)', '\(grain)', p, u, x1, x2, \(sums.joined(separator: ", "))
                    FROM (\(parts.joined(separator: "\nUNION ALL\n"))) AS C
                    GROUP BY p, u, x1, x2
                    HAVING \(sums.map { "\($0) <> 0" }.joined(separator: " OR "))
                    \(upsert(dialect))
                    """
                )
            }
        }
        return statements
    }

    /// Counts every case again.
    static func recountSQL(offsetMs: Int64, _ dialect: SQLDialect) -> [String] {
        // What SQLite's triggers staged is in the rows counted here.
        var statements = ["DELETE FROM daily_counts"] + (dialect == .sqlite ? ["DELETE FROM \(stagedTable)"] : [])
        for measure in measures {
            for grain in ["d", "m"] {
                let sums = measure.values.map { "SUM(\(number($0, dialect)))" }.joined(separator: ", ")
                statements.append(
                    """
                    INSERT INTO daily_counts (measure, grain, period, unit_node, k1, k2, n, a, b, c, d, e, f)
                    SELECT '\(measure.name)', '\(grain)', \(period(grain, of: measure.time, offsetMs: offsetMs, dialect)) AS p, R.unit_node AS u,
                        \(measure.k1) AS x1, \(measure.k2) AS x2, \(sums)
                    FROM cases AS R WHERE \(condition(measure.condition, dialect)) GROUP BY p, u, x1, x2
                    """
                )
            }
        }
        return statements
    }
}
