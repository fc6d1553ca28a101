import Foundation
import Logging
import NIOCore
import PostgresNIO
import Synchronization
import XinfangStore

/// PostgreSQL's side of the store's seam (`SQLSession`): one connection inside one transaction,
/// driven synchronously from the thread that owns it (never an event loop's, never Swift's
/// cooperative pool), as GRDB drives SQLite from its writer queue. The store's logic is written once
/// over the seam; this turns its `?` placeholders into `$1, $2, …` and its values into typed
/// binds, and reads every column back in the five forms the seam knows.
final class PostgresSession: SQLSession {
    let connection: PostgresConnection
    let logger: Logger

    init(connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    var dialect: SQLDialect { .postgres }

    func run(_ sql: String, arguments: [any SQLValueConvertible], cached: Bool) throws -> Int {
        try query(sql, arguments, cached: cached).metadata.rows ?? 0
    }

    /// A gathered statement's values, bound as they are.
    func run(_ sql: String, values: ArraySlice<SQLValue>, cached: Bool) throws -> Int {
        try query(sql, count: values.count, binds: { Self.binds(values) }, cached: cached).metadata.rows ?? 0
    }

    func rows(_ sql: String, arguments: [any SQLValueConvertible], cached: Bool) throws -> [SQLRow] {
        try Self.rows(of: query(sql, arguments, cached: cached).rows)
    }

    /// How many rows a scan fetches at a time through its cursor.
    static let scanBatch = 1_000

    /// A server-side cursor, read `scanBatch` rows at a time: a scan of millions of rows never
    /// holds more than one batch here.
    func eachRow(_ sql: String, arguments: [any SQLValueConvertible], _ body: (SQLRow) throws -> Void) throws {
        _ = try query("DECLARE xinfang_scan NO SCROLL CURSOR FOR " + sql, arguments, cached: false)
        while true {
            let batch = try query("FETCH \(Self.scanBatch) FROM xinfang_scan", [], cached: true).rows
            for row in try Self.rows(of: batch) { try body(row) }
            if batch.count < Self.scanBatch { break }
        }
        _ = try query("CLOSE xinfang_scan", [], cached: true)
    }

    /// Runs a statement and waits for its answer.
    private func query(_ sql: String, _ arguments: [any SQLValueConvertible], cached: Bool) throws -> PostgresQueryResult {
        try query(sql, count: arguments.count, binds: { Self.binds(arguments.lazy.map(\.sqlValue)) }, cached: cached)
    }

    /// Runs a statement of `count` values, which `binds` binds, and waits for its answer.
    private func query(_ sql: String, count: Int, binds: () -> PostgresBindings, cached: Bool) throws -> PostgresQueryResult {
        let statement = cached ? Self.numberedCached(sql) : Self.numbered(sql)
        // The server takes more values than a statement's placeholders (the unused ones typed and
        // ignored): refused here as SQLite refuses them, so a value is never silently dropped.
        guard count == statement.placeholders else { throw WrongValueCount(given: count, placeholders: statement.placeholders) }
        do {
            return try connection.query(PostgresQuery(unsafeSQL: statement.text, binds: binds()), logger: logger).wait()
        } catch { throw Self.seam(error) }
    }

    /// A statement given another number of values than it has placeholders.
    struct WrongValueCount: Error, CustomStringConvertible {
        var given: Int
        var placeholders: Int
        var description: String { "wrong number of statement arguments: \(given), the statement takes \(placeholders)" }
    }

    static func binds(_ values: some Collection<SQLValue>) -> PostgresBindings {
        var binds = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case .null: binds.appendNull()
            case .integer(let v): binds.append(v)
            case .real(let v): binds.append(v)
            case .text(let v): binds.append(v)
            case .blob(let v): binds.append(ByteBuffer(bytes: v))
            }
        }
        return binds
    }

    /// The server's refusal of a statement for the schema's sake (an integrity constraint, SQLSTATE
    /// class 23, or a trigger's exception, P0001) as the seam names it, as SQLite's are: a run of a
    /// packet that breaks one is refused alone (`NodeDatabase.receive`), not the whole packet.
    static func seam(_ error: any Error) -> any Error {
        guard let error = error as? PSQLError, let state = error.serverInfo?[.sqlState] else { return error }
        guard state.hasPrefix("23") || state == "P0001" else { return error }
        return SQLConstraintViolation(error.serverInfo?[.message] ?? state)
    }

    // MARK: Placeholders

    /// The translations of constant SQL, made once each.
    private static let translations = Mutex<[String: Numbered]>([:])

    /// A statement's text with its placeholders numbered, and how many there are.
    struct Numbered: Sendable {
        var text: String
        var placeholders: Int
    }

    private static func numberedCached(_ sql: String) -> Numbered {
        if let done = translations.withLock({ $0[sql] }) { return done }
        let statement = numbered(sql)
        translations.withLock { $0[sql] = statement }
        return statement
    }

    /// `sql` with each `?` placeholder numbered (`$1`, `$2`, …), leaving alone a `?` inside a
    /// string literal, a quoted identifier or a comment.
    ///
    /// Read as UTF-8 bytes, as the server's lexer reads it (every character that matters is ASCII,
    /// and no byte of a longer character is one): a gathered statement of hundreds of rows is
    /// written and numbered at every packet (its shape varies with the packet), and numbering its
    /// characters one by one, grapheme breaking and all, was a fifth of P9's writer thread
    /// (docs/BENCHMARKS.md).
    static func numbered(_ sql: String) -> Numbered {
        var out: [UInt8] = []
        out.reserveCapacity(sql.utf8.count + sql.utf8.count / 2)
        var number = 0
        var quote: UInt8?
        var lineComment = false
        var previous: UInt8 = 0
        for c in sql.utf8 {
            defer { previous = c }
            if lineComment {
                if c == UInt8(ascii: "\n") { lineComment = false }
            } else if let q = quote {
                if c == q { quote = nil }
            } else if c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") {
                quote = c
            } else if c == UInt8(ascii: "-"), previous == UInt8(ascii: "-") {
                lineComment = true
            } else if c == UInt8(ascii: "?") {
                number += 1
                out.append(UInt8(ascii: "$"))
                appendDecimal(number, to: &out)
                continue
            }
            out.append(c)
        }
        return Numbered(text: String(decoding: out, as: UTF8.self), placeholders: number)
    }

    /// `value` (positive) in decimal digits.
    private static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        var divisor = 1
        while divisor <= value / 10 { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8(rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }

    // MARK: Values

    static func rows(of result: some Sequence<PostgresRow>) throws -> [SQLRow] {
        var columns: [String]?
        var rows: [SQLRow] = []
        for row in result {
            var values: [SQLValue] = []
            if columns == nil { columns = row.map(\.columnName) }
            for cell in row { values.append(try value(of: cell)) }
            rows.append(SQLRow(columns: columns!, values: values))
        }
        return rows
    }

    /// A column's value in the seam's forms. The schema uses only types with one of these forms;
    /// an aggregate that PostgreSQL widens (a `SUM` of BIGINT is NUMERIC) is cast back in the SQL.
    static func value(of cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8: return .integer(try cell.decode(Int64.self))
        case .float4, .float8: return .real(try cell.decode(Double.self))
        case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
        case .bytea:
            let buffer = try cell.decode(ByteBuffer.self)
            return .blob(Data(buffer.readableBytesView))
        case .text, .varchar, .bpchar, .name: return .text(try cell.decode(String.self))
        case .numeric:
            // A SUM of BIGINT: whole, unless an average made it a fraction.
            let decimal = try cell.decode(Decimal.self)
            if let whole = Int64(exactly: NSDecimalNumber(decimal: decimal).doubleValue), Decimal(whole) == decimal { return .integer(whole) }
            return .real(NSDecimalNumber(decimal: decimal).doubleValue)
        default: throw StoreError.database("column \(cell.columnName) is of type \(cell.dataType), which the store does not read")
        }
    }
}
