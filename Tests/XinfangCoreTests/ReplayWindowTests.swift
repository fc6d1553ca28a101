import Foundation
import Testing
import XinfangCore

/// The replay window (issue 15): a number not seen within the window is taken, whatever the
/// order; a number seen, or older than the window, is a replay.
struct ReplayWindowTests {
    /// Takes `numbers` in order from a fresh window; which were taken.
    static func taken(_ numbers: [Int]) -> [Bool] {
        var high = 0
        var seen: Int64 = 0
        return numbers.map { n in
            guard let next = ReplayWindow.take(n, high: high, seen: seen) else { return false }
            (high, seen) = next
            return true
        }
    }

    @Test(
        arguments: [
            ("in order", [1, 2, 3], [true, true, true]),
            ("the same number twice", [1, 2, 2], [true, true, false]),
            ("a lower number that arrives second is genuine", [1, 3, 2], [true, true, true]),
            ("…and taken once", [1, 3, 2, 2, 3], [true, true, true, false, false]),
            ("a gap filled late", [5, 1, 2, 3, 4, 4], [true, true, true, true, true, false]),
            ("at the window's edge", [64, 1], [true, true]),
            ("past the window's edge", [65, 1], [true, false]),
            ("a jump past the window forgets the old ones", [1, 2, 200, 2, 199, 137], [true, true, true, false, true, true]),
            ("no negative number", [-1, 1], [false, true]),
        ]
    )
    func aNumberIsTakenOnceWithinTheWindow(_ name: String, _ numbers: [Int], _ expected: [Bool]) {
        #expect(Self.taken(numbers) == expected, "\(name)")
    }

    @Test func theWindowHoldsNoMoreThanItsSize() {
        var high = 0
        var seen: Int64 = 0
        for n in 1...1_000 { (high, seen) = ReplayWindow.take(n, high: high, seen: seen)! }
        #expect(high == 1_000)
        #expect(seen.nonzeroBitCount == ReplayWindow.size, "every number of the window is marked seen")
        #expect(ReplayWindow.take(1_000 - ReplayWindow.size, high: high, seen: seen) == nil)
        #expect(ReplayWindow.take(1_000 - ReplayWindow.size - 1, high: high, seen: seen) == nil)
    }

    @Test func aRefusalOfThePacketsNumberNeverKillsItsItems() {
        #expect(DeliveryFailure.ofRefusal(code: "replayed-packet") == .packetRefused)
        #expect(DeliveryFailure.ofRefusal(code: "stale-packet") == .rejected, "a clock an hour off needs a person: its items die and are flagged")
        #expect(DeliveryFailure.ofRefusal(code: "bad-packet-signature") == .rejected)
        var item = OutboxItem.chain(to: 3, now: .distantPast)
        for _ in 0..<(DeliveryPolicy.rejectedAttemptsMax * 3) {
            item = item.sent().packetFailed(.packetRefused, error: "replayed-packet", now: .distantPast, jitter: 0.5)
        }
        #expect(item.state == .failed, "still queued after \(item.attempts) refusals of its packets")
    }
}
