import Synchronization

/// True the first time only: for two events racing to complete one thing (a future and its
/// time-out, a signal handler and a continuation).
public final class Once: Sendable {
    private let done = Mutex(false)

    public init() {}

    public func first() -> Bool {
        done.withLock { done in
            defer { done = true }
            return !done
        }
    }
}
