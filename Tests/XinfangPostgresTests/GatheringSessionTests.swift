import Foundation
import Testing
import XinfangTesting

@testable import XinfangStore

/// The gathering of a packet's writes (`GatheringSession`) on both backends: the writes of one
/// statement go as one, a read first sends them, two writes of one row are never in one statement,
/// what the server refuses surfaces as the seam's refusal, and the gathered `UPDATE` and
/// `ON CONFLICT DO NOTHING` forms run on both.
struct GatheringSessionTests {
    /// Counts the statements that reach the store, and the writes' values and whether the
    /// connection is to keep them prepared.
    final class Counting<Base: SQLSession>: SQLSession {
        let base: Base
        var statements = 0
        var writes: [(values: Int, kept: Bool)] = []
        init(_ base: Base) { self.base = base }
        var dialect: SQLDialect { base.dialect }
        func run(_ sql: String, arguments: [any SQLValueConvertible], cached: Bool) throws -> Int {
            statements += 1
            writes.append((arguments.count, cached))
            return try base.run(sql, arguments: arguments, cached: cached)
        }
        func run(_ sql: String, values: ArraySlice<SQLValue>, cached: Bool) throws -> Int {
            statements += 1
            writes.append((values.count, cached))
            return try base.run(sql, values: values, cached: cached)
        }
        func rows(_ sql: String, arguments: [any SQLValueConvertible], cached: Bool) throws -> [SQLRow] {
            statements += 1
            return try base.rows(sql, arguments: arguments, cached: cached)
        }
        func eachRow(_ sql: String, arguments: [any SQLValueConvertible], _ body: (SQLRow) throws -> Void) throws {
            statements += 1
            try base.eachRow(sql, arguments: arguments, body)
        }
    }

    static func digests(_ db: some SQLSession) throws -> [Int64] {
        try db.values("SELECT digest FROM ae_buckets WHERE peer = ? ORDER BY bucket", ["430100"])
    }

    /// XORs into buckets 1 and 2, a read, then bucket 1 twice more: the first two go as one
    /// statement when the read comes; the second write of bucket 1 sends the first before it.
    static func gather(_ db: some SQLSession) throws -> (before: [Int64], after: [Int64], statements: [Int]) {
        let counting = Counting(db)
        let gathering = GatheringSession(counting)
        let xor = AntiEntropyStatements.bucketXor
        try gathering.execute(xor, ["430100", 1, Int64(5)])
        try gathering.execute(xor, ["430100", 2, Int64(6)])
        let unsent = counting.statements
        let before = try digests(gathering)
        let afterRead = counting.statements
        try gathering.execute(xor, ["430100", 1, Int64(3)])
        try gathering.execute(xor, ["430100", 3, Int64(9)])
        try gathering.execute(xor, ["430100", 1, Int64(5)])
        let atRepeat = counting.statements
        try gathering.send()
        return (before, try digests(db), [unsent, afterRead, atRepeat, counting.statements])
    }

    @Test(arguments: StoreBackend.allCases)
    func writesOfOneStatementGoAsOneAndAReadSendsThemFirst(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let (before, after, statements) = try await store.writing { db in try Self.gather(db) }
            #expect(before == [5, 6])
            #expect(after == [5 ^ 3 ^ 5, 6, 9])
            // Nothing sent before the read; then one statement and the read; at bucket 1's second
            // write, the two before it as one; the last alone.
            #expect(statements == [0, 2, 3, 4])
        }
    }

    /// `count` rows of one statement gathered and sent, for a peer of their own: the rows of each
    /// statement that reached the store (with "prepared once" for those the connection keeps
    /// prepared, on SQLite) and whether every row landed.
    static func send(_ count: Int, _ db: some SQLSession) throws -> (statements: [String], landed: Bool) {
        let counting = Counting(db)
        let gathering = GatheringSession(counting)
        let peer = "4301\(count)"
        for bucket in 0..<count {
            try gathering.execute(AntiEntropyStatements.bucketXor, [peer, bucket, Int64(bucket + 1)])
        }
        try gathering.send()
        let statements = counting.writes.map { "\($0.values / 3)" + ($0.kept && db.dialect == .sqlite ? " prepared once" : "") }
        let digests: [Int64] = try db.values("SELECT digest FROM ae_buckets WHERE peer = ? ORDER BY bucket", [peer])
        return (statements, digests == (0..<count).map { Int64($0 + 1) })
    }

    /// A statement's gathered rows go on SQLite in statements of a power of two rows up to 32,
    /// each kept prepared by the connection (preparing a statement of a few rows cost more than
    /// running it, and one of hundreds of rows was prepared again at every packet), and on
    /// PostgreSQL in as few statements as the values allow. Every row lands either way.
    @Test(arguments: StoreBackend.allCases)
    func everyRowGoesInStatementsKeptPreparedOnSQLite(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let sent = try await store.writing { db in try [1, 45, 100, 200].map { try Self.send($0, db) } }
            #expect(sent.allSatisfy { $0.landed })
            switch backend {
            case .sqlite:
                #expect(
                    sent.map(\.statements) == [
                        ["1 prepared once"],
                        ["32 prepared once", "8 prepared once", "4 prepared once", "1 prepared once"],
                        ["32 prepared once", "32 prepared once", "32 prepared once", "4 prepared once"],
                        Array(repeating: "32 prepared once", count: 6) + ["8 prepared once"],
                    ]
                )
            case .postgres:
                #expect(sent.map(\.statements) == [["1"], ["45"], ["100"], ["200"]])
            }
        }
    }

    static func refusal(_ db: some SQLSession) throws -> String? {
        let gathering = GatheringSession(db)
        let keys = EventRow.petitionerKeyInsert
        // Two rows of one key in one `DO NOTHING` statement: the second is skipped. (Undone after:
        // the rows name a case the store does not hold.)
        var rows: [String] = []
        try db.savepoint {
            try gathering.execute(keys, ["key-1", "C1"])
            try gathering.execute(keys, ["key-1", "C1"])
            try gathering.execute(keys, ["key-2", "C1"])
            rows = try gathering.values("SELECT match_key FROM petitioner_keys ORDER BY match_key")
            return false
        }
        guard rows == ["key-1", "key-2"] else { return "rows \(rows)" }
        // Two outbox rows of one chain: the server refuses the gathered statement.
        let insert = OutboxTable.insertStatement
        let row: [any SQLValueConvertible] = [
            "430100", "chain", "C1", nil as String?, nil as String?, 1, 0, "pending", 0, nil as String?, nil as String?, 0, 0, 0,
        ]
        do {
            try db.savepoint {
                try gathering.execute(insert, row)
                try gathering.execute(insert, row)
                try gathering.send()
                return true
            }
        } catch let refused as SQLConstraintViolation {
            return refused.message.isEmpty ? "an empty refusal" : nil
        }
        return "the duplicate chain row was taken"
    }

    @Test(arguments: StoreBackend.allCases)
    func doNothingRowsRepeatAndARefusalSurfacesWhenSent(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let problem = try await store.writing { db in try Self.refusal(db) }
            #expect(problem == nil, "\(problem ?? "")")
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func aGatheredUpdateRunsOnBothBackends(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let rows = try await store.writing { db -> [String] in
                try db.execute("CREATE TABLE toy (k TEXT PRIMARY KEY, a BIGINT NOT NULL, b TEXT NOT NULL)")
                try db.execute("INSERT INTO toy (k, a, b) VALUES ('k1', 1, 'p'), ('k2', 2, 'q'), ('k3', 3, 'r')")
                let update = GatheredWrite("UPDATE toy SET a = ?, b = ? WHERE k = ?")
                #expect(update.width == 3)
                #expect(update.key == [2])
                try db.run(update.statement(rows: 2), arguments: [Int64(10), "x", "k1", Int64(30), "z", "k3"], cached: false)
                return try db.fetchAll("SELECT k, a, b FROM toy ORDER BY k").map { "\($0["k"] as String) \($0["a"] as Int) \($0["b"] as String)" }
            }
            #expect(rows == ["k1 10 x", "k2 2 q", "k3 30 z"])
        }
    }

    @Test func theStatementsShapes() {
        let insert = GatheredWrite("INSERT INTO t (a, b, c)\n    VALUES (?, ?, ?)\n    ON CONFLICT(c, a) DO UPDATE SET b = excluded.b")
        #expect(insert.width == 3)
        #expect(insert.key == [2, 0])
        #expect(insert.statement(rows: 2) == "INSERT INTO t (a, b, c) VALUES (?, ?, ?), (?, ?, ?) ON CONFLICT(c, a) DO UPDATE SET b = excluded.b")
        #expect(GatheredWrite(EventRow.petitionerKeyInsert).key.isEmpty)
        #expect(GatheredWrite(EventRow.insert).key.isEmpty)
        #expect(GatheredWrite(MaterialisedCase.upsert).key == [0])
        #expect(
            GatheredWrite("UPDATE t SET a = ?, b = ? WHERE k = ?").statement(rows: 2)
                == "UPDATE t SET a = gathered.column1, b = gathered.column2 FROM (VALUES (?, ?, ?), (?, ?, ?)) AS gathered WHERE t.k = gathered.column3"
        )
    }
}
