import Foundation
import GRDB
import Testing
import XinfangTesting

@testable import XinfangStore

/// The migrated schema equals `schemas/sqlite-schema.sql`. A migration that changes the schema
/// must update the golden file in the same commit (run with XINFANG_UPDATE_GOLDEN=1 to rewrite it).
struct SchemaGoldenTests {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("schemas/sqlite-schema.sql")

    @Test func migratedSchemaMatchesTheGoldenFile() throws {
        let db = try NodeDatabase.inMemory(node: Fixtures.county)
        let statements = try db.writer.read { db in
            try String.fetchAll(
                db,
                sql: """
                    SELECT sql FROM sqlite_master
                    WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'grdb_%'
                    ORDER BY type DESC, name
                    """
            )
        }
        let actual = "-- Generated from the migrations; checked by SchemaGoldenTests.\n" + statements.map { $0 + ";\n" }.joined()
        if ProcessInfo.processInfo.environment["XINFANG_UPDATE_GOLDEN"] == "1" {
            try actual.write(to: Self.golden, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: Self.golden, encoding: .utf8)
        #expect(actual == expected)
    }
}
