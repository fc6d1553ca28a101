/// The audit trail (`AuditTrail`), in the SQLite store's shape: rows chained by hash, append-only
/// by trigger, except the oldest rows retention prunes under the mark it sets in `node_meta` for
/// the length of the deletion (`audit_prune_before`). `"user"` is quoted: in PostgreSQL the bare
/// word is `CURRENT_USER`.
enum PostgresMigration002Audit {
    static let migration = PostgresMigration(
        identifier: "002-audit",
        statements: [
            """
            CREATE TABLE audit_log (
                seq BIGINT PRIMARY KEY,
                at BIGINT NOT NULL,
                "user" TEXT NOT NULL,
                node TEXT NOT NULL,
                source TEXT NOT NULL,
                action TEXT NOT NULL,
                object TEXT NOT NULL,
                result TEXT NOT NULL,
                detail TEXT NOT NULL,
                prev_hash TEXT NOT NULL,
                hash TEXT NOT NULL
            )
            """,
            "CREATE INDEX audit_log_at ON audit_log (at)",
            """
            CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'DELETE' AND OLD.at < COALESCE(
                    (SELECT CAST(value AS BIGINT) FROM node_meta WHERE key = 'audit_prune_before'), 0
                ) THEN
                    RETURN OLD;
                END IF;
                RAISE EXCEPTION 'the audit trail is append-only';
            END
            $$
            """,
            """
            CREATE TRIGGER audit_log_is_append_only BEFORE UPDATE OR DELETE ON audit_log
            FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only()
            """,
            """
            CREATE TRIGGER audit_log_is_never_truncated BEFORE TRUNCATE ON audit_log
            FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only()
            """,
        ]
    )
}
