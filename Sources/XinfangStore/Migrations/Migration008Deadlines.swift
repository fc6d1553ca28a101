import GRDB

/// v8: deadlines as the law counts them, one meaning of "on time". The 受理告知 deadline the
/// indicators judge 及时受理 by is materialised (`accept_due_at`, the same whole-day deadline the
/// case view shows, moved past rest days), and so is when the handling deadline was met
/// (`handling_met_at`: the reply for the 60-day period, the closure report for a 交办), which
/// 按期办结 compares with `handling_due_at` as the case view does; each with the index its scan
/// reads. Every materialised row is rewritten from its chain, so states written before gain the
/// organ that issued each opinion and the deadline columns follow the calendar's rules.
enum Migration008Deadlines {
    static let identifier = "008-deadlines"

    static func migrate(_ db: Database) throws {
        try db.execute(
            sql: """
                ALTER TABLE cases ADD COLUMN accept_due_at INTEGER;
                ALTER TABLE cases ADD COLUMN handling_met_at INTEGER;
                CREATE INDEX cases_stats_accept_due ON cases(accept_due_at, law_related, decided_at, unit_node)
                    WHERE accept_due_at IS NOT NULL;
                DROP INDEX cases_stats_handling;
                CREATE INDEX cases_stats_handling_met ON cases(handling_due_at, law_related, handling_met_at, unit_node)
                    WHERE handling_due_at IS NOT NULL;
                INSERT INTO node_meta (key, value) VALUES ('rebuild_materialised', '1')
                    ON CONFLICT(key) DO UPDATE SET value = excluded.value;
                """
        )
    }
}
