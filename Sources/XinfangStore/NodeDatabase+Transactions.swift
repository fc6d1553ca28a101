public import Foundation
import GRDB
public import XinfangCore

// The store's transactions on either backend: SQLite through GRDB's writer, or a database server's
// transactions through the seam (`SQLTransactions`).

extension NodeDatabase {
    /// Opens a node's store on a database server's transactions (`PostgresTransactions`), whose
    /// schema the server's own migrations have brought to this build's: what is derived from the
    /// rows (a calendar's deadlines, the indicators' daily counts) is brought up to date first.
    public static func open(
        server: any SQLTransactions,
        node: NodeID,
        calendar: DeadlineCalendar,
        hierarchy: Hierarchy? = nil,
        personalData: PersonalDataProtector = .development,
        blobDirectory: URL,
        report: ProgressReport? = nil
    ) async throws -> NodeDatabase {
        let store = try NodeDatabase(
            backend: .server(server),
            node: node,
            calendar: calendar,
            hierarchy: hierarchy,
            personalData: personalData,
            blobDirectory: blobDirectory,
            syncsCommits: true
        )
        try await store.write { db in try store.refreshDerived(db, existing: true, report: report) }
        return store
    }

    /// The SQLite writer, for what only SQLite has (its migrations, `VACUUM INTO` backups, the
    /// planner's statistics, the benchmarks' raw rows); `unsupported` names the operation refused
    /// on a database server.
    func sqliteWriter(for unsupported: String) throws -> any DatabaseWriter {
        guard case .sqlite(let writer) = backend else {
            throw StoreError.database("\(unsupported) is for a SQLite store; a PostgreSQL store uses the server's tools")
        }
        return writer
    }

    /// One write transaction on GRDB's writer queue, off Swift's cooperative threads (a commit
    /// waits for fsync), with errors translated at the store boundary.
    /// When the task that writes carries a pending audit entry (`AuditScope`), the entry is
    /// appended in the same transaction: the action and its audit row commit together or not at all.
    /// On SQLite, what the daily-count triggers staged is counted before the commit (`beforeCommit`).
    @discardableResult
    func write<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) throws -> T) async throws -> T {
        transactions.add()
        switch backend {
        case .sqlite(let writer):
            let scope = AuditScope.current
            do {
                return try await writer.write { db in
                    let result = try body(db)
                    try beforeCommit(db, audit: scope)
                    return result
                }
            } catch { throw Self.translated(error) }
        case .server(let server):
            return try await server.writing(body)
        }
    }

    /// The SQL its backend speaks.
    public var dialect: SQLDialect {
        switch backend {
        case .sqlite: .sqlite
        case .server(let server): server.dialect
        }
    }

    /// The SQLite writer of a SQLite store, for its maintenance and tests (a store on a database
    /// server has none: a programming error).
    var writer: any DatabaseWriter {
        guard case .sqlite(let writer) = backend else { preconditionFailure("a store on a database server has no SQLite writer") }
        return writer
    }

    /// A read transaction with GRDB's connection itself (SQLite's own tables and pragmas).
    func readSQLite<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let writer = try sqliteWriter(for: "a read of SQLite's own tables")
        transactions.add()
        do { return try await writer.read(body) } catch { throw Self.translated(error) }
    }

    /// A write transaction with GRDB's connection itself, for what only SQLite has (the benchmarks'
    /// prepared bulk inserts).
    @discardableResult
    func writeSQLite<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let writer = try sqliteWriter(for: "a bulk load")
        transactions.add()
        do {
            return try await writer.write { db in
                let result = try body(db)
                try beforeCommit(db, audit: nil)
                return result
            }
        } catch { throw Self.translated(error) }
    }

    /// What every write transaction of a SQLite store does last, before it commits: the task's
    /// pending audit entry appended, and what the daily-count triggers staged added to the counts
    /// (`DailyCounts.flushStaged`), so that no reader sees a case without its counts.
    func beforeCommit(_ db: Database, audit scope: AuditScope?) throws {
        try DailyCounts.flushStaged(db, stagedCountsFlush)
        try AuditScope.appendPending(scope, in: db)
    }

    /// A write whose loss in a power failure is harmless because it is redone (the sender's record
    /// of a delivery: lost, the items are sent again and the receiver answers `duplicate`). It
    /// commits without waiting for fsync (`synchronous = NORMAL` for this one transaction, safe
    /// from corruption in WAL mode); the next durable commit syncs it with everything before it.
    @discardableResult
    func writeUnsynced<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) throws -> T) async throws -> T {
        guard syncsCommits else { return try await write(body) }
        guard case .sqlite(let writer) = backend else {
            // PostgreSQL's form of the same relaxation, for this transaction only.
            return try await write { db in
                try db.execute("SET LOCAL synchronous_commit = off")
                return try body(db)
            }
        }
        let scope = AuditScope.current
        transactions.add()
        do {
            return try await writer.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
                defer { try? db.execute(sql: "PRAGMA synchronous = FULL") }
                var result: T?
                try db.inTransaction {
                    result = try body(db)
                    try beforeCommit(db, audit: scope)
                    return .commit
                }
                return result!
            }
        } catch { throw Self.translated(error) }
    }

    /// One read transaction (a snapshot; in WAL mode it does not wait for writers).
    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) throws -> T) async throws -> T {
        transactions.add()
        switch backend {
        case .sqlite(let writer):
            do { return try await writer.read { db in try body(db) } } catch { throw Self.translated(error) }
        case .server(let server):
            return try await server.reading(body)
        }
    }
}
