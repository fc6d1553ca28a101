import Foundation
import Testing
import XinfangCore
import XinfangTesting

@testable import XinfangStore

/// The benchmarks' bulk loads drop the secondary indexes and the indicators' triggers of `cases`
/// while they write, and build them again after: the schema after a load is the one before it,
/// and the rows are found through the rebuilt indexes.
struct BulkLoadTests {
    @Test(arguments: StoreBackend.allCases) func aSyntheticLoadLeavesTheIndexesAndTriggersAsItFoundThem(backend: StoreBackend) async throws {
        try await backend.withNode(NodeID("430000")) { db in
            let before = try await schema(of: db)
            #expect(before.indexes.count >= 10, "the store's indexes of cases: \(before.indexes)")
            #expect(before.triggers.count == 3, "the indicators' triggers: \(before.triggers)")
            #expect(
                !before.indexes.contains { $0.lowercased().contains("primary") || $0.hasSuffix("_pkey") },
                "a constraint's index is never dropped"
            )

            let units = [NodeID("430102"), NodeID("430000")]
            try await db.loadSyntheticCases(count: 300, units: units, now: Date(), years: 1)
            #expect(try await schema(of: db) == before)
            let open = try await db.read { db in
                try db.value("SELECT COUNT(*) FROM cases WHERE holder = ? AND is_open = ?", [units[0].rawValue, true], as: Int.self) ?? 0
            }
            var query = CaseQuery()
            query.holder = units[0]
            query.open = true
            #expect(try await db.cases(matching: query, now: Date()).total == open)
        }
    }

    @Test func theAntiEntropyHeadsLoadLeavesTheIndexesAndTriggersAsItFoundThem() async throws {
        try await StoreBackend.sqlite.withNode(NodeID("430102")) { db in
            let before = try await schema(of: db)
            try await db.loadSyntheticHeads(count: 200, sharedWith: NodeID("430100")) { _ in 1 }
            #expect(try await schema(of: db) == before)
            #expect(try await db.read { try $0.value("SELECT COUNT(*) FROM cases", as: Int.self) } == 200)
        }
    }

    /// The names and statements of the droppable indexes of `cases`, and the names of its triggers.
    func schema(of db: NodeDatabase) async throws -> Schema {
        try await db.read { db in
            let indexes = try db.rows(db.dialect.droppableIndexes, arguments: ["cases"], cached: false).map { "\($0[0] ?? "") \($0[1] ?? "")" }
            let triggers: [String] =
                switch db.dialect {
                case .sqlite: try db.values("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'cases' ORDER BY name")
                case .postgres:
                    try db.values(
                        "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relname = 'cases' AND NOT t.tgisinternal ORDER BY t.tgname"
                    )
                }
            return Schema(indexes: indexes, triggers: triggers)
        }
    }

    struct Schema: Equatable, Sendable {
        var indexes: [String]
        var triggers: [String]
    }
}
