public import Logging
import NIOCore
import NIOPosix
public import PostgresNIO
import Synchronization
public import XinfangCore

/// Where a node's PostgreSQL database is: a socket (a local cluster, `deploy/postgres.sh`) or a
/// host and port, with the role and the database.
public struct PostgresLocation: Sendable, Equatable {
    public enum Endpoint: Sendable, Equatable {
        case socket(path: String)
        case tcp(host: String, port: Int)
    }

    public var endpoint: Endpoint
    public var username: String
    public var password: String?
    public var database: String

    public init(endpoint: Endpoint, username: String, password: String? = nil, database: String) {
        self.endpoint = endpoint
        self.username = username
        self.password = password
        self.database = database
    }

    /// The client's configuration: no TLS over a socket; over TCP TLS is required unless the host
    /// is the loopback, so a node's records never cross a network in the clear.
    var clientConfiguration: PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        switch endpoint {
        case .socket(let path):
            configuration = .init(unixSocketPath: path, username: username, password: password, database: database)
        case .tcp(let host, let port):
            configuration = .init(
                host: host,
                port: port,
                username: username,
                password: password,
                database: database,
                tls: Self.isLoopback(host) ? .disable : .require(.makeClientConfiguration())
            )
        }
        configuration.options.maximumConnections = 16
        return configuration
    }

    static func isLoopback(_ host: String) -> Bool { host == "127.0.0.1" || host == "::1" || host == "localhost" }

    /// Numbers the process's connections for postgres-nio's logs.
    private static let connectionIDs = Atomic<Int>(0)

    /// A new connection on the same terms as the client's (the store's lanes, the lease).
    func connect(logger: Logger) -> EventLoopFuture<PostgresConnection> {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        do {
            return PostgresConnection.connect(
                on: loop,
                configuration: try connectionConfiguration(),
                id: Self.connectionIDs.add(1, ordering: .relaxed).newValue,
                logger: logger
            )
        } catch { return loop.makeFailedFuture(error) }
    }

    /// One connection's configuration, on the same terms as the client's.
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        switch endpoint {
        case .socket(let path):
            return .init(unixSocketPath: path, username: username, password: password, database: database)
        case .tcp(let host, let port):
            return .init(
                host: host,
                port: port,
                username: username,
                password: password,
                database: database,
                tls: Self.isLoopback(host) ? .disable : .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            )
        }
    }
}

public enum PostgresStore {
    /// Runs `body` with a client connected to `location`'s database, and shuts the client down
    /// when `body` returns or throws (the client's connection pool runs beside `body`).
    public static func withClient<Result: Sendable>(
        _ location: PostgresLocation,
        logger: Logger = Logger(label: "xinfang.postgres"),
        _ body: @Sendable (PostgresClient) async throws -> Result
    ) async throws -> Result {
        let client = PostgresClient(configuration: location.clientConfiguration, backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }
}

extension PostgresLocation: Redacted {
    public var redactedDescription: String {
        "PostgresLocation(endpoint: \(endpoint), username: \(username), database: \(database), password \(password == nil ? "none" : "redacted"))"
    }
}
