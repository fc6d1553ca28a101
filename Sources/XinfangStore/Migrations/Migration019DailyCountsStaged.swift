import GRDB

/// v19: SQLite's staging table of the daily counts (`DailyCounts.stagedTable`). The row triggers
/// on `cases` copy each written row's measured columns here with a sign, and each write
/// transaction adds them to `daily_counts` before it commits, a few grouped statements for all its
/// rows instead of 16 upserts a row. Empty outside a write transaction. The columns take no type:
/// they hold the values of `cases` as they are. Written out, as a migration's schema is fixed: a
/// measure that reads another column adds it in a migration of its own.
enum Migration019DailyCountsStaged {
    static let identifier = "019-daily-counts-staged"

    static func migrate(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE daily_counts_staged (
                    sign INTEGER NOT NULL, registered_at, unit_node, channel, category_l1, is_repeat, skip_level, joint_letter,
                    collective_batches, collective_persons, law_related, decided_at, handling_due_at, closed_at, evaluated_at,
                    office_rating, unit_rating, eval_due_at, accept_due_at, handling_met_at, petition_received_at
                )
                """
        )
    }
}
