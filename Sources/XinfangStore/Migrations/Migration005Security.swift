import GRDB

/// v5: security. Per-person accounts of this node (password hash, sealed TOTP secret, failure
/// count and lockout), sessions and API tokens (stored as SHA-256 of the secret only), the
/// hash-chained, append-only audit trail (rows may be deleted only when older than the retention
/// cut-off the pruning job sets, and never updated), and the organisation a 检举控告 names
/// (`respondent_node`), which the scope of that organisation's users excludes.
enum Migration005Security {
    static let identifier = "005-security"

    static func migrate(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE users (
                    id INTEGER PRIMARY KEY,
                    username TEXT NOT NULL UNIQUE,
                    display_name TEXT NOT NULL,
                    role TEXT NOT NULL,
                    node TEXT NOT NULL,
                    password_hash TEXT,
                    password_changed_at INTEGER NOT NULL,
                    totp_secret TEXT,
                    failed_logins INTEGER NOT NULL DEFAULT 0,
                    locked_until INTEGER,
                    disabled INTEGER NOT NULL DEFAULT 0,
                    created_at INTEGER NOT NULL,
                    created_by TEXT NOT NULL
                ) STRICT;
                CREATE TABLE sessions (
                    token_hash TEXT PRIMARY KEY NOT NULL,
                    user_id INTEGER NOT NULL REFERENCES users(id),
                    created_at INTEGER NOT NULL,
                    last_seen_at INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL
                ) STRICT, WITHOUT ROWID;
                CREATE INDEX sessions_user ON sessions (user_id);
                CREATE TABLE api_tokens (
                    id INTEGER PRIMARY KEY,
                    token_hash TEXT NOT NULL UNIQUE,
                    user_id INTEGER NOT NULL REFERENCES users(id),
                    name TEXT NOT NULL,
                    scope TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL,
                    revoked_at INTEGER
                ) STRICT;
                CREATE TABLE audit_log (
                    seq INTEGER PRIMARY KEY,
                    at INTEGER NOT NULL,
                    user TEXT NOT NULL,
                    node TEXT NOT NULL,
                    source TEXT NOT NULL,
                    action TEXT NOT NULL,
                    object TEXT NOT NULL,
                    result TEXT NOT NULL,
                    detail TEXT NOT NULL,
                    prev_hash TEXT NOT NULL,
                    hash TEXT NOT NULL
                ) STRICT;
                CREATE INDEX audit_log_at ON audit_log (at);
                CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
                BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
                CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
                WHEN OLD.at >= COALESCE((SELECT CAST(value AS INTEGER) FROM node_meta WHERE key = 'audit_prune_before'), 0)
                BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
                ALTER TABLE cases ADD COLUMN respondent_node TEXT;
                INSERT INTO node_meta (key, value) VALUES ('rebuild_materialised', '1')
                    ON CONFLICT(key) DO UPDATE SET value = excluded.value;
                """
        )
    }
}
