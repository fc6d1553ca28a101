import Dispatch
import Foundation
public import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization
public import XinfangStore

/// The PostgreSQL store's transactions over the seam (`SQLTransactions`): the store's logic, written
/// once, runs here in the same transactions it runs in on SQLite.
///
/// - A write transaction first takes a transaction-scoped advisory lock (`writeLock`), so it is the
///   only writer of the node's database, across every server of the node, as SQLite's writer is the
///   only one of its file. Logic that reads a counter (the audit trail's last row, the hybrid
///   clock) and writes the next value is correct on both backends without retries. A writer that
///   waits longer than `lockTimeout` for it fails with `StoreError.busy`, as SQLite's does.
/// - A read transaction is a snapshot (`REPEATABLE READ READ ONLY`), as a WAL read is, on one of
///   `readers` connections (`LanePool`): reads run side by side, as SQLite's pool of readers does,
///   and a read that finds every connection busy waits for the first free one.
/// - A commit is durable when it returns (`synchronous_commit` on, PostgreSQL's default).
///
/// Each connection is driven by a thread of its own (a serial queue), off Swift's cooperative
/// threads and the event loops, since the seam is synchronous.
public final class PostgresTransactions: SQLTransactions {
    /// The advisory lock every write transaction holds ("xinfangw" in ASCII).
    static let writeLock: Int64 = 0x78_696e_6661_6e67_77 & 0x7fff_ffff_ffff_ffff
    /// How long a writer waits for the lock, or for a row another session holds, before `busy`.
    public static let lockTimeout = "5s"

    /// Read connections a server opens at most, by default.
    public static let readersDefault = 4

    private let writer: Lane
    private let readers: LanePool
    private let location: PostgresLocation

    public var dialect: SQLDialect { .postgres }

    /// `readers` (1 or more) is how many reads may run at once; each connection opens on its first
    /// use.
    public init(_ location: PostgresLocation, readers: Int = PostgresTransactions.readersDefault, logger: Logger = Logger(label: "xinfang.postgres"))
    {
        precondition(readers >= 1, "a store needs a read connection")
        self.location = location
        writer = Lane(label: "xinfang.postgres.writer", location: location, logger: logger)
        self.readers = LanePool(
            (0..<readers).map { Lane(label: "xinfang.postgres.reader.\($0)", location: location, logger: logger) }
        )
    }

    @discardableResult
    public func writing<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) throws -> T) async throws -> T {
        let scope = AuditScope.current
        return try await writer.perform { session in
            try session.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
            try session.execute("SELECT pg_advisory_xact_lock(?)", [Self.writeLock])
            let result = try body(session)
            try AuditScope.appendPending(scope, in: session)
            try session.execute("COMMIT")
            return result
        }
    }

    public func reading<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) throws -> T) async throws -> T {
        try await readers.perform { session in
            try session.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            let result = try body(session)
            try session.execute("COMMIT")
            return result
        }
    }

    /// Two or more servers may run one node over its database: a session lock chooses which runs
    /// the background work (`PostgresLeadership`).
    public func leadership() -> (any NodeLeadership)? { PostgresLeadership(location) }

    /// `VACUUM (ANALYZE)` of the node's database, outside a transaction as VACUUM must run: what
    /// autovacuum does in its own time after a large load (the visibility map, which lets a scan of
    /// an index skip the table, and the planner's statistics). For benchmarks and operators.
    public func vacuumAnalyze() async throws {
        try await writer.perform { session in _ = try session.execute("VACUUM (ANALYZE)") }
    }

    /// Closes the connections (each is opened again if used after).
    public func close() async {
        await writer.close()
        await readers.close()
    }
}

/// Lanes handed out one task at a time: a task takes an idle lane, or waits, first come first
/// served, for one to be given back.
private final class LanePool: Sendable {
    private struct State {
        var idle: [Lane]
        var waiting: [CheckedContinuation<Lane, Never>] = []
    }

    private let lanes: [Lane]
    private let state: Mutex<State>

    init(_ lanes: [Lane]) {
        self.lanes = lanes
        state = Mutex(State(idle: lanes.reversed()))
    }

    func perform<T: Sendable>(_ body: @escaping @Sendable (PostgresSession) throws -> T) async throws -> T {
        let lane = await take()
        defer { give(lane) }
        return try await lane.perform(body)
    }

    private func take() async -> Lane {
        await withCheckedContinuation { continuation in
            let lane = state.withLock { state -> Lane? in
                if let lane = state.idle.popLast() { return lane }
                state.waiting.append(continuation)
                return nil
            }
            if let lane { continuation.resume(returning: lane) }
        }
    }

    private func give(_ lane: Lane) {
        let next = state.withLock { state -> CheckedContinuation<Lane, Never>? in
            guard !state.waiting.isEmpty else {
                state.idle.append(lane)
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume(returning: lane)
    }

    func close() async {
        for lane in lanes { await lane.close() }
    }
}

/// One connection and the queue that drives it; it connects on first use and again after the
/// server closed it.
private final class Lane: @unchecked Sendable {
    private let queue: DispatchQueue
    private let location: PostgresLocation
    private let logger: Logger
    /// Touched only on `queue`.
    private var connection: PostgresConnection?

    init(label: String, location: PostgresLocation, logger: Logger) {
        queue = DispatchQueue(label: label)
        self.location = location
        self.logger = logger
    }

    /// A store dropped without `close()` (a process ending) closes its connection on the way out;
    /// the connection lives until it is closed.
    deinit {
        guard let connection, !connection.isClosed else { return }
        connection.close().whenComplete { _ in _ = connection }
    }

    /// Runs `body` in a transaction it opens itself, rolling back when it throws; errors of the
    /// server come out as `StoreError`.
    func perform<T: Sendable>(_ body: @escaping @Sendable (PostgresSession) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(
                    with: Result {
                        let session = try PostgresSession(connection: self.connected(), logger: self.logger)
                        do {
                            return try body(session)
                        } catch {
                            if !session.connection.isClosed { _ = try? session.execute("ROLLBACK") }
                            throw Self.translated(error)
                        }
                    }
                )
            }
        }
    }

    func close() async {
        await withCheckedContinuation { continuation in
            queue.async {
                try? self.connection?.close().wait()
                self.connection = nil
                continuation.resume()
            }
        }
    }

    private func connected() throws -> PostgresConnection {
        if let connection, !connection.isClosed { return connection }
        let opened = try location.connect(logger: logger).wait()
        _ = try opened.query(PostgresQuery(unsafeSQL: "SET lock_timeout = '\(PostgresTransactions.lockTimeout)'"), logger: logger).wait()
        connection = opened
        return opened
    }

    /// A refusal of the store's logic passes unchanged; the server's errors become `StoreError`:
    /// a constraint's refusal `database` with its message, as on SQLite;
    /// a lock or serialisation timeout `busy` (worth a retry), anything else `database` with the
    /// server's SQLSTATE and message.
    static func translated(_ error: any Error) -> any Error {
        // A statement the schema refused (`PostgresSession.seam`), past any savepoint that
        // could have taken it: as SQLite's store reports it.
        if let violation = error as? SQLConstraintViolation { return StoreError.database(violation.message) }
        guard let error = error as? PSQLError else { return error }
        let state = error.serverInfo?[.sqlState]
        if state == "55P03" || state == "40001" || state == "40P01" { return StoreError.busy }
        if let message = error.serverInfo?[.message] { return StoreError.database("\(state ?? "?"): \(message)") }
        return StoreError.database(String(reflecting: error))
    }
}
