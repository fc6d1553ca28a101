import Foundation
import PostgresNIO
import Synchronization
import Testing
import XinfangPostgres
import XinfangStore
import XinfangTesting

/// The PostgreSQL schema on a real cluster (`deploy/postgres.sh`, one per test): every migration
/// applied once, the result equal to `schemas/postgres-schema.txt`, the chains append-only, a newer
/// build's database refused, and two servers upgrading one database at once.
struct PostgresSchemaTests {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("schemas/postgres-schema.txt")

    static func strings(_ client: PostgresClient, _ query: PostgresQuery) async throws -> [String] {
        var lines: [String] = []
        for try await line in try await client.query(query).decode(String.self) { lines.append(line) }
        return lines
    }

    /// Columns, constraints, indexes and triggers of the public schema, one a line, sorted.
    static func schemaDump(_ client: PostgresClient) async throws -> String {
        let columns = try await strings(
            client,
            """
            SELECT table_name || '.' || column_name || ' ' || data_type
                || CASE WHEN is_nullable = 'NO' THEN ' NOT NULL' ELSE '' END
                || COALESCE(' DEFAULT ' || column_default, '')
            FROM information_schema.columns WHERE table_schema = 'public'
            ORDER BY table_name, ordinal_position
            """
        )
        let constraints = try await strings(
            client,
            """
            SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
            FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1
            """
        )
        let indexes = try await strings(client, "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname")
        let triggers = try await strings(client, "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal ORDER BY tgname")
        return "-- Generated from the PostgreSQL migrations; checked by PostgresSchemaTests.\n"
            + (columns + constraints + indexes + triggers).map { $0 + "\n" }.joined()
    }

    @Test func aNewDatabaseGetsEveryMigrationOnceAndMatchesTheGoldenSchema() async throws {
        try await TestPostgres.withCluster { socket in
            try await PostgresStore.withClient(StoreBackend.location(socket)) { client in
                #expect(try await PostgresSchema.upgrade(client) == PostgresSchema.identifiers)
                let lines = Mutex<[String]>([])
                let again = try await PostgresSchema.upgrade(client) { line in lines.withLock { $0.append(line) } }
                #expect(again.isEmpty)
                #expect(lines.withLock { $0 }.isEmpty)
                let recorded = try await Self.strings(client, "SELECT identifier FROM schema_migrations ORDER BY identifier")
                #expect(recorded == PostgresSchema.identifiers)

                let actual = try await Self.schemaDump(client)
                if ProcessInfo.processInfo.environment["XINFANG_UPDATE_GOLDEN"] == "1" {
                    try actual.write(to: Self.golden, atomically: true, encoding: .utf8)
                }
                #expect(actual == (try String(contentsOf: Self.golden, encoding: .utf8)))
            }
        }
    }

    @Test func theChainsAreAppendOnly() async throws {
        try await TestPostgres.withCluster { socket in
            try await PostgresStore.withClient(StoreBackend.location(socket)) { client in
                try await PostgresSchema.upgrade(client)
                // An event belongs to a case.
                try await client.query(
                    """
                    INSERT INTO cases (case_number, status, holder, owner, epoch, head_seq, head_hash, registered_at,
                        registered_at_node, received_at, channel, purpose, category_l1, category_l2, category_l3, issue_region,
                        urgent, law_related, summary, search_text, last_event_at)
                    VALUES ('430102-20261204-00001', 'registered', '430102', '430102', 0, 1, 'h1', 1, '430102', 1, 'letter',
                        'complaint', 'x', 'x', 'x', '430102', 0, 0, 's', 's', 1)
                    """
                )
                try await client.query(
                    """
                    INSERT INTO events (hash, case_number, epoch, seq, origin, hlc_wall, hlc_logical, actor, kind, body, stored_at)
                    VALUES ('h1', '430102-20261204-00001', 0, 1, '430102', 1, 0, 'clerk', 'registered', '{}', 1)
                    """
                )
                let refusals: [PostgresQuery] = [
                    "UPDATE events SET body = '{\"altered\":true}'",
                    "DELETE FROM events",
                    "TRUNCATE events",
                ]
                for refusal in refusals {
                    let error = await #expect(throws: PSQLError.self) { try await client.query(refusal) }
                    #expect(error.map { String(reflecting: $0) }?.contains("events are append-only") == true)
                }
                #expect(try await Self.strings(client, "SELECT body FROM events") == ["{}"])
                // A format below 2 is not written: format 1 is the absence of the field.
                await #expect(throws: PSQLError.self) {
                    try await client.query(
                        """
                        INSERT INTO events (hash, case_number, epoch, seq, origin, hlc_wall, hlc_logical, actor, kind, body, stored_at, format)
                        VALUES ('h2', '430102-20261204-00001', 0, 2, '430102', 2, 0, 'clerk', 'noted', '{}', 2, 1)
                        """
                    )
                }
            }
        }
    }

    @Test func aDatabaseANewerBuildMigratedIsRefusedBeforeAnythingIsWritten() async throws {
        try await TestPostgres.withCluster { socket in
            try await PostgresStore.withClient(StoreBackend.location(socket)) { client in
                try await client.query("CREATE TABLE schema_migrations (identifier TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
                try await client.query("INSERT INTO schema_migrations (identifier) VALUES ('001-chains'), ('999-from-a-newer-build')")
                await #expect(throws: StoreError.newerSchema(unknownMigrations: ["999-from-a-newer-build"])) {
                    try await PostgresSchema.upgrade(client)
                }
                #expect(try await Self.strings(client, "SELECT COALESCE(to_regclass('events')::text, 'none')") == ["none"])
            }
        }
    }

    @Test func twoServersUpgradingOneDatabaseAtOnceApplyEachMigrationOnce() async throws {
        try await TestPostgres.withCluster { socket in
            let location = StoreBackend.location(socket)
            async let first = PostgresStore.withClient(location) { try await PostgresSchema.upgrade($0) }
            async let second = PostgresStore.withClient(location) { try await PostgresSchema.upgrade($0) }
            let (one, two) = try await (first, second)
            // One applied everything, the other waited on the upgrade lock and found nothing to do.
            #expect([one, two].sorted { $0.count < $1.count } == [[], PostgresSchema.identifiers])
            try await PostgresStore.withClient(location) { client in
                let counted = try await Self.strings(client, "SELECT count(*)::text FROM schema_migrations")
                #expect(counted == ["\(PostgresSchema.identifiers.count)"])
            }
        }
    }
}
