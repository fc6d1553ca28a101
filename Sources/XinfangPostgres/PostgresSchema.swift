import Foundation
public import Logging
public import PostgresNIO
public import XinfangStore

/// One schema migration of the PostgreSQL backend: its identifier and its statements, run in
/// order in one transaction (PostgreSQL's DDL is transactional, so a migration lands whole or not
/// at all). Plain SQL in the subset PostgreSQL 12 and later, and KingbaseES in PostgreSQL mode, run.
/// Never edit one after it has landed; add a migration instead (`schemas/postgres-schema.txt` and
/// `PostgresSchemaTests` hold the result).
struct PostgresMigration: Sendable {
    let identifier: String
    let statements: [String]
}

/// The PostgreSQL schema's migrations and how a server applies them.
public enum PostgresSchema {
    static let migrations: [PostgresMigration] = [
        PostgresMigration001Chains.migration, PostgresMigration002Audit.migration, PostgresMigration003Accounts.migration,
        PostgresMigration004Cases.migration, PostgresMigration005OpenIndexByKind.migration,
    ]

    /// The identifiers, in order.
    public static var identifiers: [String] { migrations.map(\.identifier) }

    /// The advisory lock that serialises schema upgrades of one database ("xinfang" in ASCII):
    /// two servers of one node starting together apply each migration once, the second waiting
    /// for the first's commit and then finding nothing to do.
    static let upgradeLock: Int64 = 0x78_696e_6661_6e67

    /// Brings the database's schema to this build's in one transaction under the upgrade lock, and
    /// answers the identifiers it applied. A database a newer build migrated (a migration this
    /// build does not know) is refused with `StoreError.newerSchema` before anything is written.
    /// An existing database says in `report` what is applied and how long it took.
    @discardableResult
    public static func upgrade(
        _ client: PostgresClient,
        logger: Logger = Logger(label: "xinfang.postgres"),
        report: ProgressReport? = nil
    ) async throws -> [String] {
        do {
            return try await apply(client, logger: logger, report: report)
        } catch let error as PostgresTransactionError {
            // The refusal, not postgres-nio's wrapper around it: nothing was written either way.
            if let refusal = error.closureError as? StoreError { throw refusal }
            throw error
        }
    }

    private static func apply(_ client: PostgresClient, logger: Logger, report: ProgressReport?) async throws -> [String] {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(upgradeLock))", logger: logger)
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    identifier TEXT PRIMARY KEY,
                    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
                )
                """,
                logger: logger
            )
            var applied: Set<String> = []
            for try await identifier in try await connection.query("SELECT identifier FROM schema_migrations", logger: logger)
                .decode(String.self)
            {
                applied.insert(identifier)
            }
            let unknown = applied.subtracting(identifiers)
            if !unknown.isEmpty { throw StoreError.newerSchema(unknownMigrations: unknown.sorted()) }
            let pending = migrations.filter { !applied.contains($0.identifier) }
            let existing = !applied.isEmpty
            if existing, !pending.isEmpty {
                report?("schema: applying \(pending.count) migration(s) (\(pending.map(\.identifier).joined(separator: ", ")))")
            }
            for migration in pending {
                let started = Date()
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO schema_migrations (identifier) VALUES (\(migration.identifier))",
                    logger: logger
                )
                if existing { report?(String(format: "schema: %@ applied in %.2f s", migration.identifier, Date().timeIntervalSince(started))) }
            }
            return pending.map(\.identifier)
        }
    }
}
