public import Foundation

/// Where a node's store is (`store` in its configuration). Absent, or `"backend": "sqlite"`: the
/// embedded SQLite file in the data directory, every node's default. `"backend": "postgres"`: a
/// PostgreSQL database, for a large node (a province, a national root), on a local socket
/// (`socket`, the socket file) or a host and port; TLS is required beyond the loopback. The data
/// directory still holds the case file's blobs.
public struct StoreConfig: Codable, Equatable, Sendable {
    public var backend: String
    /// A local cluster's socket file (`…/.s.PGSQL.5432`).
    public var socket: String?
    public var host: String?
    public var port: Int?
    public var username: String?
    public var database: String?
    /// A file holding the role's password (kept out of the configuration).
    public var passwordFile: String?

    public init(backend: String, socket: String? = nil, host: String? = nil, port: Int? = nil, username: String? = nil, database: String? = nil) {
        self.backend = backend
        self.socket = socket
        self.host = host
        self.port = port
        self.username = username
        self.database = database
    }

    /// A PostgreSQL database's place, checked.
    public struct PostgresPlace: Sendable, Equatable {
        public var socket: String?
        public var host: String?
        public var port: Int
        public var username: String
        public var database: String
        public var password: String?
    }

    /// nil for SQLite; the PostgreSQL database's place, checked, otherwise.
    public func postgresPlace(base: URL) throws -> PostgresPlace? {
        switch backend {
        case "sqlite": return nil
        case "postgres": break
        default: throw NodeConfig.Problem(description: "config field store.backend: \"\(backend)\" is neither \"sqlite\" nor \"postgres\"")
        }
        guard (socket == nil) != (host == nil) else {
            throw NodeConfig.Problem(description: "config field store: a PostgreSQL store names either socket or host")
        }
        let port = port ?? 5432
        guard (1...65_535).contains(port) else { throw NodeConfig.Problem(description: "config field store.port: \(port) is not a port") }
        var password: String?
        if let passwordFile {
            let url = NodeConfig.resolve(passwordFile, against: base)
            do { password = try String(contentsOf: url, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) } catch {
                throw NodeConfig.Problem(description: "cannot read store.passwordFile \(url.path): \(error.localizedDescription)")
            }
        }
        return PostgresPlace(
            socket: socket.map { NodeConfig.resolve($0, against: base).path },
            host: host,
            port: port,
            username: username ?? "xinfang",
            database: database ?? "xinfang",
            password: password
        )
    }
}
