import GRDB

/// v3: conflicts and flags. `conflicts` lists, per case, the branches that lost at a fork (derived
/// from the stored event tree and the resolutions on the winning chain); `flags` keeps every flag
/// the reconciliation job raised, open or cleared; outbox rows of kind `branch` carry a losing
/// branch to a peer so every level sees the same history.
enum Migration003Reconciliation {
    static let identifier = "003-reconciliation"

    static func migrate(_ db: Database) throws {
        try db.execute(
            sql: """
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
