import Synchronization
public import XinfangCore

/// Wakes the sync dispatcher's per-peer loops after a commit that put something in the outbox,
/// so a packet leaves as soon as there is something to send (no polling delay).
public final class OutboxSignal: Sendable {
    private let handlers = Mutex<[@Sendable () -> Void]>([])

    public init() {}

    /// Calls `handler` after every later notification.
    public func subscribe(_ handler: @escaping @Sendable () -> Void) {
        handlers.withLock { $0.append(handler) }
    }

    public func notify() {
        for handler in handlers.withLock({ $0 }) { handler() }
    }
}

/// Counts a store's transactions (a relaxed atomic: a statistic, not a synchronisation point).
public final class TransactionCounter: Sendable {
    private let count = Atomic<Int>(0)

    init() {}

    func add() { count.add(1, ordering: .relaxed) }

    /// Transactions run since the store was opened.
    public var value: Int { count.load(ordering: .relaxed) }
}

/// What each neighbour said, when it answered this node's greeting, of the newest peer protocol
/// version it speaks: by the session the greeting opened, so a new session (a restart of either
/// end) forgets it until the next answer. Held in memory: every sending session in a serving
/// process was opened by that process's greeting, and a sender that knows nothing writes the
/// oldest version it speaks, which every neighbour within one release takes.
public final class PeerVersions: Sendable {
    /// Per neighbour, the last few sessions' statements, newest last: a greeting that finds a
    /// session in use opens one that is not adopted, and must not hide the one in use.
    private let stated = Mutex<[NodeID: [(session: String, version: Int?)]]>([:])
    static let sessionsKept = 4

    init() {}

    /// `peer` answered the greeting that opened `session` stating `version` (nil: it said nothing).
    public func record(_ peer: NodeID, session: String, version: Int?) {
        stated.withLock { $0[peer, default: []] = Array(($0[peer, default: []] + [(session, version)]).suffix(Self.sessionsKept)) }
    }

    /// What `peer` stated for `session`; nil when it stated nothing or the session is not known here.
    public func version(of peer: NodeID, session: String) -> Int? {
        stated.withLock { $0[peer]?.last { $0.session == session }?.version ?? nil }
    }
}
