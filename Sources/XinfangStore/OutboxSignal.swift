import Synchronization

/// Wakes the sync dispatcher's per-peer loops after a commit that put something in the outbox,
/// so a packet leaves as soon as there is something to send (no polling delay).
public final class OutboxSignal: Sendable {
    private let handlers = Mutex<[@Sendable () -> Void]>([])

    init() {}

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
