import Foundation
import Testing
import XinfangTesting

@testable import XinfangStore

/// The lists of `IN (…)` queries (`NodeDatabase.inLists`): padded to a power of two by their last
/// key, so that a query has a handful of shapes the connection keeps prepared, and answering on
/// both backends exactly the rows of the keys asked for, each once.
struct InListTests {
    @Test func listsArePaddedToAPowerOfTwoWithTheirLastKey() {
        let three = NodeDatabase.inLists([10, 20, 30])
        #expect(three.count == 1)
        #expect(three[0].placeholders == "?, ?, ?, ?")
        #expect(three[0].arguments.map { $0.sqlValue } == [.integer(10), .integer(20), .integer(30), .integer(30)])
        #expect(NodeDatabase.inLists([7])[0].placeholders == "?")
        #expect(NodeDatabase.inLists([Int]()).isEmpty)
        let limit = NodeDatabase.variablesPerQuery
        #expect(limit.nonzeroBitCount == 1, "the most keys a list is itself a power of two")
        #expect(NodeDatabase.inLists(Array(0..<limit)).map(\.arguments.count) == [limit])
        let over = NodeDatabase.inLists(Array(0..<(limit + 200)))
        #expect(over.map(\.arguments.count) == [limit, 256])
        #expect(over[1].arguments.suffix(57).allSatisfy { $0.sqlValue == .integer(Int64(limit + 199)) })
        let shapes = Set((1...(2 * limit)).flatMap { count in NodeDatabase.inLists(Array(0..<count)).map(\.placeholders) })
        #expect(shapes.count == limit.trailingZeroBitCount + 1, "one shape for each power of two up to the limit")
    }

    @Test(arguments: StoreBackend.allCases)
    func aPaddedListFindsEachRowOnce(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let found = try await store.writing { db -> [[String]] in
                try db.execute("CREATE TABLE listed (key TEXT PRIMARY KEY, n BIGINT)")
                for n in 0..<700 { try db.execute("INSERT INTO listed (key, n) VALUES (?, ?)", ["k\(n)", n]) }
                return try [["k3", "k1", "k2"], ["k5"], (0..<600).map { "k\($0)" } + ["absent"]].map { keys in
                    try NodeDatabase.inLists(keys).flatMap { list in
                        try db.rows("SELECT key FROM listed WHERE key IN (\(list.placeholders))", arguments: list.arguments, cached: true)
                            .map { $0["key"] as String }
                    }.sorted()
                }
            }
            #expect(found[0] == ["k1", "k2", "k3"])
            #expect(found[1] == ["k5"])
            #expect(found[2] == (0..<600).map { "k\($0)" }.sorted())
        }
    }
}
