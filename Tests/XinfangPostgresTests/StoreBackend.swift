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

    /// Runs `body` with a node's whole store on this backend (`NodeDatabase`).
    func withNode<Result>(
        _ node: NodeID = Fixtures.county,
        hierarchy: Hierarchy? = nil,
        _ body: (NodeDatabase) async throws -> Result
    ) async throws -> Result {
        switch self {
        case .sqlite:
            return try await body(NodeDatabase.inMemory(node: node, hierarchy: hierarchy))
        case .postgres:
            return try await withStore { server in
                let blobs = FileManager.default.temporaryDirectory.appendingPathComponent("xinfang-blobs-\(UUID().uuidString)")
                defer { try? FileManager.default.removeItem(at: blobs) }
                let store = try await NodeDatabase.open(server: server, node: node, calendar: .standard, hierarchy: hierarchy, blobDirectory: blobs)
                return try await body(store)
            }
        }
    }

    func withStore<Result>(_ body: (any SQLTransactions) async throws -> Result) async throws -> Result {
        try await withStore(servers: 1) { try await body($0[0]) }
    }
}
