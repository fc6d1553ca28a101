/// Which packet numbers of a neighbour a node takes (issue 15): any number it has not seen within
/// a window below the highest seen, as IPsec's anti-replay window does. Several paths send to one
/// neighbour (the sync loop, its greeting, the reconciliation job's digests and flag reports), so
/// packets may arrive out of order; a lower number that arrives second is genuine, not a replay.
/// Pure: the store keeps `high` and `seen` per neighbour and asks here.
public enum ReplayWindow {
    /// How many numbers below the highest are remembered (the bits of `seen`).
    public static let size = 63

    /// The window after taking `number`, or nil when it is a replay (seen already) or older than
    /// the window. Bit k of `seen` is number `high - k - 1`.
    public static func take(_ number: Int, high: Int, seen: Int64) -> (high: Int, seen: Int64)? {
        guard number >= 0 else { return nil }
        if number > high {
            let shift = number - high
            // The old high becomes bit (shift - 1) and everything older slides with it; a jump
            // past the window forgets them all.
            guard shift <= size else { return (number, 0) }
            return (number, ((seen << Int64(shift)) | (Int64(1) << Int64(shift - 1))) & mask)
        }
        let distance = high - number
        guard distance >= 1, distance <= size else { return nil }
        let bit = Int64(1) << Int64(distance - 1)
        guard seen & bit == 0 else { return nil }
        return (high, seen | bit)
    }

    /// The low `size` bits (the sign bit is never used).
    static let mask: Int64 = Int64.max >> Int64(63 - size)
}
