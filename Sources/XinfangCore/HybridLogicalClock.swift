/// A hybrid-logical-clock time stamp: wall-clock milliseconds and a logical counter.
///
/// Time stamps from one node never go backwards, even when its wall clock does, and a time stamp
/// received from a peer moves the local clock past it, so causally later events sort later.
public struct HLCTimestamp: Codable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var wallMs: Int64
    public var logical: Int32

    public init(wallMs: Int64, logical: Int32) {
        self.wallMs = wallMs
        self.logical = logical
    }

    public static func < (lhs: HLCTimestamp, rhs: HLCTimestamp) -> Bool {
        (lhs.wallMs, lhs.logical) < (rhs.wallMs, rhs.logical)
    }

    public var description: String { "\(wallMs).\(logical)" }

    /// The next local time stamp after `last`, given the wall clock reads `nowMs`.
    public static func tick(after last: HLCTimestamp?, nowMs: Int64) -> HLCTimestamp {
        guard let last, last.wallMs >= nowMs else { return HLCTimestamp(wallMs: nowMs, logical: 0) }
        return HLCTimestamp(wallMs: last.wallMs, logical: last.logical + 1)
    }

    /// The local clock after receiving `remote`, given the local `last` and the wall clock `nowMs`.
    public static func receive(_ remote: HLCTimestamp, after last: HLCTimestamp?, nowMs: Int64) -> HLCTimestamp {
        let local = last ?? HLCTimestamp(wallMs: .min, logical: 0)
        let wall = max(local.wallMs, remote.wallMs, nowMs)
        let logical: Int32
        if wall == local.wallMs && wall == remote.wallMs {
            logical = max(local.logical, remote.logical) + 1
        } else if wall == local.wallMs {
            logical = local.logical + 1
        } else if wall == remote.wallMs {
            logical = remote.logical + 1
        } else {
            logical = 0
        }
        return HLCTimestamp(wallMs: wall, logical: logical)
    }
}
