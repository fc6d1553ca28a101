import GRDB

/// v3: forks, conflicts and flags. Events are keyed by their hash (two takeovers at once make two
/// events at the same epoch and position), found by case and position through an index. `conflicts` lists, per case, the branches that lost at a fork (derived
/// from the stored event tree and the resolutions on the winning chain); `flags` keeps every flag
/// the reconciliation job raised, open or cleared; outbox rows of kind `branch` carry a losing
/// branch to a peer so every level sees the same history.
enum Migration003Reconciliation {
    static let identifier = "003-reconciliation"

    static func migrate(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE events_v3 (
                    hash TEXT PRIMARY KEY NOT NULL,
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
                    command TEXT
                ) STRICT;
                INSERT INTO events_v3 (hash, case_number, epoch, seq, prev_hash, origin, hlc_wall, hlc_logical, actor, kind, body,
                    signature, stored_at, command)
                SELECT hash, case_number, epoch, seq, prev_hash, origin, hlc_wall, hlc_logical, actor, kind, body,
                    signature, stored_at, command FROM events;
                DROP TABLE events;
                ALTER TABLE events_v3 RENAME TO events;
                CREATE INDEX events_by_case ON events(case_number, seq, epoch);
                CREATE TRIGGER events_are_append_only_update BEFORE UPDATE ON events
                BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
                CREATE TRIGGER events_are_append_only_delete BEFORE DELETE ON events
                BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

                ALTER TABLE outbox ADD COLUMN branch_head TEXT;
                CREATE UNIQUE INDEX outbox_branch ON outbox(peer, branch_head) WHERE kind = 'branch';

                CREATE TABLE conflicts (
                    case_number TEXT NOT NULL REFERENCES cases(case_number) DEFERRABLE INITIALLY DEFERRED,
                    branch TEXT NOT NULL,
                    fork_seq INTEGER NOT NULL,
                    winner_hash TEXT NOT NULL,
                    winner_origin TEXT NOT NULL,
                    loser_origin TEXT NOT NULL,
                    loser_head TEXT NOT NULL,
                    loser_events INTEGER NOT NULL,
                    loser_participants TEXT NOT NULL,
                    loser_leaves TEXT NOT NULL,
                    detected_at INTEGER NOT NULL,
                    resolved_at INTEGER,
                    decision TEXT,
                    PRIMARY KEY (case_number, branch)
                ) STRICT;
                CREATE INDEX conflicts_open ON conflicts(case_number) WHERE resolved_at IS NULL;

                CREATE TABLE flags (
                    id INTEGER PRIMARY KEY,
                    kind TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    detail_key TEXT NOT NULL DEFAULT '',
                    case_number TEXT,
                    node TEXT NOT NULL,
                    raised_by TEXT NOT NULL,
                    since INTEGER NOT NULL,
                    raised_at INTEGER NOT NULL,
                    detail TEXT NOT NULL,
                    remedy TEXT NOT NULL,
                    cleared_at INTEGER
                ) STRICT;
                CREATE UNIQUE INDEX flags_open ON flags(raised_by, kind, subject, detail_key) WHERE cleared_at IS NULL;
                CREATE INDEX flags_by_case ON flags(case_number) WHERE case_number IS NOT NULL;
                """
        )
    }
}
