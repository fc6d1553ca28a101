import Foundation
import PostgresNIO
public import Testing
public import XinfangCore
public import XinfangPostgres
public import XinfangStore

/// The two stores a node can run on, for tests that hold the same expectations of both: SQLite (a
/// node's store in memory) and PostgreSQL (a throwaway cluster, migrated). A test that takes
/// `StoreBackend.allCases` as its arguments runs once on each.
public enum StoreBackend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    public var testDescription: String { rawValue }

    /// The database `xinfang` of the cluster listening on `socket`, as role `xinfang`.
    public static func location(_ socket: String, database: String = "xinfang") -> PostgresLocation {
        PostgresLocation(endpoint: .socket(path: socket), username: "xinfang", database: database)
    }

    /// Runs `body` with a fresh store of this backend (`servers` > 1: that many servers over the
    /// same PostgreSQL database; on SQLite, the one store again).
    public func withStore<Result>(servers: Int = 1, _ body: ([any SQLTransactions]) async throws -> Result) async throws -> Result {
        switch self {
        case .sqlite:
            let store = try NodeDatabase.inMemory(node: NodeID("430000"))
            return try await body(Array(repeating: store, count: servers))
        case .postgres:
            return try await TestPostgres.withCluster { socket in
                let location = Self.location(socket)
                _ = try await PostgresStore.withClient(location) { try await PostgresSchema.upgrade($0) }
                let stores = (0..<servers).map { _ in PostgresTransactions(location) }
                return try await Self.closing(stores) { try await body(stores) }
            }
        }
    }

    public func withStore<Result>(_ body: (any SQLTransactions) async throws -> Result) async throws -> Result {
        try await withStore(servers: 1) { try await body($0[0]) }
    }

    /// Runs `body` with a node's whole store on this backend (`NodeDatabase`).
    public func withNode<Result>(
        _ node: NodeID = Fixtures.county,
        calendar: DeadlineCalendar = .standard,
        hierarchy: Hierarchy? = nil,
        _ body: (NodeDatabase) async throws -> Result
    ) async throws -> Result {
        try await withNodes([node: hierarchy], calendar: calendar) { try await body($0[node]!) }
    }

    /// Runs `body` with a store of its own for each of `nodes` (each with its hierarchy, or none):
    /// on SQLite each in memory; on PostgreSQL one throwaway cluster with a migrated database for
    /// each node and a blob folder for each, removed after.
    public func withNodes<Result>(
        _ nodes: [NodeID: Hierarchy?],
        calendar: DeadlineCalendar = .standard,
        _ body: ([NodeID: NodeDatabase]) async throws -> Result
    ) async throws -> Result {
        switch self {
        case .sqlite:
            var databases: [NodeID: NodeDatabase] = [:]
            for (node, hierarchy) in nodes {
                databases[node] = try NodeDatabase.inMemory(node: node, calendar: calendar, hierarchy: hierarchy)
            }
            return try await body(databases)
        case .postgres:
            return try await TestPostgres.withCluster { socket in
                let blobs = FileManager.default.temporaryDirectory.appendingPathComponent("xinfang-blobs-\(UUID().uuidString)")
                defer { try? FileManager.default.removeItem(at: blobs) }
                try await PostgresStore.withClient(Self.location(socket)) { client in
                    for node in nodes.keys { try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(Self.database(node))")) }
                }
                var stores: [PostgresTransactions] = []
                var databases: [NodeID: NodeDatabase] = [:]
                for (node, hierarchy) in nodes {
                    let location = Self.location(socket, database: Self.database(node))
                    _ = try await PostgresStore.withClient(location) { try await PostgresSchema.upgrade($0) }
                    let server = PostgresTransactions(location)
                    stores.append(server)
                    databases[node] = try await NodeDatabase.open(
                        server: server,
                        node: node,
                        calendar: calendar,
                        hierarchy: hierarchy,
                        blobDirectory: blobs.appendingPathComponent(node.rawValue)
                    )
                }
                return try await Self.closing(stores) { try await body(databases) }
            }
        }
    }

    /// The database that holds `node`'s store in a test's cluster.
    static func database(_ node: NodeID) -> String { "node_\(node.rawValue)" }

    private static func closing<Result>(_ stores: [PostgresTransactions], _ body: () async throws -> Result) async throws -> Result {
        do {
            let result = try await body()
            for store in stores { await store.close() }
            return result
        } catch {
            for store in stores { await store.close() }
            throw error
        }
    }
}
