import Foundation
import XinfangCore

/// An event's canonical JSON, the bytes `CanonicalJSON.encoder` makes of a `CaseEvent` and a
/// packet carries, written from the event's stored row: its body and command are stored in that
/// form already, its other fields are columns. The sender copies these bytes into a packet
/// (`Packet.encoded(wireChains:)`) instead of decoding each event from its row and encoding it
/// again, which was three quarters of the sender's share of a catch-up (P4's profile in
/// docs/BENCHMARKS.md).
///
/// `CaseEvent`'s `Codable` stays the one definition of the form: this writes the same keys in the
/// encoder's sorted order, numbers in decimal and strings as the encoder writes them (a string of
/// printable ASCII without a quote or a backslash as it is, any other through the encoder itself),
/// and `StoredEventJSONTests` holds it to the encoder byte for byte, over every event of simulator
/// runs and events made to reach each branch here.
enum StoredEventJSON {
    /// The JSON of the event in `row` (a row of `events` with all its columns).
    static func json(_ row: SQLRow) -> Data {
        var out: [UInt8] = []
        out.reserveCapacity(512 + (row["body"] as String).utf8.count)
        func key(_ name: String, first: Bool = false) {
            if !first { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: name.utf8)
            out.append(contentsOf: "\":".utf8)
        }
        func string(_ value: String) { appendString(value, to: &out) }
        func number<N: BinaryInteger>(_ value: N) { out.append(contentsOf: String(value).utf8) }

        // The keys of `CaseEvent.CodingKeys` in the order of `.sortedKeys`; nil optionals are left out.
        out.append(UInt8(ascii: "{"))
        key("actor", first: true)
        string(row["actor"])
        key("body")
        out.append(contentsOf: (row["body"] as String).utf8)
        key("caseNumber")
        string(row["case_number"])
        if let command = row["command"] as String? {
            key("command")
            out.append(contentsOf: command.utf8)
        }
        key("epoch")
        number(row["epoch"] as Int)
        if let format = DataFormats.field(row["format"] ?? 1) {
            key("format")
            number(format)
        }
        key("hash")
        string(row["hash"])
        key("origin")
        string(row["origin"])
        if let prevHash = row["prev_hash"] as String? {
            key("prevHash")
            string(prevHash)
        }
        key("seq")
        number(row["seq"] as Int)
        if let signature = row["signature"] as String? {
            key("signature")
            string(signature)
        }
        key("time")
        out.append(contentsOf: "{\"logical\":".utf8)
        number(row["hlc_logical"] as Int)
        out.append(contentsOf: ",\"wallMs\":".utf8)
        number(row["hlc_wall"] as Int64)
        out.append(contentsOf: "}}".utf8)
        return Data(out)
    }

    /// `value` as the canonical encoder writes a string.
    static func appendString(_ value: String, to out: inout [UInt8]) {
        let plain = value.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7f && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
        if plain {
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: value.utf8)
            out.append(UInt8(ascii: "\""))
        } else {
            // Encoding a string cannot fail.
            out.append(contentsOf: try! CanonicalJSON.encoder.encode(value))
        }
    }
}

extension OutboxRun {
    /// A run of decoded events (a losing branch's path, a forked case's winning chain), each
    /// encoded; nil when there are none.
    init?(_ events: [CaseEvent]) throws {
        guard let first = events.first, let last = events.last else { return nil }
        self.init(caseNumber: first.caseNumber, lastSeq: last.seq, events: try events.map { try CanonicalJSON.encoder.encode($0) })
    }
}
