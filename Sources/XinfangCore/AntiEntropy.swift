import Crypto
import Foundation

/// Anti-entropy between a child and its parent (DESIGN §4): they compare digests of the case heads
/// they share, so what they exchange grows with what differs, not with what exists.
///
/// Each shared case contributes a 64-bit hash of its number, head and event count to one of 65,536
/// leaf buckets (by its number's hash); a bucket's digest is the XOR of its contributions, kept up
/// to date by the store as heads change. An exchange compares 256 top digests (each the XOR of 256
/// leaves), then the leaves under the tops that differ, then the entries under the leaves that
/// differ: about 2 KB when nothing differs, a few tens of KB for ten differing cases among millions.
public enum AntiEntropy {
    public static let leafCount = 65_536
    public static let topCount = 256
    public static let leavesPerTop = leafCount / topCount

    /// The stable 64-bit key of a case number (the first 8 bytes of its SHA-256).
    public static func caseKey(_ number: CaseNumber) -> UInt64 { prefix64(SHA256.hash(data: Data(number.rawValue.utf8))) }

    /// The leaf bucket of a case key.
    public static func leaf(ofKey key: UInt64) -> Int { Int(key >> 48) }

    /// What a case contributes to its bucket: its number, head and number of stored events.
    public static func contribution(_ number: CaseNumber, head: String, events: Int) -> UInt64 {
        prefix64(SHA256.hash(data: Data("\(number.rawValue)|\(head)|\(events)".utf8)))
    }

    static func prefix64(_ digest: SHA256.Digest) -> UInt64 {
        digest.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// Folds 65,536 leaf digests into the 256 top digests.
    public static func tops(ofLeaves leaves: [Int: UInt64]) -> [UInt64] {
        var tops = [UInt64](repeating: 0, count: topCount)
        for (leaf, digest) in leaves { tops[leaf / leavesPerTop] ^= digest }
        return tops
    }

    /// Packs 64-bit numbers as base64 (8 bytes each, big-endian), the compact wire form.
    public static func pack(_ values: [UInt64]) -> String {
        var data = Data(capacity: values.count * 8)
        for value in values { withUnsafeBytes(of: value.bigEndian) { data.append(contentsOf: $0) } }
        return data.base64EncodedString()
    }

    /// Unpacks `pack`'s form; nil when it is not a whole number of 8-byte values.
    public static func unpack(_ text: String, max: Int) -> [UInt64]? {
        guard let data = Data(base64Encoded: text), data.count % 8 == 0, data.count / 8 <= max else { return nil }
        return stride(from: 0, to: data.count, by: 8).map { offset in
            data[data.startIndex + offset..<data.startIndex + offset + 8].reduce(0) { $0 << 8 | UInt64($1) }
        }
    }
}

/// One case as an anti-entropy round names it: its key, its contribution and its event count.
public struct DigestEntry: Equatable, Sendable {
    public var key: UInt64
    public var contribution: UInt64
    public var events: Int

    public init(key: UInt64, contribution: UInt64, events: Int) {
        self.key = key
        self.contribution = contribution
        self.events = events
    }

    /// Packs entries as triples of 64-bit numbers.
    public static func pack(_ entries: [DigestEntry]) -> String {
        AntiEntropy.pack(entries.flatMap { [$0.key, $0.contribution, UInt64($0.events)] })
    }

    public static func unpack(_ text: String, max: Int) -> [DigestEntry]? {
        guard let values = AntiEntropy.unpack(text, max: max * 3), values.count % 3 == 0 else { return nil }
        return stride(from: 0, to: values.count, by: 3).map {
            DigestEntry(key: values[$0], contribution: values[$0 + 1], events: Int(clamping: values[$0 + 2]))
        }
    }
}

/// A child's anti-entropy message to its parent, carried in a packet.
public struct DigestRequest: Codable, Equatable, Sendable {
    /// Round 1: the child's 256 top digests, packed.
    public var tops: String?
    /// Round 2: the leaves that differ, and the child's entries under them, packed.
    public var leaves: [Int]?
    public var entries: String?

    public init(tops: String? = nil, leaves: [Int]? = nil, entries: String? = nil) {
        self.tops = tops
        self.leaves = leaves
        self.entries = entries
    }

    /// At most this many leaves in round 2 (the rest wait for the next exchange).
    public static let leavesMax = 4_096
    /// At most this many entries in a message.
    public static let entriesMax = 100_000
}

/// The parent's answer to a `DigestRequest`.
public struct DigestReply: Codable, Equatable, Sendable {
    /// Round 1: the tops that differ, and the parent's leaf digests under them (in order), packed.
    public var differingTops: [Int]?
    public var leaves: String?
    /// Round 2: the parent's entries under the requested leaves, packed.
    public var entries: String?

    public init(differingTops: [Int]? = nil, leaves: String? = nil, entries: String? = nil) {
        self.differingTops = differingTops
        self.leaves = leaves
        self.entries = entries
    }
}
