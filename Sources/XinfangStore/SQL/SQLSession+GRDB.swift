import Foundation
import GRDB

/// SQLite's side of the seam: GRDB's connection inside its transaction.
extension Database: SQLSession {
    var dialect: SQLDialect { .sqlite }

    @discardableResult
    func run(_ sql: String, arguments: [any SQLValueConvertible], cached: Bool) throws -> Int {
        try Self.constraints {
            try statement(sql, cached: cached).execute(arguments: Self.arguments(arguments))
            return changesCount
        }
    }

    func rows(_ sql: String, arguments: [any SQLValueConvertible], cached: Bool) throws -> [SQLRow] {
        try Self.constraints {
            let statement = try statement(sql, cached: cached)
            let columns = statement.columnNames
            return try Row.fetchAll(statement, arguments: Self.arguments(arguments)).map { SQLRow(columns: columns, values: $0.sqlValues) }
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
        let cursor = try Row.fetchCursor(statement, arguments: Self.arguments(arguments))
        while let row = try cursor.next() { try body(SQLRow(columns: columns, values: row.sqlValues)) }
    }

    private func statement(_ sql: String, cached: Bool) throws -> Statement {
        cached ? try cachedStatement(sql: sql) : try makeStatement(sql: sql)
    }

    /// GRDB's initialiser for a sequence of `DatabaseValue` reads each through a key path, which
    /// in its unspecialised generic code looks up generic metadata for every value (3 % of a
    /// node's samples under `bench latency`'s load); the one for optional existentials calls the
    /// protocol's requirement instead.
    private static func arguments(_ values: [any SQLValueConvertible]) -> StatementArguments {
        StatementArguments(values.map { value -> (any DatabaseValueConvertible)? in value.sqlValue.databaseValue })
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
    fileprivate var databaseValue: DatabaseValue {
        switch self {
        case .null: .null
        case .integer(let v): v.databaseValue
        case .real(let v): v.databaseValue
        case .text(let v): v.databaseValue
        case .blob(let v): v.databaseValue
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
