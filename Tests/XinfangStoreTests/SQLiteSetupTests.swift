import Foundation
import GRDB
import Testing
import XinfangCore
import XinfangTesting

@testable import XinfangStore

/// SQLite's process-wide options (`SQLiteSetup`): multi-thread mode, set before the first connection.
struct SQLiteSetupTests {
    /// A store's connections have no mutex of their own when the options were set (GRDB gives each
    /// connection one queue); when something in the process used SQLite first, setting them was
    /// refused (`SQLITE_MISUSE`) and the connections keep SQLite's serialized mode. Both the writer
    /// and a reader of a durable store are looked at.
    @Test func aStoresConnectionsHaveNoMutexOnceSQLiteIsSetUp() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("xinfang-setup-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try NodeDatabase.open(directory: directory, node: Fixtures.county, calendar: .standard)
        let writer = try await store.writeSQLite { db in SQLiteSetup.hasConnectionMutex(db) }
        let reader = try await store.readSQLite { db in SQLiteSetup.hasConnectionMutex(db) }
        if SQLiteSetup.result == 0 {
            #expect(!writer)
            #expect(!reader)
        } else {
            #expect(SQLiteSetup.result == 21, "SQLITE_MISUSE: SQLite was in use before the first store opened")
            #expect(writer)
            #expect(reader)
        }
    }

    /// The writer maps the store file (`NodeDatabase.writerMapBytes`); readers do not, so a
    /// node's answers do not map its store into its resident memory.
    @Test func onlyTheWriterMapsTheStoreFile() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("xinfang-map-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try NodeDatabase.open(directory: directory, node: Fixtures.county, calendar: .standard)
        let writer = try await store.writeSQLite { db in try Int.fetchOne(db, sql: "PRAGMA mmap_size") }
        let reader = try await store.readSQLite { db in try Int.fetchOne(db, sql: "PRAGMA mmap_size") }
        #expect(writer == NodeDatabase.writerMapBytes)
        #expect(reader == 0)
    }
}
