/// The masked forms of personal data shown by default (domain rules §5.4): ID numbers keep the
/// first 6 and last 4 characters, mobiles the first 3 and last 4, names the surname, addresses
/// the part up to the district or county.
public enum Masking {
    public static func idNumber(_ value: String) -> String {
        let c = Array(value)
        guard c.count > 10 else { return String(c.prefix(1)) + String(repeating: "*", count: max(c.count - 1, 1)) }
        return String(c.prefix(6)) + String(repeating: "*", count: c.count - 10) + String(c.suffix(4))
    }

    public static func mobile(_ value: String) -> String {
        let c = Array(value)
        guard c.count > 7 else { return String(repeating: "*", count: c.count) }
        return String(c.prefix(3)) + String(repeating: "*", count: c.count - 7) + String(c.suffix(4))
    }

    public static func name(_ value: String) -> String {
        guard let first = value.first else { return value }
        return String(first) + String(repeating: "*", count: max(value.count - 1, 1))
    }

    /// The address up to its last 区, 县 or 市 among the first 15 characters, then `****`.
    public static func address(_ value: String) -> String {
        let c = Array(value.prefix(15))
        let cut = c.lastIndex(where: { $0 == "区" || $0 == "县" || $0 == "市" }).map { $0 + 1 } ?? min(c.count, 3)
        return String(c.prefix(cut)) + "****"
    }
}
