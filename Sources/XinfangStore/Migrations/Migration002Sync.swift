import GRDB

/// v2: the hierarchy sync. Events carry the command they apply; cases carry the 越级访 flag. Commands (made here or passing through), the outbox per peer (one row
/// per peer and case for chain replication, one per peer and command), the peers' packet counters,
/// and counts of refused packets.
enum Migration002Sync {
    static let identifier = "002-sync"

    static func migrate(_ db: Database) throws {
        try db.execute(
            sql: """
                ALTER TABLE events ADD COLUMN command TEXT;
                ALTER TABLE cases ADD COLUMN skip_level INTEGER NOT NULL DEFAULT 0;

                CREATE TABLE commands (
                    id TEXT PRIMARY KEY NOT NULL,
                    case_number TEXT NOT NULL,
                    origin TEXT NOT NULL,
                    body TEXT NOT NULL,
                    status TEXT NOT NULL,
                    detail TEXT,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                ) STRICT;
                CREATE INDEX commands_by_case ON commands(case_number, status);

                CREATE TABLE outbox (
                    id INTEGER PRIMARY KEY,
                    peer TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    case_number TEXT NOT NULL,
                    command_id TEXT,
                    target_seq INTEGER NOT NULL DEFAULT 0,
                    acked_seq INTEGER NOT NULL DEFAULT 0,
                    state TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    last_error TEXT,
                    last_error_kind TEXT,
                    next_attempt_at INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                ) STRICT;
                CREATE UNIQUE INDEX outbox_chain ON outbox(peer, case_number) WHERE kind = 'chain';
                CREATE UNIQUE INDEX outbox_command ON outbox(peer, command_id) WHERE kind = 'command';
                CREATE INDEX outbox_due ON outbox(peer, state, next_attempt_at);

                CREATE TABLE peers (
                    peer TEXT PRIMARY KEY NOT NULL,
                    last_packet_sent INTEGER NOT NULL DEFAULT 0,
                    last_packet_received INTEGER NOT NULL DEFAULT 0,
                    last_success_at INTEGER,
                    last_failure_at INTEGER,
                    last_error TEXT
                ) STRICT;

                CREATE TABLE packet_refusals (
                    peer TEXT NOT NULL,
                    code TEXT NOT NULL,
                    count INTEGER NOT NULL,
                    last_at INTEGER NOT NULL,
                    last_detail TEXT,
                    PRIMARY KEY (peer, code)
                ) STRICT;
                """
        )
    }
}
