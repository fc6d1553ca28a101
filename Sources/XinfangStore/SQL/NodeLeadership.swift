/// Which of a node's servers runs the node's background work: the sync dispatcher, the case
/// file's fetcher, the reconciliation job and the notification sender. A node on SQLite has one
/// server (its data directory's lock) and no leadership to hold; a node on a database server may
/// run two or more servers over one database, and the one that holds the lease leads.
///
/// The lease lives as long as the leader's session with the database: a leader killed (or cut off
/// from the database) loses it when the server notices the session gone, and another server's
/// next attempt takes it. Every server, leader or not, serves users and peers: their writes take
/// the store's write lock, so counters (the hybrid clock, packet numbers, case numbers, the audit
/// chain) stay unique across servers.
public protocol NodeLeadership: Sendable {
    /// One attempt to take the lease: true when this server holds it now (held until `release`,
    /// or until its session is lost).
    func tryAcquire() async throws -> Bool
    /// Whether the lease is still held: the session that holds it answers within `seconds`. False
    /// also closes the session, so a lease that may have passed to another server is never used.
    func confirm(within seconds: Double) async -> Bool
    /// Gives the lease up (a graceful shutdown), so another server takes it at its next attempt.
    func release() async
    /// While this server leads, calls `handler` each time another server of the node announced
    /// a commit that queued work (`announce`); returns when the session ends or the task is
    /// cancelled.
    func followAnnouncements(_ handler: @escaping @Sendable () -> Void) async throws
    /// Tells the leader that a commit of this server queued work (the outbox's signal is in each
    /// process's memory); nothing when this server leads, or has no session yet.
    func announce()
}

extension SQLTransactions {
    /// No leadership: a backend whose store has one server.
    public func leadership() -> (any NodeLeadership)? { nil }
}
