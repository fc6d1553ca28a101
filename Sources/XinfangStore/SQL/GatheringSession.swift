import Foundation

/// A session that gathers a packet's writes of the same statement into one statement (rows of an
/// `INSERT … VALUES (…), (…)`, keys of an `UPDATE … FROM (VALUES …)`), so that storing a packet's
/// runs costs a few round trips instead of several a run (PostgreSQL waits for each statement;
/// SQLite prepares one statement for many rows).
///
/// Only the statements `GatheredWrite.all` names are gathered, each in its own group; any other
/// statement, and every read, first sends what is gathered, so whatever runs next sees it. The
/// groups are sent in the order `GatheredWrite.all` lists them, which is the order the write path
/// writes a run's rows (a case's row before the rows that refer to it), and no group holds two rows
/// with the same conflict key (the second sends the groups first), since PostgreSQL refuses to
/// update one row twice in a statement. A gathered write answers 1 changed row: its callers do not
/// read the count. A refusal surfaces when the groups are sent, as the statement's; the packet's
/// caller then undoes its savepoint (`NodeDatabase.receive`).
final class GatheringSession<Base: SQLSession>: SQLSession {
    let base: Base
    /// Each group's rows, their values one after the other (`width` a row), converted once as
    /// they are gathered and bound from here.
    private var groups: [[SQLValue]] = Array(repeating: [], count: GatheredWrite.all.count)
    private var keys: [Set<[SQLValue]>] = Array(repeating: [], count: GatheredWrite.all.count)

    init(_ base: Base) { self.base = base }

    var dialect: SQLDialect { base.dialect }

    func run(_ sql: String, arguments: [any SQLValueConvertible], cached: Bool) throws -> Int {
        guard let index = GatheredWrite.index[sql] else {
            try send()
            return try base.run(sql, arguments: arguments, cached: cached)
        }
        let write = GatheredWrite.all[index]
        precondition(arguments.count == write.width, "a gathered statement takes \(write.width) arguments")
        if !write.key.isEmpty {
            let key = write.key.map { arguments[$0].sqlValue }
            if keys[index].contains(key) { try send() }
            keys[index].insert(key)
        }
        groups[index].append(contentsOf: arguments.lazy.map(\.sqlValue))
        return 1
    }

    func rows(_ sql: String, arguments: [any SQLValueConvertible], cached: Bool) throws -> [SQLRow] {
        try send()
        return try base.rows(sql, arguments: arguments, cached: cached)
    }

    func eachRow(_ sql: String, arguments: [any SQLValueConvertible], _ body: (SQLRow) throws -> Void) throws {
        try send()
        try base.eachRow(sql, arguments: arguments, body)
    }

    /// Sends every gathered write, group by group, in statements of `GatheredWrite.rows(left:)`
    /// rows each.
    func send() throws {
        for (index, write) in GatheredWrite.all.enumerated() where !groups[index].isEmpty {
            let values = groups[index]
            groups[index] = []
            keys[index] = []
            let rows = values.count / write.width
            var start = 0
            while start < rows {
                let count = write.rows(left: rows - start, dialect: dialect)
                let chunk = values[start * write.width..<(start + count) * write.width]
                start += count
                if count == 1 {
                    try base.run(write.sql, values: chunk, cached: true)
                } else {
                    let cached = dialect == .sqlite && count <= GatheredWrite.preparedRowsMax
                    try base.run(write.statement(rows: count), values: chunk, cached: cached)
                }
            }
        }
    }
}

/// A statement `GatheringSession` may gather, and how: its rows repeated after `VALUES`, or for an
/// `UPDATE … SET a = ?, … WHERE k = ?` its values joined in as a table.
struct GatheredWrite: Sendable {
    /// The statement as the write path runs it for one row.
    let sql: String
    /// Its arguments a row.
    let width: Int
    /// The positions of the arguments that name the row it writes (its conflict target or the
    /// `WHERE` column); empty when two rows may repeat (`DO NOTHING`, or none, which a unique key
    /// refuses).
    let key: [Int]
    private let shape: Shape

    private enum Shape {
        /// `head` + `(tuple)` repeated with commas + `tail`.
        case insert(head: String, tuple: String, tail: String)
        /// `UPDATE table SET` the columns `FROM (VALUES …) AS gathered WHERE table.key = …`.
        case update(table: String, columns: [String], key: String)
    }

    /// An `INSERT INTO t (c1, …) VALUES (?, …) [ON CONFLICT …]` with one `?` a column, or an
    /// `UPDATE t SET c1 = ?, … WHERE k = ?`.
    init(_ sql: String) {
        self.sql = sql
        let words = sql.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        if words.hasPrefix("UPDATE ") {
            let table = String(words.dropFirst(7).prefix { $0 != " " })
            guard let set = words.range(of: " SET "), let whereClause = words.range(of: " WHERE ") else { preconditionFailure(sql) }
            let columns = words[set.upperBound..<whereClause.lowerBound].split(separator: ",").map {
                String($0.split(separator: "=")[0].trimmingCharacters(in: .whitespaces))
            }
            let key = String(words[whereClause.upperBound...].split(separator: "=")[0].trimmingCharacters(in: .whitespaces))
            precondition(words.filter { $0 == "?" }.count == columns.count + 1, sql)
            shape = .update(table: table, columns: columns, key: key)
            width = columns.count + 1
            self.key = [columns.count]
            prepared = Self.powersOfTwo.map(written(rows:))
            return
        }
        guard let open = words.firstIndex(of: "("), let close = words[open...].firstIndex(of: ")"),
            let values = words.range(of: " VALUES ", range: close..<words.endIndex)
        else { preconditionFailure(sql) }
        let columns = words[words.index(after: open)..<close].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let tupleStart = values.upperBound
        guard let tupleEnd = words[tupleStart...].firstIndex(of: ")") else { preconditionFailure(sql) }
        let tuple = String(words[tupleStart...tupleEnd])
        precondition(tuple.filter { $0 == "?" }.count == columns.count, sql)
        let tail = String(words[words.index(after: tupleEnd)...])
        shape = .insert(head: String(words[..<tupleStart]), tuple: tuple, tail: tail)
        width = columns.count
        if let target = tail.range(of: "ON CONFLICT("), let end = tail[target.upperBound...].firstIndex(of: ")") {
            key = tail[target.upperBound..<end].split(separator: ",").map { name in
                columns.firstIndex(of: name.trimmingCharacters(in: .whitespaces))!
            }
        } else {
            key = []
        }
        prepared = Self.powersOfTwo.map(written(rows:))
    }

    private static let powersOfTwo = (0...preparedRowsMax.trailingZeroBitCount).map { 1 << $0 }

    /// Rows in the next statement when `left` rows are to be sent: on SQLite a power of two up to
    /// `preparedRowsMax`, each shape kept prepared by the connection (its statement cache; a
    /// handful a gathered statement) and never prepared again; elsewhere as many as
    /// `variablesMax` allows. Preparing a statement of a few rows, the table's triggers compiled
    /// into it, cost more than running it (a 10-case packet's rows 2.4 → 1.2 ms, `bench latency`
    /// under load), and a large packet's statement of hundreds of rows was parsed, allocated and
    /// coded value by value at every packet, on the writer every packet waits for
    /// (docs/BENCHMARKS.md, "The writer's own time"). PostgreSQL, whose every statement is a round
    /// trip and which keeps no statement prepared here, takes the most a statement allows.
    func rows(left: Int, dialect: SQLDialect) -> Int {
        guard dialect == .sqlite else { return min(left, max(1, Self.variablesMax / width)) }
        let fitting = min(left, Self.preparedRowsMax)
        return 1 << (Int.bitWidth - 1 - fitting.leadingZeroBitCount)
    }

    /// The most rows in one of SQLite's gathered statements (with 43 values a row, the widest,
    /// 1,376 values).
    static let preparedRowsMax = 32

    /// The statement for `rows` rows.
    func statement(rows: Int) -> String {
        if rows.nonzeroBitCount == 1, rows <= Self.preparedRowsMax { return prepared[rows.trailingZeroBitCount] }
        return written(rows: rows)
    }

    /// The statements of a power of two rows up to `preparedRowsMax`, written once.
    private var prepared: [String] = []

    private func written(rows: Int) -> String {
        switch shape {
        case .insert(let head, let tuple, let tail):
            return head + Array(repeating: tuple, count: rows).joined(separator: ", ") + tail
        case .update(let table, let columns, let key):
            let tuple = "(" + Array(repeating: "?", count: columns.count + 1).joined(separator: ", ") + ")"
            let sets = columns.enumerated().map { "\($1) = gathered.column\($0 + 1)" }.joined(separator: ", ")
            return "UPDATE \(table) SET \(sets) FROM (VALUES "
                + Array(repeating: tuple, count: rows).joined(separator: ", ")
                + ") AS gathered WHERE \(table).\(key) = gathered.column\(columns.count + 1)"
        }
    }

    /// Values a statement at most (SQLite allows 32,766 since 3.32, PostgreSQL 65,535).
    static let variablesMax = 30_000

    /// The statements a packet's runs write, in the order their groups are sent.
    static let all: [GatheredWrite] = [
        MaterialisedCase.upsert, MaterialisedCase.upsertWithDigest, MaterialisedCase.stateUpsert, EventRow.insert, EventRow.petitionerKeyInsert,
        OutboxTable.insertStatement, AntiEntropyStatements.bucketXor, AntiEntropyStatements.caseDigest, OutboxTable.saveStatement,
    ].map(GatheredWrite.init)

    static let index: [String: Int] = Dictionary(uniqueKeysWithValues: all.enumerated().map { ($1.sql, $0) })
}
