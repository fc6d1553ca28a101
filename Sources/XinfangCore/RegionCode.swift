/// An administrative division code (行政区划代码): 6 digits (`430102`) or the 12-digit statistical
/// form (`430102000000`). Stored in its 6-digit form when the last six digits are zeros.
public struct RegionCode: RawRepresentable, Hashable, Codable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }

    /// Province-level prefixes of the national division code table (GB/T 2260).
    static let provincePrefixes: Set<String> = [
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
        "65", "71", "81", "82",
    ]

    static func isValidDigits(_ raw: String) -> Bool {
        raw.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } && provincePrefixes.contains(String(raw.prefix(2)))
    }

    /// Parses and normalises a code, refusing anything that is not 6 or 12 digits with a known
    /// province part.
    public static func validated(_ raw: String, field: String) throws(ValidationFailure) -> RegionCode {
        guard raw.count == 6 || raw.count == 12, isValidDigits(raw) else {
            throw ValidationFailure(
                code: "invalid-region-code",
                field: field,
                detail: "行政区划代码必须是 6 位或 12 位数字，且省级代码有效（例如 430102）。"
            )
        }
        if raw.count == 12, raw.hasSuffix("000000") { return RegionCode(rawValue: String(raw.prefix(6))) }
        return RegionCode(rawValue: raw)
    }

    /// The significant prefix: `430000` → `43`, `430100` → `4301`, `430102` → `430102`.
    public var significantPrefix: String {
        let six = String(rawValue.prefix(6))
        if six.hasSuffix("0000") { return String(six.prefix(2)) }
        if six.hasSuffix("00") { return String(six.prefix(4)) }
        return rawValue
    }

    /// Whether this region lies within `area` (itself or below it).
    public func isWithin(_ area: RegionCode) -> Bool { rawValue.hasPrefix(area.significantPrefix) }
}
