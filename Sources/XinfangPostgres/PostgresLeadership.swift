import Foundation
public import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization
import XinfangCore
public import XinfangStore

/// The lease of a node's background work on PostgreSQL (`NodeLeadership`): a session-scoped
/// advisory lock (`leaderLock`) held by a connection of its own. PostgreSQL frees the lock when
/// the session ends: at once when the leader's process dies (its socket closes), or when TCP
/// keepalive gives up on a leader cut off by the network. A leader confirms its session at every
/// check; a check that fails closes the connection, so a leader never works on a lease it may
/// have lost.
///
/// The same connection carries the announcements (`LISTEN`/`NOTIFY` on `channel`): a commit on a
/// server that does not lead wakes the leader's dispatcher at once, rather than at its idle check.
public final class PostgresLeadership: NodeLeadership {
    /// The session lock of the leader ("xinfangl" in ASCII).
    static let leaderLock: Int64 = 0x78_696e_6661_6e67_6c & 0x7fff_ffff_ffff_ffff
    /// The channel of the announcements.
    static let channel = "xinfang_outbox"

    private let location: PostgresLocation
    private let logger: Logger
    private struct State {
        var connection: PostgresConnection?
        var leading = false
        /// An announcement is on its way; `again`: another commit came meanwhile.
        var announcing = false
        var again = false
    }
    private let state = Mutex(State())

    public init(_ location: PostgresLocation, logger: Logger = Logger(label: "xinfang.postgres.leader")) {
        self.location = location
        self.logger = logger
    }

    deinit {
        let connection = state.withLock { $0.connection }
        if let connection, !connection.isClosed { connection.close().whenComplete { _ in _ = connection } }
    }

    /// How long an attempt at the lease waits for the database's answer.
    static let acquireSeconds = 10.0

    public func tryAcquire() async throws -> Bool {
        let connection = try await connected()
        let sql = "SELECT pg_try_advisory_lock(\(Self.leaderLock))"
        guard let result = await Self.answer(sql, on: connection, within: Self.acquireSeconds, logger: logger) else {
            await drop()
            throw StoreError.database("the database did not answer the attempt at the lease within \(Self.acquireSeconds) s")
        }
        let held = try result.rows.first?.decode(Bool.self) ?? false
        state.withLock { $0.leading = held }
        return held
    }

    public func confirm(within seconds: Double) async -> Bool {
        guard let connection = state.withLock({ $0.leading ? $0.connection : nil }), !connection.isClosed else {
            await drop()
            return false
        }
        let answered = await Self.answer("SELECT 1", on: connection, within: seconds, logger: logger) != nil
        if !answered { await drop() }
        return answered
    }

    /// The result of `sql` on `connection`, or nil when it fails or is not answered within
    /// `seconds`. Nothing here waits for the query itself: a query the server never answers (a
    /// hung server, a silent network) does not end when its task is cancelled, and one sent as the
    /// server ended the session was seen in CI never to complete, its connection's `close()` neither
    /// (a leader's check then hung for good and its work never stopped). The answer and the
    /// time-out race on the connection's event loop, and the first completes the wait.
    static func answer(_ sql: String, on connection: PostgresConnection, within seconds: Double, logger: Logger) async -> PostgresQueryResult? {
        await outcome(of: connection.query(PostgresQuery(unsafeSQL: sql), logger: logger), within: seconds)
    }

    /// `future`'s value, or nil when it fails or has not completed within `seconds`: the future and
    /// a time-out race on its event loop, and the first to end completes the wait.
    static func outcome<Value: Sendable>(of future: EventLoopFuture<Value>, within seconds: Double) async -> Value? {
        let loop = future.eventLoop
        let promise = loop.makePromise(of: Value?.self)
        let once = Once()
        @Sendable func finish(_ value: Value?) {
            if once.first() { promise.succeed(value) }
        }
        let timeout = loop.scheduleTask(in: .milliseconds(Int64(max(seconds, 0.001) * 1000))) { finish(nil) }
        future.whenComplete { result in
            timeout.cancel()
            finish(try? result.get())
        }
        return (try? await promise.futureResult.get()) ?? nil
    }

    public func release() async {
        await drop()
    }

    public func followAnnouncements(_ handler: @escaping @Sendable () -> Void) async throws {
        guard let connection = state.withLock({ $0.leading ? $0.connection : nil }) else { return }
        try await connection.listen(on: Self.channel) { notifications in
            for try await _ in notifications { handler() }
        }
    }

    public func announce() {
        let connection = state.withLock { s -> PostgresConnection? in
            guard !s.leading, let connection = s.connection, !connection.isClosed else { return nil }
            if s.announcing {
                s.again = true
                return nil
            }
            s.announcing = true
            return connection
        }
        if let connection { send(on: connection) }
    }

    /// One announcement at a time, and one more if commits came while it was on its way: a burst
    /// of commits costs two, and never queues ahead of the next attempt at the lease. Not awaited:
    /// a commit does not wait for the leader to hear of it (its idle check is the backstop), and a
    /// lost announcement costs a delay, never a packet.
    private func send(on connection: PostgresConnection) {
        connection.query(PostgresQuery(unsafeSQL: "NOTIFY \(Self.channel)"), logger: logger).whenComplete { _ in
            let again = self.state.withLock { s -> Bool in
                let again = s.again && s.connection === connection && !connection.isClosed
                s.again = false
                s.announcing = again
                return again
            }
            if again { self.send(on: connection) }
        }
    }

    /// The connection, opened on first use and again after it was lost.
    private func connected() async throws -> PostgresConnection {
        if let connection = state.withLock({ $0.connection }), !connection.isClosed { return connection }
        let opened = try await location.connect(logger: logger).get()
        let previous = state.withLock { s -> PostgresConnection? in
            defer { s.connection = opened }
            s.leading = false
            s.announcing = false
            return s.connection
        }
        if let previous { try? await previous.close() }
        return opened
    }

    /// Ends the session (freeing the lock, if the server still counts it held): the connection's
    /// close is waited for at most `closeSeconds` (see `answer`: a close has been seen never to
    /// complete); the socket is closed either way.
    private func drop() async {
        let connection = state.withLock { s -> PostgresConnection? in
            defer { s = State() }
            return s.connection
        }
        guard let connection, !connection.isClosed else { return }
        _ = await Self.outcome(of: connection.close(), within: Self.closeSeconds)
    }

    /// How long a dropped connection's close is waited for.
    static let closeSeconds = 2.0
}
