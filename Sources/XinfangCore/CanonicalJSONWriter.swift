public import Foundation

/// Writes JSON in the canonical form (`CanonicalJSON.encoder`'s bytes) for values whose shape is
/// fixed, without an encoder: an event's fields around its body, whose own JSON is written once
/// and copied in (`CaseEvent.Encoded`), and a stored event's packet form (`StoredEventJSON`).
///
/// The caller writes an object's keys in the encoder's sorted order. Strings are escaped as the
/// encoder escapes them (a quote, a backslash and the control characters below U+0020; nothing
/// else, slashes included), numbers are written in decimal; `CanonicalJSONWriterTests` holds both
/// to the encoder over every Unicode scalar.
public struct CanonicalJSONWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    /// Whether the object being written has no key yet.
    private var opened = false

    public init(capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    public mutating func openObject() {
        bytes.append(UInt8(ascii: "{"))
        opened = true
    }

    public mutating func closeObject() {
        bytes.append(UInt8(ascii: "}"))
        opened = false
    }

    /// The next key of the object being written, with its colon.
    public mutating func key(_ name: StaticString) {
        if !opened { bytes.append(UInt8(ascii: ",")) }
        opened = false
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    /// The key and its string; nothing when `value` is nil (the encoder leaves nil optionals out).
    public mutating func string(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        key(name)
        Self.appendString(value, to: &bytes)
    }

    /// The key and its number in decimal; nothing when `value` is nil.
    public mutating func number(_ name: StaticString, _ value: (some BinaryInteger)?) {
        guard let value else { return }
        key(name)
        bytes.append(contentsOf: String(value).utf8)
    }

    /// The key and `true` or `false`; nothing when `value` is nil.
    public mutating func bool(_ name: StaticString, _ value: Bool?) {
        guard let value else { return }
        key(name)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    /// An array's brackets and the comma between its elements (each written by the caller).
    public mutating func openArray() { bytes.append(UInt8(ascii: "[")) }
    public mutating func closeArray() { bytes.append(UInt8(ascii: "]")) }
    public mutating func comma() { bytes.append(UInt8(ascii: ",")) }

    /// The key and its date in whole milliseconds (`CanonicalJSON.milliseconds`); nothing when
    /// `value` is nil.
    public mutating func date(_ name: StaticString, _ value: Date?) {
        number(name, value.map(CanonicalJSON.milliseconds))
    }

    /// The key and its array of strings.
    public mutating func strings(_ name: StaticString, _ values: [String]) {
        key(name)
        bytes.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            Self.appendString(value, to: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// The key and its array of objects, each written by hand.
    public mutating func objects(_ name: StaticString, _ values: [some CanonicalJSONWritable]) {
        key(name)
        openArray()
        for (index, value) in values.enumerated() {
            if index > 0 { comma() }
            value.writeCanonical(into: &self)
        }
        closeArray()
    }

    /// The key and JSON already in canonical form (a body encoded by `CanonicalJSON.encoder`), as
    /// it is; nothing when `value` is nil.
    public mutating func json(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        json(name, value.utf8)
    }

    /// The key and canonical JSON bytes, as they are.
    public mutating func json(_ name: StaticString, _ value: some Collection<UInt8>) {
        key(name)
        bytes.append(contentsOf: value)
    }

    /// The key and its object written by hand; nothing when `value` is nil.
    public mutating func object(_ name: StaticString, _ value: (some CanonicalJSONWritable)?) {
        guard let value else { return }
        key(name)
        value.writeCanonical(into: &self)
    }

    /// `value` as the canonical encoder writes a string: the runs of bytes that need no escape
    /// copied whole, each byte that does escaped.
    public static func appendString(_ value: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { bytes in
            var start = 0
            for index in bytes.indices {
                let byte = bytes[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
                appendEscaped(byte, to: &out)
                start = index + 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        }
        out.append(UInt8(ascii: "\""))
    }

    /// A quote, a backslash or a control character as the encoder escapes it.
    private static func appendEscaped(_ byte: UInt8, to out: inout [UInt8]) {
        switch byte {
        case 0x08: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
        case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
        case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
        case 0x0C: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
        case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
        case ..<0x20:
            out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0xF)])
        default:
            out.append(contentsOf: [UInt8(ascii: "\\"), byte])
        }
    }

    static let hexDigits = Array("0123456789abcdef".utf8)
}

/// A value whose canonical JSON is written by hand (the keys of its `Codable` form, sorted), held
/// to the encoder's bytes by tests.
public protocol CanonicalJSONWritable {
    func writeCanonical(into out: inout CanonicalJSONWriter)
}
