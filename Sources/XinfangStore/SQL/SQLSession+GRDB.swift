import Foundation
import GRDB
import GRDBSQLite

/// SQLite's side of the seam: GRDB's connection inside its transaction.
extension Database: SQLSession {
    var dialect: SQLDialect { .sqlite }

    @discardableResult
    func run(_ sql: String, arguments: [any SQLValueConvertible], cached: Bool) throws -> Int {
        try run(sql, values: arguments.map(\.sqlValue)[...], cached: cached)
    }

    /// A gathered statement's values bound as they are: no existential to open, no
    /// `DatabaseValue` made a value (the rows of a packet: thousands a transaction).
    @discardableResult
    func run(_ sql: String, values: ArraySlice<SQLValue>, cached: Bool) throws -> Int {
        try Self.constraints {
            let statement = try statement(sql, cached: cached)
            return try Self.withBound(values, to: statement) {
                try statement.execute()
                return changesCount
            }
        }
    }

    func rows(_ sql: String, arguments: [any SQLValueConvertible], cached: Bool) throws -> [SQLRow] {
        try Self.constraints {
            let statement = try statement(sql, cached: cached)
            let columns = statement.columnNames
            return try Self.withBound(arguments.map(\.sqlValue), to: statement) {
                try Row.fetchAll(statement).map { SQLRow(columns: columns, values: $0.sqlValues) }
            }
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
        try Self.withBound(arguments.map(\.sqlValue), to: statement) {
            let cursor = try Row.fetchCursor(statement)
            while let row = try cursor.next() { try body(SQLRow(columns: columns, values: row.sqlValues)) }
        }
    }

    private func statement(_ sql: String, cached: Bool) throws -> Statement {
        cached ? try cachedStatement(sql: sql) : try makeStatement(sql: sql)
    }

    /// Binds `values` to the statement's parameters and runs `body`, after checking their count as
    /// GRDB checks it. `StatementArguments` made the same bindings after copying every value into
    /// an existential and mapping the array in its unspecialised generic code: 4 % of P1's samples
    /// (docs/BENCHMARKS.md), where this loop is a switch and a C call a value.
    ///
    /// Texts are copied once into one buffer of the call's and bound in place (`SQLITE_STATIC`,
    /// with their length): GRDB binds a `String` with `SQLITE_TRANSIENT` and no length, so SQLite
    /// measured each, allocated a copy of it and freed it when the bindings were cleared, some ten
    /// thousand times a packet on the writer thread (docs/BENCHMARKS.md, "Texts bound in place,
    /// reads kept prepared, three packets on the wire"). The bindings are cleared before the
    /// buffer goes, so the statement (kept in GRDB's cache) never points into freed memory.
    /// `setUncheckedArguments` with no arguments resets the statement, clears its bindings and
    /// records them as bound, so GRDB's `execute()` and its cursors run the statement as bound here
    /// (a statement whose step failed is never reused: GRDB takes it out of its cache).
    private static func withBound<T>(_ values: some Collection<SQLValue>, to statement: Statement, _ body: () throws -> T) throws -> T {
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
        var textBytes = 0
        for case .text(let text) in values { textBytes += text.utf8.count }
        // No allocation for a call without texts; empty texts alone are bound by `SQLValue.bind`.
        let buffer = textBytes > 0 ? UnsafeMutableRawPointer.allocate(byteCount: textBytes, alignment: 1) : nil
        defer {
            sqlite3_clear_bindings(handle)
            buffer?.deallocate()
        }
        var position: CInt = 1
        var offset = 0
        for value in values {
            let code: CInt
            if case .text(var text) = value, let buffer {
                let start = buffer.advanced(by: offset)
                let count = text.withUTF8 { bytes in
                    if let base = bytes.baseAddress { start.copyMemory(from: base, byteCount: bytes.count) }
                    return bytes.count
                }
                code = sqlite3_bind_text(handle, position, start.assumingMemoryBound(to: CChar.self), CInt(count), nil)
                offset += count
            } else {
                code = value.bind(to: handle, at: position)
            }
            guard code == SQLITE_OK else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errstr(code)), sql: statement.sql)
            }
            position += 1
        }
        return try body()
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
