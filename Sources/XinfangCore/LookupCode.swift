public import Crypto
import Foundation

/// 查询码 (issue 18): what a petitioner types to follow a case. Random, never derived from the case
/// number; typed easily: 32 symbols without 0/O or 1/I, ten of them (50 bits) and a check symbol
/// (Luhn mod 32: every single mistyped symbol is caught, and every swap of two neighbours but 2↔Z),
/// shown in groups of four. A store keeps only a keyed digest of it for lookups.
public struct LookupCode: Hashable, Sendable, CustomStringConvertible {
    public static let alphabet = Array("23456789ABCDEFGHJKLMNPQRSTUVWXYZ")
    public static let dataLength = 10

    /// The eleven symbols, without separators.
    public let symbols: String

    /// A new code from `random`.
    public static func generate(using random: inout some RandomNumberGenerator) -> LookupCode {
        let data = (0..<dataLength).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &random)] }
        return LookupCode(unchecked: String(data) + String(check(of: data)))
    }

    init(unchecked symbols: String) { self.symbols = symbols }

    /// The code a person typed: case, spaces and dashes ignored; nil when it is not one (a symbol
    /// outside the alphabet, the wrong length, or a check symbol that does not match).
    public init?(typed: String) {
        let cleaned = typed.uppercased().filter { !$0.isWhitespace && $0 != "-" }
        guard cleaned.count == Self.dataLength + 1, cleaned.allSatisfy(Self.alphabet.contains) else { return nil }
        let data = Array(cleaned.dropLast())
        guard Self.check(of: data) == cleaned.last else { return nil }
        symbols = cleaned
    }

    /// As printed: XXXX-XXXX-XXX.
    public var description: String {
        let s = Array(symbols)
        return [s[0..<4], s[4..<8], s[8...]].map { String($0) }.joined(separator: "-")
    }

    /// The keyed digest a store indexes the code by (HMAC-SHA256 under the hierarchy's match key),
    /// so a replica answers for it without keeping the code.
    public func digest(key: SymmetricKey) -> String {
        HMAC<SHA256>.authenticationCode(for: Data(symbols.utf8), using: key).map { String(format: "%02x", $0) }.joined()
    }

    /// Luhn mod N: from the right, every second value doubled and its base-32 digits summed.
    static func check(of data: [Character]) -> Character {
        let n = alphabet.count
        var sum = 0
        for (i, c) in data.reversed().enumerated() {
            var v = alphabet.firstIndex(of: c)!
            if i % 2 == 0 { v *= 2 }
            sum += v / n + v % n
        }
        return alphabet[(n - sum % n) % n]
    }
}
