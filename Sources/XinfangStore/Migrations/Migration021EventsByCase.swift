import Foundation
import GRDB

/// v21: events are found by their case, not by their hash alone. Since v3 the table was keyed by
/// `hash`, an index whose keys are random: each event a packet brings lands on its own page of it,
/// so a commit of 400 events rewrote some 300 of its pages in the write-ahead log (and again at
/// the checkpoint), a quarter of the log's frames in P1, more as the store grows (issue 19,
/// "Events found by their case"). Now the rows are the table's own (rowid) and one index,
/// `events_by_case (case_number, seq, epoch, hash)`, both filled in the order cases arrive; the
/// index is unique, which keeps an event from being stored twice, since an event's hash covers
/// its case, epoch and position. A lookup by hash names the case (`NodeDatabase.hasEvent`,
/// `storedHashes`). The rows are copied in the index's order, so a case's events sit together, a
/// slice of `casesPerCopy` cases a statement, and an existing store's upgrade says how far the copy
/// is (every `ProgressMeter.interval`: about 16 s a million events on the benchmarks' machine).
/// PostgreSQL keeps its primary key on `hash`: its log records rows, not pages.
enum Migration021EventsByCase {
    static let identifier = "021-events-by-case"

    /// Cases whose events one statement copies.
    static let casesPerCopy = 10_000

    static func migrate(_ db: Database, report: ProgressReport?, casesPerCopy: Int = casesPerCopy) throws {
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
                ) STRICT
                """
        )
        let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events") ?? 0
        var meter = ProgressMeter(label: "schema: \(identifier): copying the events under their case", total: total, unit: "events")
        if total > 0 { report?("\(meter.label): \(total) events") }
        let copy = """
            INSERT INTO events_v21 (hash, case_number, epoch, seq, prev_hash, origin, hlc_wall, hlc_logical, actor, kind, body,
                signature, stored_at, command, format)
            SELECT hash, case_number, epoch, seq, prev_hash, origin, hlc_wall, hlc_logical, actor, kind, body,
                signature, stored_at, command, format FROM events
            """
        let order = "ORDER BY case_number, seq, epoch, hash"
        // Slices of the case numbers in order, from the start to the end: every event is copied
        // (an event without its case is refused at the commit, by the new table's foreign key).
        var after = ""
        var copied = 0
        while true {
            let last = try String.fetchOne(
                db,
                sql: "SELECT case_number FROM cases WHERE case_number > ? ORDER BY case_number LIMIT 1 OFFSET ?",
                arguments: [after, casesPerCopy - 1]
            )
            if let last {
                try db.execute(sql: "\(copy) WHERE case_number > ? AND case_number <= ? \(order)", arguments: [after, last])
            } else {
                try db.execute(sql: "\(copy) WHERE case_number > ? \(order)", arguments: [after])
            }
            copied += db.changesCount
            guard let last else { break }
            after = last
            if let line = meter.line(done: copied) { report?(line) }
        }
        // The two steps after the copy take longer than the copy on a large store (a million
        // events: 3 s copying, about 13 s for both): each says that it begins and how long it took.
        func say(_ line: String) { if total > 0 { report?("schema: \(identifier): \(line)") } }
        if total > 0 { report?(meter.finished(done: copied)) }
        say("removing the earlier table")
        var started = Date()
        try db.execute(sql: "DROP TABLE events")
        say(String(format: "the earlier table removed in %.1f s; indexing the events by case", Date().timeIntervalSince(started)))
        started = Date()
        try db.execute(
            sql: """
                ALTER TABLE events_v21 RENAME TO events;
                CREATE UNIQUE INDEX events_by_case ON events(case_number, seq, epoch, hash);
                CREATE TRIGGER events_are_append_only_update BEFORE UPDATE ON events
                BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
                CREATE TRIGGER events_are_append_only_delete BEFORE DELETE ON events
                BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
                """
        )
        say(String(format: "indexed in %.1f s", Date().timeIntervalSince(started)))
    }
}
