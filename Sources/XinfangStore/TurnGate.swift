import DequeModule
import Synchronization

/// Runs async work one caller at a time, in the order the callers came: the work a packet's
/// transaction takes from ahead (`NodeDatabase.withRunsAhead`). Packets on the wire together
/// arrive together: their checks, run side by side, shared the cores, so each was ready late, and
/// the first one's transaction, which stores its runs as they are ready, held the writer waiting
/// for them while the packets behind it waited for the writer (`xinfang bench ingest`, alternated:
/// 2–8 % more events a second in turns; docs/BENCHMARKS.md, "The work ahead in turns").
///
/// A caller waits for its turn without regard to cancellation: the work it waits for is bounded
/// (a packet's checks), and a turn is always handed on.
final class TurnGate: Sendable {
    private struct State {
        var busy = false
        var waiting = Deque<CheckedContinuation<Void, Never>>()
    }

    private let state = Mutex(State())

    init() {}

    /// Runs `work` once every caller before this one has finished its own.
    func inTurn<T: Sendable>(_ work: () async -> T) async -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let admitted = state.withLock { s -> Bool in
                guard s.busy else {
                    s.busy = true
                    return true
                }
                s.waiting.append(continuation)
                return false
            }
            if admitted { continuation.resume() }
        }
        defer { handOn() }
        return await work()
    }

    /// How many callers wait for their turn (the tests').
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// The turn to the first caller waiting, or the gate free when none waits.
    private func handOn() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard let next = s.waiting.popFirst() else {
                s.busy = false
                return nil
            }
            return next
        }
        next?.resume()
    }
}
