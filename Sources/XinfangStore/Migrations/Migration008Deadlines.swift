import GRDB

/// v8: deadlines as the law counts them. The 受理告知 deadline the indicators judge 及时受理 by is
/// materialised (`accept_due_at`, the same whole-day deadline the case view shows, moved past rest
/// days), with the index its scan reads; every materialised row is rewritten from its chain, so
/// states written before gain the organ that issued each opinion and the deadline columns follow
/// the calendar's rules.
enum Migration008Deadlines {
    static let identifier = "008-deadlines"

    static func migrate(_ db: Database) throws {
        try db.execute(
            sql: """
                ALTER TABLE cases ADD COLUMN accept_due_at INTEGER;
                CREATE INDEX cases_stats_accept_due ON cases(accept_due_at, law_related, decided_at, unit_node)
                    WHERE accept_due_at IS NOT NULL;
                INSERT INTO node_meta (key, value) VALUES ('rebuild_materialised', '1')
                    ON CONFLICT(key) DO UPDATE SET value = excluded.value;
                """
        )
    }
}
