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

    /// A text holds a character `TextRule` refuses.
    public static func controlCharacter(_ field: String, _ scalar: Unicode.Scalar) -> ValidationFailure {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return ValidationFailure(
            code: "control-character",
            field: field,
            detail: "字段 \(field) 含有不允许的控制字符（U+\(String(repeating: "0", count: max(0, 4 - hex.count)) + hex)）；除换行和制表符外，控制字符不能录入。"
        )
    }

    /// A field has a value outside its allowed set or range.
    public static func invalid(_ field: String, _ detail: String) -> ValidationFailure {
        ValidationFailure(code: "invalid-field", field: field, detail: detail)
    }
}

/// Which characters any text of a case may hold (issue 15). Text is signed into events and
/// replicated to every level, and shown on pages and in exports: a control character has no place
/// in what an officer writes, and some (NUL, ESC, the bidirectional overrides) can hide or
/// disguise what a page or terminal shows. Line breaks and tabs are text.
public enum TextRule {
    /// Whether `scalar` is refused: the C0 controls but tab, line feed and carriage return; DEL;
    /// the C1 controls; the bidirectional embeddings, overrides and isolates.
    public static func isRefused(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D: false
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    /// The first refused character of `text`, or nil.
    public static func firstRefused(in text: String) -> Unicode.Scalar? {
        text.unicodeScalars.first(where: isRefused)
    }

    /// Refuses `text` for `field` when it holds a refused character.
    public static func check(_ text: String, field: String) throws(ValidationFailure) {
        if let scalar = firstRefused(in: text) { throw .controlCharacter(field, scalar) }
    }
}

/// Validation helpers shared by the input types.
enum Check {
    /// Returns the trimmed text, refusing it when empty, longer than `max` characters, or holding a
    /// character `TextRule` refuses.
    static func text(_ value: String?, field: String, max: Int) throws(ValidationFailure) -> String {
        let trimmed = (value ?? "").trimmingWhitespace()
        guard !trimmed.isEmpty else { throw .missing(field) }
        guard trimmed.count <= max else { throw .tooLong(field, max: max) }
        try TextRule.check(trimmed, field: field)
        return trimmed
    }

    /// Like `text`, but an absent or blank value is allowed and returned as nil.
    static func optionalText(_ value: String?, field: String, max: Int) throws(ValidationFailure) -> String? {
        let trimmed = (value ?? "").trimmingWhitespace()
        guard !trimmed.isEmpty else { return nil }
        guard trimmed.count <= max else { throw .tooLong(field, max: max) }
        try TextRule.check(trimmed, field: field)
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
