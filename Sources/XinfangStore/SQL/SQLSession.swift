/// Which SQL a session speaks, for the few statements the two backends write differently (most of
/// the store's SQL is the subset both run: `ON CONFLICT … DO UPDATE`, `COALESCE`, `CAST(… AS
/// BIGINT)`, double-quoted identifiers, `?` placeholders).
public enum SQLDialect: Sendable {
    case sqlite
    case postgres

    /// Whether each statement is a round trip to a server (PostgreSQL) rather than a call within
    /// the process (SQLite): where one answer can be read in one statement or in several, a
    /// server's store reads it in one.
    public var statementIsRoundTrip: Bool { self == .postgres }

    /// How many rows of a group `condition` holds for (NULL for a group where it is never known):
    /// SQLite sums the comparison itself, PostgreSQL its cast to a number.
    public func count(where condition: String) -> String {
        switch self {
        case .sqlite: "SUM(\(condition))"
        case .postgres: "SUM(CAST((\(condition)) AS INTEGER))"
        }
    }

    /// The statement that makes the rest of a transaction plan its queries without parallel
    /// workers, or nil where there are none (SQLite). For a read of a bounded number of rows, however
    /// large the store (the daily counts' spans): PostgreSQL's planner, on its defaults, started
    /// two workers for the few thousand rows of three years' counts, which took twice as long as
    /// reading them in the one process (docs/BENCHMARKS.md, P9).
    public var serialPlans: String? {
        switch self {
        case .sqlite: nil
        case .postgres: "SET LOCAL max_parallel_workers_per_gather = 0"
        }
    }

    /// The month (`YYYY-MM`, UTC) of a time in seconds since 1970.
    public func month(ofSeconds seconds: String) -> String {
        switch self {
        case .sqlite: "strftime('%Y-%m', \(seconds), 'unixepoch')"
        case .postgres: "to_char(to_timestamp(\(seconds)) AT TIME ZONE 'UTC', 'YYYY-MM')"
        }
    }

    /// A query for the names of the store's tables, in order (the backend's own bookkeeping
    /// tables left out, the migrations' record kept).
    public var tableNames: String {
        switch self {
        case .sqlite: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        case .postgres: "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
        }
    }

    /// A query for the name and the `CREATE INDEX` statement of each index of the table named by
    /// its one argument that a bulk load may drop and build again: those a constraint (a primary
    /// key, `UNIQUE`) does not own.
    public var droppableIndexes: String {
        switch self {
        case .sqlite: "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name"
        case .postgres:
            """
            SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
            WHERE t.relname = ? AND t.relnamespace = CAST(current_schema() AS regnamespace)
                AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
            ORDER BY i.relname
            """
        }
    }

    /// The text at `path` in a JSON column (NULL when absent).
    public func jsonText(_ column: String, _ path: [String]) -> String {
        switch self {
        case .sqlite: "json_extract(\(column), '$.\(path.joined(separator: "."))')"
        case .postgres: "(CAST(\(column) AS JSONB) #>> '{\(path.joined(separator: ","))}')"
        }
    }
}

/// One connection inside one transaction, as the store's logic sees it: statements with `?`
/// placeholders and the rows they return. The store's rules are written once over this seam and run
/// on both backends: SQLite through GRDB (`Database` conforms) and PostgreSQL through postgres-nio
/// (`XinfangPostgres`). A session is used by one thread at a time and never outlives its
/// transaction.
///
/// `cached` says the SQL is a constant: the backend may keep it prepared (GRDB's statement cache).
/// SQL built at run time (an `IN (?, ?, …)` list) passes false, or the cache would grow with every
/// shape.
public protocol SQLSession {
    var dialect: SQLDialect { get }
    /// Runs one statement and answers how many rows it changed.
    @discardableResult
    func run(_ sql: String, arguments: [any SQLValueConvertible], cached: Bool) throws -> Int
    /// Runs one query and answers its rows.
    func rows(_ sql: String, arguments: [any SQLValueConvertible], cached: Bool) throws -> [SQLRow]
    /// Runs one query and hands its rows over one at a time, without holding them all (a scan of a
    /// large table).
    func eachRow(_ sql: String, arguments: [any SQLValueConvertible], _ body: (SQLRow) throws -> Void) throws
    /// Runs one statement with values already converted (a gathered statement's rows); answers
    /// how many rows it changed.
    @discardableResult
    func run(_ sql: String, values: ArraySlice<SQLValue>, cached: Bool) throws -> Int
}

extension SQLSession {
    /// Converted values go in as any other arguments where the session has no shorter way.
    @discardableResult
    public func run(_ sql: String, values: ArraySlice<SQLValue>, cached: Bool) throws -> Int {
        try run(sql, arguments: values.map { $0 as any SQLValueConvertible }, cached: cached)
    }

    /// Runs a constant statement; answers how many rows it changed.
    @discardableResult
    public func execute(_ sql: String, _ arguments: [any SQLValueConvertible] = []) throws -> Int {
        try run(sql, arguments: arguments, cached: true)
    }

    /// The rows of a constant query.
    public func fetchAll(_ sql: String, _ arguments: [any SQLValueConvertible] = []) throws -> [SQLRow] {
        try rows(sql, arguments: arguments, cached: true)
    }

    /// The first row of a constant query (which should say `LIMIT 1` when it can return more).
    public func fetchOne(_ sql: String, _ arguments: [any SQLValueConvertible] = []) throws -> SQLRow? {
        try rows(sql, arguments: arguments, cached: true).first
    }

    /// The first column of the first row; nil when there is no row or it holds NULL.
    public func value<Value: SQLValueConvertible>(
        _ sql: String,
        _ arguments: [any SQLValueConvertible] = [],
        as type: Value.Type = Value.self
    ) throws -> Value? {
        guard let row = try fetchOne(sql, arguments) else { return nil }
        let value: Value? = row[0]
        return value
    }

    /// The first column of every row (NULLs left out).
    public func values<Value: SQLValueConvertible>(
        _ sql: String,
        _ arguments: [any SQLValueConvertible] = [],
        as type: Value.Type = Value.self
    ) throws -> [Value] {
        try fetchAll(sql, arguments).compactMap { row in row[0] as Value? }
    }
}

extension SQLSession {
    /// Runs `body` in a savepoint: what it did is kept when it answers true, and undone when it
    /// answers false or throws (the transaction goes on either way). Not nested.
    public func savepoint(_ body: () throws -> Bool) throws {
        try execute("SAVEPOINT xinfang_part")
        do {
            if try !body() { try execute("ROLLBACK TO SAVEPOINT xinfang_part") }
            try execute("RELEASE SAVEPOINT xinfang_part")
        } catch {
            // After a failed statement PostgreSQL accepts nothing but the rollback.
            _ = try? execute("ROLLBACK TO SAVEPOINT xinfang_part")
            _ = try? execute("RELEASE SAVEPOINT xinfang_part")
            throw error
        }
    }
}

/// A statement broke a constraint of the schema (a unique key, a check, a foreign key, a trigger's
/// refusal), with the backend's message: the same error from both backends.
public struct SQLConstraintViolation: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A store's transactions over the seam: each body runs in one transaction that commits when it
/// returns and rolls back when it throws. A write transaction is the only writer of the node's
/// store while it runs (SQLite's single writer; a lock on PostgreSQL, across every server of the
/// node), so logic that reads a counter and writes the next value needs no retry.
public protocol SQLTransactions: Sendable {
    var dialect: SQLDialect { get }
    @discardableResult
    func writing<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) throws -> T) async throws -> T
    @discardableResult
    func reading<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) throws -> T) async throws -> T
    /// The lease that chooses which of the node's servers runs its background work; nil when the
    /// backend serves one server only.
    func leadership() -> (any NodeLeadership)?
}
