import GRDB

/// v20: the partial index of the open cases (`cases_open`) orders each holder's cases by status and
/// then by the kind of their next deadline (`next_due_kind`) before the receipt, so the backlog
/// counts everything, the overdue cases by kind included, in one pass in the index's order
/// (`GROUP BY holder, status, next_due_kind` without a sort). Its second query, the overdue cases
/// grouped by holder and kind, scanned the same index again and sorted them: 13 to 20 ms of the
/// backlog's 60 at a province of a million cases in the `sqlite3` shell (issue 19). The same
/// columns, so it still covers every query it covered.
enum Migration020OpenIndexByKind {
    static let identifier = "020-open-index-by-kind"

    static func migrate(_ db: Database) throws {
        try db.execute(
            sql: """
                DROP INDEX cases_open;
                CREATE INDEX cases_open ON cases(holder, status, next_due_kind, petition_received_at, next_due_at,
                    assigned_by, supervision_due_at) WHERE is_open = 1;
                """
        )
    }
}
