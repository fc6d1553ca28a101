import GRDB

/// v1: cases (materialised state), events (the append-only chains, enforced by triggers), node
/// metadata and idempotency keys of registrations. Never edit after it has landed; add a migration instead.
enum Migration001Initial {
    static let identifier = "001-initial"

    static func migrate(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE node_meta (
                    key TEXT PRIMARY KEY NOT NULL,
                    value TEXT NOT NULL
                ) STRICT;

                CREATE TABLE cases (
                    case_number TEXT PRIMARY KEY NOT NULL,
                    status TEXT NOT NULL,
                    holder TEXT NOT NULL,
                    owner TEXT NOT NULL,
                    epoch INTEGER NOT NULL,
                    head_seq INTEGER NOT NULL,
                    head_hash TEXT NOT NULL,
                    registered_at INTEGER NOT NULL,
                    registered_at_node TEXT NOT NULL,
                    received_at INTEGER NOT NULL,
                    channel TEXT NOT NULL,
                    purpose TEXT NOT NULL,
                    category_l1 TEXT NOT NULL,
                    category_l2 TEXT NOT NULL,
                    category_l3 TEXT NOT NULL,
                    issue_region TEXT NOT NULL,
                    urgent INTEGER NOT NULL,
                    law_related INTEGER NOT NULL,
                    summary TEXT NOT NULL,
                    search_text TEXT NOT NULL,
                    next_due_kind TEXT,
                    next_due_at INTEGER,
                    last_event_at INTEGER NOT NULL,
                    state_json TEXT NOT NULL
                ) STRICT;
                CREATE INDEX cases_by_registered ON cases(registered_at DESC, case_number DESC);
                CREATE INDEX cases_by_status ON cases(status, registered_at);
                CREATE INDEX cases_by_holder ON cases(holder, status);
                CREATE INDEX cases_by_region ON cases(issue_region);
                CREATE INDEX cases_by_next_due ON cases(next_due_at) WHERE next_due_at IS NOT NULL;

                CREATE TABLE events (
                    case_number TEXT NOT NULL REFERENCES cases(case_number) DEFERRABLE INITIALLY DEFERRED,
                    epoch INTEGER NOT NULL,
                    seq INTEGER NOT NULL,
                    hash TEXT NOT NULL UNIQUE,
                    prev_hash TEXT,
                    origin TEXT NOT NULL,
                    hlc_wall INTEGER NOT NULL,
                    hlc_logical INTEGER NOT NULL,
                    actor TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    body TEXT NOT NULL,
                    signature TEXT,
                    stored_at INTEGER NOT NULL,
                    PRIMARY KEY (case_number, epoch, seq)
                ) STRICT;

                CREATE TRIGGER events_are_append_only_update BEFORE UPDATE ON events
                BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
                CREATE TRIGGER events_are_append_only_delete BEFORE DELETE ON events
                BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

                CREATE TABLE registration_keys (
                    idempotency_key TEXT PRIMARY KEY NOT NULL,
                    request_hash TEXT NOT NULL,
                    case_number TEXT NOT NULL REFERENCES cases(case_number) DEFERRABLE INITIALLY DEFERRED,
                    created_at INTEGER NOT NULL
                ) STRICT;
                """
        )
    }
}
