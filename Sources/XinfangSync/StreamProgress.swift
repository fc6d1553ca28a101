public import Foundation
import Synchronization

/// A stream of packets to or from a neighbour, summed for the log: what a catch-up after an
/// outage looks like from either end, at most one line per `intervalSeconds` per neighbour, and
/// none while packets are few (a line only when a window carried at least `itemsPerLineMin`).
public final class StreamProgress: Sendable {
    public struct Window: Sendable, Equatable {
        public var packets = 0
        public var items = 0
        public var seconds = 0.0
        public var perSecond: Double { seconds > 0 ? Double(items) / seconds : 0 }

        public init(packets: Int = 0, items: Int = 0, seconds: Double = 0) {
            self.packets = packets
            self.items = items
            self.seconds = seconds
        }
    }

    public static let intervalSeconds = 10.0
    public static let itemsPerLineMin = 1000

    private let windows = Mutex<[String: (started: Date, sum: Window)]>([:])

    public init() {}

    /// Adds a packet of `items` for `peer`; the window's sums when it is time for a log line.
    public func record(_ peer: String, items: Int, now: Date) -> Window? {
        windows.withLock { windows in
            var (started, sum) = windows[peer] ?? (now, Window())
            sum.packets += 1
            sum.items += items
            sum.seconds = now.timeIntervalSince(started)
            guard sum.seconds >= Self.intervalSeconds else {
                windows[peer] = (started, sum)
                return nil
            }
            windows[peer] = (now, Window())
            return sum.items >= Self.itemsPerLineMin ? sum : nil
        }
    }
}
