import Synchronization
public import XinfangCore

/// The audit entry a request owes, carried by the task that serves it. The first write
/// transaction of the store inside the scope appends the entry in the same transaction (so the
/// action and its audit row commit together); `claim()` hands it out once.
public final class AuditScope: Sendable {
    @TaskLocal public static var current: AuditScope?

    private let state: Mutex<(entry: AuditEntry, claimed: Bool)>

    public init(_ entry: AuditEntry) { state = Mutex((entry, false)) }

    /// Adds facts learnt while serving (the object, the action's name).
    public func update(_ change: (inout AuditEntry) -> Void) {
        state.withLock { change(&$0.entry) }
    }

    public var entry: AuditEntry { state.withLock { $0.entry } }
    public var claimed: Bool { state.withLock { $0.claimed } }

    /// The entry, once: nil when a transaction has already taken it.
    func claim() -> AuditEntry? {
        state.withLock { s in
            if s.claimed { return nil }
            s.claimed = true
            return s.entry
        }
    }
}
