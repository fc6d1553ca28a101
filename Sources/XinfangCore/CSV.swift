import Foundation

/// CSV as Excel on a Chinese Windows desktop opens it: UTF-8 with a byte-order mark (without it
/// Excel reads the bytes as GBK and the Chinese turns to mojibake), CRLF line ends, and RFC 4180
/// quoting (a field with a comma, a quote or a line break is quoted, quotes doubled).
public enum CSV {
    /// The UTF-8 byte-order mark.
    public static let bom = "\u{FEFF}"

    /// A document: the BOM, the header row, then the rows.
    public static func document(header: [String], rows: some Sequence<[String]>) -> String {
        var out = bom + line(header)
        for row in rows { out += line(row) }
        return out
    }

    /// One row with its CRLF.
    public static func line(_ fields: [String]) -> String { fields.map(field).joined(separator: ",") + "\r\n" }

    /// One field, quoted when it must be. A text that a spreadsheet would run as a formula (it
    /// starts with =, +, -, @, a tab or a carriage return, and is not a number) gets a leading
    /// apostrophe, so an exported petition text cannot execute in the reader's Excel.
    public static func field(_ value: String) -> String {
        var text = value
        if let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first), Double(text) == nil {
            text = "'" + text
        }
        // Scalars, not Characters: "\r\n" is one Character in Swift and equals neither "\r" nor "\n".
        guard text.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A parse failure: where, and why.
    public struct ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        public var line: Int
        public var reason: String
        public var description: String { "第 \(line) 行：\(reason)" }
    }

    /// The rows of a document (a leading BOM is skipped; CRLF or LF line ends; quoted fields may
    /// hold commas, quotes and line breaks). Each row comes with the line it starts on. Refuses an
    /// unterminated quote, a quote inside an unquoted field, and a field longer than `fieldLengthMax`.
    public static func rows(_ text: String, fieldLengthMax: Int = 100_000) throws(ParseError) -> [(line: Int, fields: [String])] {
        var rows: [(Int, [String])] = []
        var fields: [String] = []
        var field = ""
        var quoted = false
        var afterQuote = false
        var line = 1
        var rowLine = 1
        var chars = text.unicodeScalars[...]
        if chars.first == "\u{FEFF}" { chars = chars.dropFirst() }
        var iterator = chars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func endField() throws(ParseError) {
            guard field.count <= fieldLengthMax else { throw ParseError(line: line, reason: "字段超过 \(fieldLengthMax) 个字符") }
            fields.append(field)
            field = ""
            afterQuote = false
        }
        while let c = pending ?? iterator.next() {
            pending = nil
            if quoted {
                if c == "\"" {
                    let next = iterator.next()
                    if next == "\"" {
                        field.unicodeScalars.append("\"")
                    } else {
                        quoted = false
                        afterQuote = true
                        pending = next
                    }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case ",":
                try endField()
            case "\r":
                let next = iterator.next()
                if next != "\n" { pending = next }
                fallthrough
            case "\n":
                try endField()
                if !(fields.count == 1 && fields[0].isEmpty) { rows.append((rowLine, fields)) }
                fields = []
                line += 1
                rowLine = line
            case "\"":
                guard field.isEmpty, !afterQuote else { throw ParseError(line: line, reason: "引号只能出现在字段开头（字段内的引号须写成两个）") }
                quoted = true
            default:
                guard !afterQuote else { throw ParseError(line: line, reason: "引号结束后必须是逗号或换行") }
                field.unicodeScalars.append(c)
            }
        }
        if quoted { throw ParseError(line: rowLine, reason: "引号未闭合") }
        if !field.isEmpty || !fields.isEmpty || afterQuote {
            try endField()
            rows.append((rowLine, fields))
        }
        return rows
    }
}
