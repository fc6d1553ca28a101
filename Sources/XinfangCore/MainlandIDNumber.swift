/// The 18-character mainland resident identity card number (居民身份证号码, GB 11643-1999):
/// 6 digits of region, 8 of birth date, 3 of sequence and a check character.
public enum MainlandIDNumber {
    static let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    static let checkCharacters: [Character] = ["1", "0", "X", "9", "8", "7", "6", "5", "4", "3", "2"]

    /// The check character (ISO 7064 MOD 11-2) for the first 17 digits.
    public static func checkCharacter(for first17: String) -> Character? {
        let digits = first17.compactMap { $0.wholeNumberValue }
        guard digits.count == 17, first17.count == 17 else { return nil }
        let sum = zip(digits, weights).reduce(0) { $0 + $1.0 * $1.1 }
        return checkCharacters[sum % 11]
    }

    /// Validates a number, returning it in canonical form (upper-case X).
    public static func validated(_ raw: String, field: String) throws(ValidationFailure) -> String {
        let value = raw.uppercased()
        guard value.count == 18, let expected = checkCharacter(for: String(value.prefix(17))) else {
            throw ValidationFailure(code: "invalid-id-number", field: field, detail: "居民身份证号码必须是 18 位（前 17 位为数字）。")
        }
        guard RegionCode.isValidDigits(String(value.prefix(6))) else {
            throw ValidationFailure(code: "invalid-id-number", field: field, detail: "居民身份证号码的地址码无效。")
        }
        let birth = Array(value.dropFirst(6).prefix(8))
        let year = Int(String(birth[0..<4])) ?? 0
        let month = Int(String(birth[4..<6])) ?? 0
        let day = Int(String(birth[6..<8])) ?? 0
        guard year >= 1900, let date = CivilDate(year: year, month: month, day: day), date.isValid else {
            throw ValidationFailure(code: "invalid-id-number", field: field, detail: "居民身份证号码的出生日期无效。")
        }
        guard value.last == expected else {
            throw ValidationFailure(code: "invalid-id-number", field: field, detail: "居民身份证号码校验位错误。")
        }
        return value
    }
}
