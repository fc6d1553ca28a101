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
        /// The callers waiting, first at `head` (a queue without moving its elements).
        var waiting: [CheckedContinuation<Void, Never>] = []
        var head = 0
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
    var waitingCount: Int { state.withLock { $0.waiting.count - $0.head } }

    private func handOn() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard s.head < s.waiting.count else {
                s.busy = false
                s.waiting.removeAll(keepingCapacity: true)
                s.head = 0
                return nil
            }
            let next = s.waiting[s.head]
            s.head += 1
            // A gate that is never free (packets arriving back to back) drops its served
            // callers now and then instead of keeping them all.
            if s.head >= 64, s.head * 2 >= s.waiting.count {
                s.waiting.removeFirst(s.head)
                s.head = 0
            }
            return next
        }
        next?.resume()
    }
}
