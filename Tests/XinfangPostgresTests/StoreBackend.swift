import Foundation
import Testing
import XinfangCore
import XinfangPostgres
import XinfangStore
import XinfangTesting

/// The two stores a node can run on, for tests that hold the same expectations of both: SQLite (a
/// node's store in memory) and PostgreSQL (a throwaway cluster, migrated).
enum StoreBackend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    static func location(_ socket: String) -> PostgresLocation {
        PostgresLocation(endpoint: .socket(path: socket), username: "xinfang", database: "xinfang")
    }

    /// Runs `body` with a fresh store of this backend (`servers` > 1: that many servers over the
    /// same PostgreSQL database; on SQLite, the one store again).
    func withStore<Result>(servers: Int = 1, _ body: ([any SQLTransactions]) async throws -> Result) async throws -> Result {
        switch self {
        case .sqlite:
            let store = try NodeDatabase.inMemory(node: NodeID("430000"))
            return try await body(Array(repeating: store, count: servers))
        case .postgres:
            return try await TestPostgres.withCluster { socket in
                let location = Self.location(socket)
                try await PostgresStore.withClient(location) { try await PostgresSchema.upgrade($0) }
                let stores = (0..<servers).map { _ in PostgresTransactions(location) }
                do {
                    let result = try await body(stores)
                    for store in stores { await store.close() }
                    return result
                } catch {
                    for store in stores { await store.close() }
                    throw error
                }
            }
        }
    }

    func withStore<Result>(_ body: (any SQLTransactions) async throws -> Result) async throws -> Result {
        try await withStore(servers: 1) { try await body($0[0]) }
    }
}
