public import Foundation
import Synchronization
public import XinfangCore

/// A clock that only moves when a test moves it.
public final class ManualClock: NodeClock {
    let current: Mutex<Date>

    public init(_ start: Date = Fixtures.instant("2026-11-02T09:00:00+08:00")) {
        current = Mutex(start)
    }

    public func now() -> Date { current.withLock { $0 } }

    /// Moves the clock forward (or back, to simulate a wall clock that jumps).
    public func advance(days: Double = 0, seconds: Double = 0) {
        current.withLock { $0 = $0.addingTimeInterval(days * 86_400 + seconds) }
    }

    public func set(_ date: Date) { current.withLock { $0 = date } }
}
