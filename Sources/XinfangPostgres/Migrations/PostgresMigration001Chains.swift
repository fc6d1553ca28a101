/// The PostgreSQL schema's first migration: node metadata and the event chains, in the shape the
/// SQLite store has after its migration 018 (`schemas/sqlite-schema.sql`): an event is keyed by its
/// hash, found by case and position, and append-only, which a trigger enforces as SQLite's do.
/// Times are milliseconds since the epoch (BIGINT), as in SQLite, so a chain is copied between the
/// backends without conversion. The reference from an event to its case comes with the cases'
/// table.
enum PostgresMigration001Chains {
    static let migration = PostgresMigration(
        identifier: "001-chains",
        statements: [
            """
            CREATE TABLE node_meta (
                key TEXT PRIMARY KEY,
                value TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE events (
                hash TEXT PRIMARY KEY,
                case_number TEXT NOT NULL,
                epoch BIGINT NOT NULL,
                seq BIGINT NOT NULL,
                prev_hash TEXT,
                origin TEXT NOT NULL,
                hlc_wall BIGINT NOT NULL,
                hlc_logical BIGINT NOT NULL,
                actor TEXT NOT NULL,
                kind TEXT NOT NULL,
                body TEXT NOT NULL,
                signature TEXT,
                stored_at BIGINT NOT NULL,
                command TEXT,
                format INTEGER CHECK (format IS NULL OR format >= 2)
            )
            """,
            "CREATE INDEX events_by_case ON events (case_number, seq, epoch)",
            """
            CREATE FUNCTION events_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'events are append-only';
            END
            $$
            """,
            """
            CREATE TRIGGER events_are_append_only BEFORE UPDATE OR DELETE ON events
            FOR EACH ROW EXECUTE FUNCTION events_are_append_only()
            """,
            """
            CREATE TRIGGER events_are_never_truncated BEFORE TRUNCATE ON events
            FOR EACH STATEMENT EXECUTE FUNCTION events_are_append_only()
            """,
        ]
    )
}
