import Foundation
import GRDB
import GRDBSQLite

/// SQLite's side of the seam: GRDB's connection inside its transaction.
extension Database: SQLSession {
    var dialect: SQLDialect { .sqlite }

    @discardableResult
    func run(_ sql: String, arguments: [any SQLValueConvertible], cached: Bool) throws -> Int {
        try Self.constraints {
            let statement = try statement(sql, cached: cached)
            try Self.bind(arguments, to: statement)
            try statement.execute()
            return changesCount
        }
    }

    /// A gathered statement's values bound as they are: no existential to open, no
    /// `DatabaseValue` made a value (the rows of a packet: thousands a transaction).
    @discardableResult
    func run(_ sql: String, values: ArraySlice<SQLValue>, cached: Bool) throws -> Int {
        try Self.constraints {
            let statement = try statement(sql, cached: cached)
            try Self.bind(values, to: statement)
            try statement.execute()
            return changesCount
        }
    }

    func rows(_ sql: String, arguments: [any SQLValueConvertible], cached: Bool) throws -> [SQLRow] {
        try Self.constraints {
            let statement = try statement(sql, cached: cached)
            let columns = statement.columnNames
            try Self.bind(arguments, to: statement)
            return try Row.fetchAll(statement).map { SQLRow(columns: columns, values: $0.sqlValues) }
        }
    }

    /// SQLite's constraint errors as the seam names them (`SQLConstraintViolation`).
    private static func constraints<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw SQLConstraintViolation(error.message ?? "constraint failed")
        }
    }

    func eachRow(_ sql: String, arguments: [any SQLValueConvertible], _ body: (SQLRow) throws -> Void) throws {
        let statement = try makeStatement(sql: sql)
        let columns = statement.columnNames
        try Self.bind(arguments, to: statement)
        let cursor = try Row.fetchCursor(statement)
        while let row = try cursor.next() { try body(SQLRow(columns: columns, values: row.sqlValues)) }
    }

    private func statement(_ sql: String, cached: Bool) throws -> Statement {
        cached ? try cachedStatement(sql: sql) : try makeStatement(sql: sql)
    }

    /// `bind` of the arguments' values, each converted as it is bound.
    private static func bind(_ values: [any SQLValueConvertible], to statement: Statement) throws {
        try bind(values.lazy.map(\.sqlValue), to: statement)
    }

    /// Binds `values` to the statement's parameters, each as GRDB binds the same Swift value
    /// (`SQLValue.bind`), after checking their count as GRDB checks it. `StatementArguments` made
    /// the same bindings after copying every value into an existential and mapping the array in
    /// its unspecialised generic code: 4 % of P1's samples (docs/BENCHMARKS.md), where this loop
    /// is a switch and a C call a value. `setUncheckedArguments` with no arguments resets the
    /// statement, clears its bindings and records them as bound, so GRDB's `execute()` and its
    /// cursors run the statement as bound here (a statement whose step failed is never reused:
    /// GRDB takes it out of its cache).
    private static func bind(_ values: some Collection<SQLValue>, to statement: Statement) throws {
        let handle = statement.sqliteStatement
        let expected = Int(sqlite3_bind_parameter_count(handle))
        guard values.count == expected else {
            throw DatabaseError(
                resultCode: .SQLITE_MISUSE,
                message: "wrong number of statement arguments: \(values.count), the statement takes \(expected)",
                sql: statement.sql
            )
        }
        statement.setUncheckedArguments(StatementArguments())
        var position: CInt = 1
        for value in values {
            let code = value.bind(to: handle, at: position)
            guard code == SQLITE_OK else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errstr(code)), sql: statement.sql)
            }
            position += 1
        }
    }
}

extension Row {
    fileprivate var sqlValues: [SQLValue] {
        databaseValues.map { value in
            switch value.storage {
            case .null: .null
            case .int64(let v): .integer(v)
            case .double(let v): .real(v)
            case .string(let v): .text(v)
            case .blob(let v): .blob(v)
            }
        }
    }
}

extension SQLValue {
    /// Binds the value as GRDB binds the same Swift value (`DatabaseValueConvertible.bind`),
    /// without making a `DatabaseValue` first.
    fileprivate func bind(to handle: SQLiteStatement, at position: CInt) -> CInt {
        switch self {
        case .null: sqlite3_bind_null(handle, position)
        case .integer(let v): v.bind(to: handle, at: position)
        case .real(let v): v.bind(to: handle, at: position)
        case .text(let v): v.bind(to: handle, at: position)
        case .blob(let v): v.bind(to: handle, at: position)
        }
    }
}

/// The SQLite store's transactions over the seam: `write` and `read`, with their durability, their
/// audit entry and their errors translated.
extension NodeDatabase: SQLTransactions {
    @discardableResult
    public func writing<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) throws -> T) async throws -> T {
        try await write { db in try body(db) }
    }

    public func reading<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) throws -> T) async throws -> T {
        try await read { db in try body(db) }
    }
}
