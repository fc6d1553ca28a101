import GRDB

/// v3: forks, conflicts, flags and anti-entropy. Events are keyed by their hash (two takeovers at once make two
/// events at the same epoch and position), found by case and position through an index. `conflicts` lists, per case, the branches that lost at a fork (derived
/// from the stored event tree and the resolutions on the winning chain); `flags` keeps every flag
/// the reconciliation job raised, open or cleared; outbox rows of kind `branch` carry a losing
/// branch to a peer so every level sees the same history. For anti-entropy, each case carries its
/// bucket, its 64-bit contribution (a hash of its number, head and event count) and the peers it is
/// shared with; `ae_buckets` keeps, per peer and bucket, the XOR of those contributions, so a
/// digest exchange reads 65,536 numbers, never the cases; `replica_mismatches` remembers what an
/// exchange found different until a later one finds it equal.
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
                ALTER TABLE peers ADD COLUMN last_received_at INTEGER;
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

                ALTER TABLE cases ADD COLUMN ae_bucket INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE cases ADD COLUMN ae_hash INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE cases ADD COLUMN ae_peers TEXT NOT NULL DEFAULT '';
                CREATE INDEX cases_by_ae_bucket ON cases(ae_bucket);
                CREATE TABLE ae_buckets (
                    peer TEXT NOT NULL,
                    bucket INTEGER NOT NULL,
                    digest INTEGER NOT NULL,
                    PRIMARY KEY (peer, bucket)
                ) STRICT, WITHOUT ROWID;
                CREATE TABLE replica_mismatches (
                    peer TEXT NOT NULL,
                    case_key INTEGER NOT NULL,
                    case_number TEXT,
                    kind TEXT NOT NULL,
                    first_seen INTEGER NOT NULL,
                    last_seen INTEGER NOT NULL,
                    PRIMARY KEY (peer, case_key)
                ) STRICT;
                """
        )
    }
}
