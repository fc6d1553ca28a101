public import Foundation

/// Reads JSON in the canonical form (what `CanonicalJSONWriter` and `CanonicalJSON.encoder` write)
/// for values whose shape is fixed, without a decoder: a received packet's events, most of a
/// receiver's decoding, and a case's stored state (docs/BENCHMARKS.md, "A packet's events and its
/// answer read by hand", "A case's state read by hand").
///
/// It takes only the canonical form: no whitespace; each object's keys in strictly ascending byte
/// order (so none twice) and each known to the type read; no `null` (the writer leaves nil
/// optionals out); integers as the writer prints them (no fraction, exponent, leading zero or
/// `-0`); strings in valid UTF-8 with only the escapes the writer makes (a quote, a backslash,
/// `\b \t \n \f \r`, and `\u00XX` for the other control characters). Anything else is
/// `Unreadable`, and the caller decodes the same bytes with `CanonicalJSON.decoder`, which takes
/// or refuses them as it always did: the reader is a shortcut for the form every node writes, never
/// a second grammar. `CanonicalJSONReaderTests` hold its values to the decoder's, and hold that
/// it takes nothing the decoder refuses.
///
/// The reader borrows the bytes: use it only inside `read(_:_:)`.
public struct CanonicalJSONReader {
    /// The bytes are not in the canonical form this reader takes (or not of the shape asked for):
    /// decode them with `CanonicalJSON.decoder` instead.
    public struct Unreadable: Error, Equatable {
        public init() {}
    }

    /// Where the object being read is: its previous key (to hold the next one above it when
    /// skipping), none before the first.
    public struct ObjectCursor {
        fileprivate var previousStart = 0
        fileprivate var previousEnd = -1
    }

    /// Where the array being read is.
    public struct ArrayCursor {
        fileprivate var first = true
    }

    /// The deepest nesting `skipValue` goes through (the shapes read by hand nest at most six deep).
    public static let skipDepthMax = 32

    private let bytes: UnsafeRawBufferPointer
    private var index = 0

    private init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// The value `body` reads from the whole of `data`, or nil when the bytes are not in the
    /// canonical form or shape it takes (or anything follows the value).
    public static func read<T>(_ data: Data, _ body: (inout CanonicalJSONReader) throws(Unreadable) -> T) -> T? {
        data.withUnsafeBytes { buffer in
            var reader = CanonicalJSONReader(buffer)
            guard let value = try? body(&reader), reader.index == buffer.count else { return nil }
            return value
        }
    }

    /// The same over the bytes of a string.
    public static func read<T>(_ text: String, _ body: (inout CanonicalJSONReader) throws(Unreadable) -> T) -> T? {
        var text = text
        return text.withUTF8 { buffer in
            var reader = CanonicalJSONReader(UnsafeRawBufferPointer(buffer))
            guard let value = try? body(&reader), reader.index == buffer.count else { return nil }
            return value
        }
    }

    /// `T` from its canonical JSON: read by hand when the reader takes the bytes, else by
    /// `CanonicalJSON.decoder`, which takes or refuses them as it always did. The one place where
    /// a value read by hand falls back to the decoder.
    @inlinable
    public static func decode<T: CanonicalJSONReadable & Decodable>(_ type: T.Type, from data: Data) throws -> T {
        if let value = read(data, { r throws(Unreadable) in try T(reading: &r) }) { return value }
        return try CanonicalJSON.decoder.decode(T.self, from: data)
    }

    /// The same from a string's bytes.
    @inlinable
    public static func decode<T: CanonicalJSONReadable & Decodable>(_ type: T.Type, from json: String) throws -> T {
        if let value = read(json, { r throws(Unreadable) in try T(reading: &r) }) { return value }
        return try CanonicalJSON.decoder.decode(T.self, from: Data(json.utf8))
    }

    // MARK: Structure

    private mutating func expect(_ byte: UInt8) throws(Unreadable) {
        guard index < bytes.count, bytes[index] == byte else { throw Unreadable() }
        index += 1
    }

    private func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    /// Opens an object (`{`).
    public mutating func openObject() throws(Unreadable) -> ObjectCursor {
        try expect(UInt8(ascii: "{"))
        return ObjectCursor()
    }

    /// Moves past the object's next key, whatever it is, and its colon; false once the object is
    /// closed (`}` read). A key not above the one before it, or with an escape, is unreadable. For
    /// objects of any shape (`decoded`); a type reads its own keys by name (`key(_:_:)`).
    private mutating func skipKey(_ object: inout ObjectCursor) throws(Unreadable) -> Bool {
        if peek() == UInt8(ascii: "}") {
            index += 1
            return false
        }
        if object.previousEnd >= 0 { try expect(UInt8(ascii: ",")) }
        try expect(UInt8(ascii: "\""))
        let start = index
        while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
            guard bytes[index] >= 0x20, bytes[index] != UInt8(ascii: "\\") else { throw Unreadable() }
            index += 1
        }
        let end = index
        try expect(UInt8(ascii: "\""))
        try expect(UInt8(ascii: ":"))
        if object.previousEnd >= 0 {
            let previous = UnsafeRawBufferPointer(rebasing: bytes[object.previousStart..<object.previousEnd])
            guard previous.lexicographicallyPrecedes(UnsafeRawBufferPointer(rebasing: bytes[start..<end])) else { throw Unreadable() }
        }
        object.previousStart = start
        object.previousEnd = end
        return true
    }

    /// Whether the object's next key is `name`, which is then read with its colon. A type asks for
    /// its keys in the order the writer writes them (ascending bytes), each once, then closes the
    /// object (`closeObject`): a key it did not ask for, one out of that order or written twice is
    /// left unread, and the close fails on it. No key is made into a string.
    public mutating func key(_ name: StaticString, _ object: inout ObjectCursor) -> Bool {
        var at = index
        if object.previousEnd >= 0 {
            guard at < bytes.count, bytes[at] == UInt8(ascii: ",") else { return false }
            at += 1
        }
        let count = name.utf8CodeUnitCount
        guard at + count + 3 <= bytes.count, bytes[at] == UInt8(ascii: "\""), bytes[at + count + 1] == UInt8(ascii: "\""),
            bytes[at + count + 2] == UInt8(ascii: ":"), memcmp(bytes.baseAddress! + at + 1, name.utf8Start, count) == 0
        else { return false }
        object.previousStart = at + 1
        object.previousEnd = at + 1 + count
        index = at + count + 3
        return true
    }

    /// Reads the key `name`, which the type requires: unreadable when the next key is another.
    public mutating func required(_ name: StaticString, _ object: inout ObjectCursor) throws(Unreadable) {
        guard key(name, &object) else { throw Unreadable() }
    }

    /// Closes an object read by `key(_:_:)`: its next byte must be `}`.
    public mutating func closeObject(_ object: ObjectCursor) throws(Unreadable) {
        try expect(UInt8(ascii: "}"))
    }

    /// Opens an array (`[`).
    public mutating func openArray() throws(Unreadable) -> ArrayCursor {
        try expect(UInt8(ascii: "["))
        return ArrayCursor()
    }

    /// Whether the array has another element (its comma read); false once it is closed (`]` read).
    public mutating func nextElement(_ array: inout ArrayCursor) throws(Unreadable) -> Bool {
        if peek() == UInt8(ascii: "]") {
            index += 1
            return false
        }
        if !array.first { try expect(UInt8(ascii: ",")) }
        array.first = false
        return true
    }

    /// Whether the next value is an empty array, which is then read.
    public mutating func emptyArray() -> Bool {
        guard index + 2 <= bytes.count, bytes[index] == UInt8(ascii: "["), bytes[index + 1] == UInt8(ascii: "]") else { return false }
        index += 2
        return true
    }

    /// The elements of an array, each read by `element`.
    @inlinable
    public mutating func array<T>(_ element: (inout CanonicalJSONReader) throws(Unreadable) -> T) throws(Unreadable) -> [T] {
        var array = try openArray()
        var values: [T] = []
        while try nextElement(&array) { values.append(try element(&self)) }
        return values
    }

    // MARK: Values

    /// A string, its escapes resolved.
    public mutating func string() throws(Unreadable) -> String {
        try expect(UInt8(ascii: "\""))
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let run = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
                index += 1
                return try Self.validString(run)
            }
            guard byte >= 0x20 else { throw Unreadable() }
            if byte == UInt8(ascii: "\\") { return try escapedString(from: start) }
            index += 1
        }
        throw Unreadable()
    }

    /// The string of `utf8`, or unreadable when the bytes are not valid UTF-8. `String(decoding:)`
    /// repairs what is not (with U+FFFD), so its bytes equal the input's only when the input was
    /// valid; `String(validating:)` took the same time in looking up its generic metadata.
    private static func validString(_ utf8: UnsafeRawBufferPointer) throws(Unreadable) -> String {
        var value = String(decoding: utf8.assumingMemoryBound(to: UInt8.self), as: UTF8.self)
        let same = value.withUTF8 { $0.count == utf8.count && (utf8.isEmpty || memcmp($0.baseAddress!, utf8.baseAddress!, utf8.count) == 0) }
        guard same else { throw Unreadable() }
        return value
    }

    /// The rest of a string from its first backslash, with the bytes from `start` before it.
    private mutating func escapedString(from start: Int) throws(Unreadable) -> String {
        var out = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let value = out.withUnsafeBytes({ try? Self.validString($0) }) else { throw Unreadable() }
                return value
            case UInt8(ascii: "\\"):
                out.append(try escape())
            case ..<0x20:
                throw Unreadable()
            default:
                out.append(byte)
            }
        }
        throw Unreadable()
    }

    /// The byte an escape stands for, in the forms the writer makes only.
    private mutating func escape() throws(Unreadable) -> UInt8 {
        guard index < bytes.count else { throw Unreadable() }
        let letter = bytes[index]
        index += 1
        switch letter {
        case UInt8(ascii: "\""): return letter
        case UInt8(ascii: "\\"): return letter
        case UInt8(ascii: "b"): return 0x08
        case UInt8(ascii: "t"): return 0x09
        case UInt8(ascii: "n"): return 0x0A
        case UInt8(ascii: "f"): return 0x0C
        case UInt8(ascii: "r"): return 0x0D
        case UInt8(ascii: "u"):
            guard index + 4 <= bytes.count, bytes[index] == UInt8(ascii: "0"), bytes[index + 1] == UInt8(ascii: "0"),
                let high = Self.hexValue(bytes[index + 2]), high <= 1, let low = Self.hexValue(bytes[index + 3])
            else { throw Unreadable() }
            // The writer uses the lower-case form, and the short one for the five above.
            guard !(UInt8(ascii: "A")...UInt8(ascii: "F")).contains(bytes[index + 3]) else { throw Unreadable() }
            let value = high << 4 | low
            guard ![0x08, 0x09, 0x0A, 0x0C, 0x0D].contains(value) else { throw Unreadable() }
            index += 4
            return value
        default:
            throw Unreadable()
        }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// An integer as the writer prints it.
    public mutating func int64() throws(Unreadable) -> Int64 {
        let negative = peek() == UInt8(ascii: "-")
        if negative { index += 1 }
        let start = index
        var value: Int64 = 0
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
            let digit = Int64(bytes[index] - UInt8(ascii: "0"))
            let (times, overflow) = value.multipliedReportingOverflow(by: 10)
            guard !overflow else { throw Unreadable() }
            // Negative numbers are summed below zero, so Int64.min reads too.
            let (sum, carry) = negative ? times.subtractingReportingOverflow(digit) : times.addingReportingOverflow(digit)
            guard !carry else { throw Unreadable() }
            value = sum
            index += 1
        }
        let digits = index - start
        guard digits > 0, digits == 1 || bytes[start] != UInt8(ascii: "0"), !(negative && value == 0) else { throw Unreadable() }
        if let next = peek(), next == UInt8(ascii: ".") || next == UInt8(ascii: "e") || next == UInt8(ascii: "E") { throw Unreadable() }
        return value
    }

    public mutating func int() throws(Unreadable) -> Int {
        guard let value = Int(exactly: try int64()) else { throw Unreadable() }
        return value
    }

    public mutating func int32() throws(Unreadable) -> Int32 {
        guard let value = Int32(exactly: try int64()) else { throw Unreadable() }
        return value
    }

    /// A date as the canonical form writes it (`CanonicalJSON.milliseconds`), read as the
    /// decoder's strategy reads it.
    public mutating func date() throws(Unreadable) -> Date {
        Date(timeIntervalSince1970: Double(try int64()) / 1000)
    }

    public mutating func bool() throws(Unreadable) -> Bool {
        if literal("true") { return true }
        if literal("false") { return false }
        throw Unreadable()
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        let matches = word.withUTF8Buffer { UnsafeRawBufferPointer(rebasing: bytes[index..<index + count]).elementsEqual($0) }
        if matches { index += count }
        return matches
    }

    /// A string-backed value by its raw value.
    public mutating func raw<T: RawRepresentable<String>>(_ type: T.Type) throws(Unreadable) -> T {
        guard let value = T(rawValue: try string()) else { throw Unreadable() }
        return value
    }

    /// A value of a type read by hand.
    public mutating func read<T: CanonicalJSONReadable>(_ type: T.Type) throws(Unreadable) -> T {
        try T(reading: &self)
    }

    /// A value of a shape not read by hand (a command, a digest round, flags: rare in a packet),
    /// decoded by `CanonicalJSON.decoder` from its own bytes, which the reader skips over.
    public mutating func decoded<T: Decodable>(_ type: T.Type) throws(Unreadable) -> T {
        let start = index
        try skipValue(depth: 0)
        let slice = Data(UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
        guard let value = try? CanonicalJSON.decoder.decode(T.self, from: slice) else { throw Unreadable() }
        return value
    }

    /// Moves past one value of any shape (in the canonical form).
    private mutating func skipValue(depth: Int) throws(Unreadable) {
        guard depth < Self.skipDepthMax, let next = peek() else { throw Unreadable() }
        switch next {
        case UInt8(ascii: "{"):
            var object = try openObject()
            while try skipKey(&object) { try skipValue(depth: depth + 1) }
        case UInt8(ascii: "["):
            var array = try openArray()
            while try nextElement(&array) { try skipValue(depth: depth + 1) }
        case UInt8(ascii: "\""):
            _ = try string()
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            _ = try bool()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            _ = try int64()
        default:
            throw Unreadable()
        }
    }
}

/// A value read from its canonical JSON by hand (`CanonicalJSONReader`), the same as its
/// `Decodable` form reads from those bytes.
public protocol CanonicalJSONReadable {
    init(reading reader: inout CanonicalJSONReader) throws(CanonicalJSONReader.Unreadable)
}
