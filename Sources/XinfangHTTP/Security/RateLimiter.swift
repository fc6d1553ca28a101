public import Foundation
import Synchronization

/// Token buckets keyed by client address (login attempts, peer requests). The table is bounded:
/// past `keysMax` addresses the buckets idle longest are dropped.
public final class RateLimiter: Sendable {
    struct Bucket {
        var tokens: Double
        var last: Date
    }
    private let buckets = Mutex<[String: Bucket]>([:])
    public static let keysMax = 10_000

    public init() {}

    /// Takes one token of `key`'s bucket (capacity and refill `perMinute`); false when empty.
    public func allow(_ key: String, perMinute: Int, now: Date) -> Bool {
        buckets.withLock { table in
            if table.count >= Self.keysMax, table[key] == nil {
                let oldest = table.sorted { $0.value.last < $1.value.last }.prefix(Self.keysMax / 10).map(\.key)
                for k in oldest { table[k] = nil }
            }
            var b = table[key] ?? Bucket(tokens: Double(perMinute), last: now)
            b.tokens = min(Double(perMinute), b.tokens + max(0, now.timeIntervalSince(b.last)) * Double(perMinute) / 60)
            b.last = now
            let allowed = b.tokens >= 1
            if allowed { b.tokens -= 1 }
            table[key] = b
            return allowed
        }
    }
}
