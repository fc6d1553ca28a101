import GRDB

/// v6: performance. Every table whose `case_number` references `cases` gets an index that
/// starts with it. SQLite looks up a parent's children whenever a deferred foreign-key violation
/// is outstanding (the events of a new case are written before its `cases` row), and without such
/// an index that is a scan of the child table per new case: receiving 8,000 cases spent a fifth
/// of its time scanning `petitioner_keys` and `registration_keys` (bench ingest, perf).
///
/// And the outbox's queue in sending order: the next packet's items are the oldest due ones, and
/// with the queue indexed by (peer, state, due time) SQLite sorted every queued item per packet
/// (a county back after days offline has tens of thousands).
enum Migration006Performance {
    static let identifier = "006-performance"

    static func migrate(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE INDEX petitioner_keys_by_case ON petitioner_keys(case_number);
                CREATE INDEX registration_keys_by_case ON registration_keys(case_number);
                CREATE INDEX outbox_queue ON outbox(peer, id) WHERE state IN ('pending', 'failed');
                """
        )
    }
}
