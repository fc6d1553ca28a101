import GRDB

/// v21: events are found by their case, not by their hash alone. Since v3 the table was keyed by
/// `hash`, an index whose keys are random: each event a packet brings lands on its own page of it,
/// so a commit of 400 events rewrote some 300 of its pages in the write-ahead log (and again at
/// the checkpoint), a quarter of the log's frames in P1, more as the store grows (issue 19,
/// "Events found by their case"). Now the rows are the table's own (rowid) and one index,
/// `events_by_case (case_number, seq, epoch, hash)`, both filled in the order cases arrive; the
/// index is unique, which keeps an event from being stored twice, since an event's hash covers
/// its case, epoch and position. A lookup by hash names the case (`NodeDatabase.hasEvent`,
/// `storedHashes`). The rows are copied in the index's order, so a case's events sit together.
/// PostgreSQL keeps its primary key on `hash`: its log records rows, not pages.
enum Migration021EventsByCase {
    static let identifier = "021-events-by-case"

    static func migrate(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE events_v21 (
                    hash TEXT NOT NULL,
                    case_number TEXT NOT NULL REFERENCES cases(case_number) DEFERRABLE INITIALLY DEFERRED,
                    epoch INTEGER NOT NULL,
                    seq INTEGER NOT NULL,
                    prev_hash TEXT,
                    origin TEXT NOT NULL,
                    hlc_wall INTEGER NOT NULL,
                    hlc_logical INTEGER NOT NULL,
                    actor TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    body TEXT NOT NULL,
                    signature TEXT,
                    stored_at INTEGER NOT NULL,
                    command TEXT,
                    format INTEGER CHECK (format IS NULL OR format >= 2)
                ) STRICT;
                INSERT INTO events_v21 (hash, case_number, epoch, seq, prev_hash, origin, hlc_wall, hlc_logical, actor, kind, body,
                    signature, stored_at, command, format)
                SELECT hash, case_number, epoch, seq, prev_hash, origin, hlc_wall, hlc_logical, actor, kind, body,
                    signature, stored_at, command, format FROM events ORDER BY case_number, seq, epoch, hash;
                DROP TABLE events;
                ALTER TABLE events_v21 RENAME TO events;
                CREATE UNIQUE INDEX events_by_case ON events(case_number, seq, epoch, hash);
                CREATE TRIGGER events_are_append_only_update BEFORE UPDATE ON events
                BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
                CREATE TRIGGER events_are_append_only_delete BEFORE DELETE ON events
                BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
                """
        )
    }
}
