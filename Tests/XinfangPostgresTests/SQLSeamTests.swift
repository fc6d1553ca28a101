import Foundation
import Testing
import XinfangStore
import XinfangTesting

/// The store's SQL seam on both backends: what is written comes back in the same form, statements
/// say how many rows they changed, a scan reads more rows than one batch of PostgreSQL's cursor,
/// a `?` inside a string literal is text, and a transaction that throws leaves nothing behind.
struct SQLSeamTests {
    @Test(arguments: StoreBackend.allCases)
    func whatIsWrittenComesBackInTheSameForm(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let blob = Data([0, 1, 2, 254, 255])
            let (changed, back) = try await store.writing { db in
                let bytes = db.dialect == .postgres ? "BYTEA" : "BLOB"
                try db.execute("CREATE TABLE seam (id BIGINT PRIMARY KEY, i BIGINT, r DOUBLE PRECISION, t TEXT, b \(bytes), n TEXT)")
                let inserted = try db.execute(
                    "INSERT INTO seam (id, i, r, t, b, n) VALUES (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?)",
                    [1, Int64.min, 0.25, "信访 '?' \"x\"", blob, String?.none, 2, 7, -1.5, "", Data(), "set"]
                )
                return (inserted, try db.fetchAll("SELECT * FROM seam ORDER BY id"))
            }
            #expect(changed == 2)
            #expect(back.count == 2)
            #expect(back[0]["i"] as Int64 == Int64.min)
            #expect(back[0]["r"] as Double == 0.25)
            #expect(back[0]["t"] as String == "信访 '?' \"x\"")
            #expect(back[0]["b"] as Data == blob)
            #expect(back[0]["n"] as String? == nil)
            #expect(back[1]["n"] as String? == "set")
            #expect(back[1]["b"] as Data == Data())
            #expect(back[1]["i"] as Bool)
            let literal: String? = try await store.reading { db in try db.value("SELECT '?' || ? AS q", ["!"]) }
            #expect(literal == "?!")
            let updated = try await store.writing { db in try db.execute("UPDATE seam SET t = ? WHERE id > ?", ["changed", 0]) }
            #expect(updated == 2)
        }
    }

    /// The same kept statement run again and again with other texts stores each whole, and a
    /// read's texts find their rows: on SQLite the texts of a call are bound in place from one
    /// buffer (`SQLITE_STATIC`, with their lengths), which must never leak into the next call.
    @Test(arguments: StoreBackend.allCases)
    func textsComeBackWholeFromAKeptStatement(_ backend: StoreBackend) async throws {
        let texts = ["", "信访件 430102-20261207-00001", String(repeating: "长沙市芙蓉区", count: 20_000), "short", "ü"]
        try await backend.withStore { store in
            let back = try await store.writing { db in
                try db.execute("CREATE TABLE kept (id BIGINT PRIMARY KEY, a TEXT, b TEXT, n BIGINT)")
                for (index, text) in texts.enumerated() {
                    try db.execute("INSERT INTO kept (id, a, b, n) VALUES (?, ?, ?, ?)", [index, text, text + "·" + text, text.utf8.count])
                }
                return try db.fetchAll("SELECT id, a, b, n FROM kept ORDER BY id")
            }
            #expect(back.count == texts.count)
            for (row, text) in zip(back, texts) {
                #expect(row["a"] as String == text, "text \(row["id"] as Int) whole")
                #expect(row["b"] as String == text + "·" + text)
                #expect(row["n"] as Int == text.utf8.count)
            }
            for (index, text) in texts.enumerated() {
                let found: Int? = try await store.reading { db in
                    try db.value("SELECT id FROM kept WHERE a = ? AND b = ?", [text, text + "·" + text])
                }
                #expect(found == index, "text \(index) found by its value")
            }
            // SQLite stores a NUL inside a text with the rest (bound with its length; GRDB's own
            // binding measured a text up to its first NUL). PostgreSQL refuses NUL in text.
            guard backend == .sqlite else { return }
            let stored: Int? = try await store.writing { db in
                try db.execute("INSERT INTO kept (id, a) VALUES (?, ?)", [99, "before\u{0}after"])
                return try db.value("SELECT length(CAST(a AS BLOB)) FROM kept WHERE id = ?", [99])
            }
            #expect(stored == 12)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func aScanReadsEveryRowInOrder(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let count = 2_345
            try await store.writing { db in
                try db.execute("CREATE TABLE scan (n BIGINT PRIMARY KEY)")
                for n in 0..<count { try db.execute("INSERT INTO scan (n) VALUES (?)", [n]) }
            }
            let read = try await store.reading { db in
                var seen: [Int] = []
                try db.eachRow("SELECT n FROM scan WHERE n >= ? ORDER BY n", arguments: [0]) { seen.append($0["n"]) }
                return seen
            }
            #expect(read == Array(0..<count))
        }
    }

    /// A statement the schema refuses throws the seam's constraint error on both backends, inside
    /// the savepoint it ran in, and that savepoint alone is rolled back (as a run of a packet that
    /// breaks a constraint is refused alone); the transaction goes on and commits.
    @Test(arguments: StoreBackend.allCases)
    func aRefusedStatementFailsOnlyItsSavepoint(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let refused = try await store.writing { db -> String? in
                try db.execute("CREATE TABLE kept_apart (n BIGINT PRIMARY KEY)")
                try db.execute("INSERT INTO kept_apart (n) VALUES (?)", [7])
                var refused: String?
                do {
                    try db.savepoint {
                        try db.execute("INSERT INTO kept_apart (n) VALUES (?)", [1000])
                        try db.execute("INSERT INTO kept_apart (n) VALUES (?)", [7])  // taken
                        return true
                    }
                } catch let violation as SQLConstraintViolation {
                    refused = violation.message
                }
                try db.execute("INSERT INTO kept_apart (n) VALUES (?)", [2000])
                return refused
            }
            #expect(refused != nil, "the duplicate was refused inside its savepoint")
            let kept: [Int] = try await store.reading { db in try db.values("SELECT n FROM kept_apart ORDER BY n") }
            #expect(kept == [7, 2000], "the savepoint's statements were rolled back, the transaction's kept")
        }
    }

    /// A statement given fewer or more values than its parameters is refused, not run with the
    /// missing ones as NULL; the same statement runs with the right values after.
    @Test(arguments: StoreBackend.allCases)
    func aStatementWithTheWrongNumberOfValuesIsRefused(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await store.writing { db in try db.execute("CREATE TABLE counted (n BIGINT PRIMARY KEY, t TEXT)") }
            for values: [any SQLValueConvertible] in [[1], [1, "a", "b"], []] {
                await #expect(throws: (any Error).self, "\(values.count) values") {
                    try await store.writing { db in try db.execute("INSERT INTO counted (n, t) VALUES (?, ?)", values) }
                }
                await #expect(throws: (any Error).self, "\(values.count) values") {
                    try await store.reading { db in try db.fetchAll("SELECT n FROM counted WHERE n = ? AND t = ?", values) }
                }
            }
            try await store.writing { db in try db.execute("INSERT INTO counted (n, t) VALUES (?, ?)", [1, "a"]) }
            let rows = try await store.reading { db in try db.fetchAll("SELECT n FROM counted WHERE n = ? AND t = ?", [1, "a"]) }
            #expect(rows.count == 1)
            let all: [Int] = try await store.reading { db in try db.values("SELECT n FROM counted") }
            #expect(all == [1], "nothing was written by a refused statement")
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func aTransactionThatThrowsLeavesNothing(_ backend: StoreBackend) async throws {
        struct Refused: Error {}
        try await backend.withStore { store in
            try await store.writing { db in try db.execute("CREATE TABLE kept (n BIGINT PRIMARY KEY)") }
            await #expect(throws: Refused.self) {
                try await store.writing { db in
                    try db.execute("INSERT INTO kept (n) VALUES (1)")
                    throw Refused()
                }
            }
            // A statement the server refuses rolls the whole transaction back too.
            await #expect(throws: StoreError.self) {
                try await store.writing { db in
                    try db.execute("INSERT INTO kept (n) VALUES (2)")
                    try db.execute("INSERT INTO kept (n) VALUES (2)")
                }
            }
            let left: [Int] = try await store.reading { db in try db.values("SELECT n FROM kept") }
            #expect(left.isEmpty)
            // The store goes on after both.
            try await store.writing { db in try db.execute("INSERT INTO kept (n) VALUES (3)") }
            #expect(try await store.reading { db in try db.values("SELECT n FROM kept") as [Int] } == [3])
        }
    }
}
