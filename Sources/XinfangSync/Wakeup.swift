import Synchronization

/// A one-slot wake-up with a time-out, for a loop that waits for work or for a deadline.
///
/// A signal that arrives while nobody waits is kept (one slot) and ends the next wait at once;
/// ending a wait consumes it. Only `signal()` and `stop()` fill the slot: a wait that ends by its
/// time-out, or is cancelled, leaves it empty, so a loop cannot be woken by its own timer's
/// end (the cause of the idle spin fixed in issue 14).
public final class Wakeup: Sendable {
    struct State {
        var signaled = false
        var stopped = false
        /// The waiting continuation and the number of the wait it belongs to.
        var waiter: (id: Int, continuation: CheckedContinuation<Void, Never>)?
        /// The number of the current wait; a cancellation that came before the wait parked sets
        /// `abandoned` to it so the wait does not park.
        var waitID = 0
        var abandoned = -1
    }

    let state = Mutex(State())

    public init() {}

    public var isStopped: Bool { state.withLock { $0.stopped } }

    /// Ends the current wait, or the next one if nobody waits.
    public func signal() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard let waiter = s.waiter else {
                s.signaled = true
                return nil
            }
            s.waiter = nil
            return waiter.continuation
        }
        waiter?.resume()
    }

    /// Ends the current wait and every later one.
    public func stop() {
        state.withLock { $0.stopped = true }
        signal()
    }

    /// Returns after a signal (or one kept since the last wait), a stop, or `seconds`. True when
    /// a signal or a stop ended it.
    @discardableResult
    public func wait(upTo seconds: Double) async -> Bool {
        let id = state.withLock { s -> Int in
            s.waitID += 1
            return s.waitID
        }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.waitForSignal(id) }
            group.addTask {
                // A cancelled sleep ends quietly: it must not fill the slot.
                try? await Task.sleep(for: .milliseconds(Int(max(0, seconds) * 1000)))
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    private func waitForSignal(_ id: Int) async -> Bool {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { s -> Bool in
                    if s.signaled || s.stopped {
                        s.signaled = false
                        return true
                    }
                    if s.abandoned == id { return true }
                    s.waiter = (id, continuation)
                    return false
                }
                if now { continuation.resume() }
            }
            return state.withLock { $0.abandoned != id }
        } onCancel: {
            // The time-out won: release this wait without touching the slot.
            let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
                guard let waiter = s.waiter, waiter.id == id else {
                    s.abandoned = id
                    return nil
                }
                s.waiter = nil
                s.abandoned = id
                return waiter.continuation
            }
            waiter?.resume()
        }
    }
}
