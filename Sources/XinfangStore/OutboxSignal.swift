import Synchronization

/// Wakes the sync dispatcher's per-peer loops after a commit that put something in the outbox,
/// so a packet leaves as soon as there is something to send (no polling delay).
public final class OutboxSignal: Sendable {
    private let continuations = Mutex<[AsyncStream<Void>.Continuation]>([])

    init() {}

    /// A stream that yields after each notification (coalesced: at most one pending wake-up).
    public func subscribe() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        continuations.withLock { $0.append(continuation) }
        return stream
    }

    public func notify() {
        for continuation in continuations.withLock({ $0 }) { continuation.yield() }
    }

    /// Ends every subscriber's stream (shutdown).
    public func finish() {
        for continuation in continuations.withLock({ $0 }) { continuation.finish() }
    }
}
