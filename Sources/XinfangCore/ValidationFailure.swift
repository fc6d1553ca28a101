/// A refusal of bad input: a stable machine-readable `code`, the offending `field` (a dotted path
/// such as `petitioners.0.idNumber`) and a human `detail` in Chinese.
///
/// Everything that validates input throws this, so the HTTP layer maps all bad input the same way
/// (a 4xx problem document) and nothing is written for a refused request.
public struct ValidationFailure: Error, Equatable, Sendable, CustomStringConvertible {
    public var code: String
    public var field: String?
    public var detail: String

    public init(code: String, field: String?, detail: String) {
        self.code = code
        self.field = field
        self.detail = detail
    }

    public var description: String { "\(code) (\(field ?? "-")): \(detail)" }

    /// A required field is absent or empty.
    public static func missing(_ field: String) -> ValidationFailure {
        ValidationFailure(code: "missing-field", field: field, detail: "缺少必填字段 \(field)。")
    }

    /// A text field is longer than its stated limit.
    public static func tooLong(_ field: String, max: Int) -> ValidationFailure {
        ValidationFailure(code: "field-too-long", field: field, detail: "字段 \(field) 超过 \(max) 个字符的上限。")
    }

    /// A required text, trimmed, refused when empty or longer than `max` characters.
    public static func requiredText(_ value: String?, field: String, max: Int) throws(ValidationFailure) -> String {
        try Check.text(value, field: field, max: max)
    }

    /// A field has a value outside its allowed set or range.
    public static func invalid(_ field: String, _ detail: String) -> ValidationFailure {
        ValidationFailure(code: "invalid-field", field: field, detail: detail)
    }
}

/// Validation helpers shared by the input types.
enum Check {
    /// Returns the trimmed text, refusing it when empty or longer than `max` characters.
    static func text(_ value: String?, field: String, max: Int) throws(ValidationFailure) -> String {
        let trimmed = (value ?? "").trimmingWhitespace()
        guard !trimmed.isEmpty else { throw .missing(field) }
        guard trimmed.count <= max else { throw .tooLong(field, max: max) }
        return trimmed
    }

    /// Like `text`, but an absent or blank value is allowed and returned as nil.
    static func optionalText(_ value: String?, field: String, max: Int) throws(ValidationFailure) -> String? {
        let trimmed = (value ?? "").trimmingWhitespace()
        guard !trimmed.isEmpty else { return nil }
        guard trimmed.count <= max else { throw .tooLong(field, max: max) }
        return trimmed
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and newlines (ASCII and ideographic).
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0.isWhitespace }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
