import Foundation
import XinfangCore

/// An event's canonical JSON, the bytes `CanonicalJSON.encoder` makes of a `CaseEvent` and a
/// packet carries, written from the event's stored row: its body and command are stored in that
/// form already, its other fields are columns. The sender copies these bytes into a packet
/// (`Packet.encoded(wireChains:)`) instead of decoding each event from its row and encoding it
/// again, which was three quarters of the sender's share of a catch-up (P4's profile in
/// docs/BENCHMARKS.md).
///
/// `CaseEvent`'s `Codable` stays the one definition of the form: this writes it with
/// `CaseEvent.writeCanonical`, the writing the event's hash uses, and `StoredEventJSONTests` holds
/// it to the encoder byte for byte, over every event of simulator runs and events made to reach
/// each of its branches.
enum StoredEventJSON {
    /// The JSON of the event in `row` (a row of `events` with all its columns).
    static func json(_ row: SQLRow) -> Data {
        let body: String = row["body"]
        let command: String? = row["command"]
        var out = CanonicalJSONWriter(capacity: 512 + body.utf8.count + (command?.utf8.count ?? 0))
        CaseEvent.writeCanonical(
            into: &out,
            actor: row["actor"],
            body: body,
            caseNumber: row["case_number"],
            command: command,
            epoch: row["epoch"],
            format: DataFormats.field(row["format"] ?? 1),
            hash: row["hash"] as String,
            origin: row["origin"],
            prevHash: row["prev_hash"],
            seq: row["seq"],
            signature: row["signature"],
            time: HLCTimestamp(wallMs: row["hlc_wall"], logical: Int32(row["hlc_logical"] as Int))
        )
        return Data(out.bytes)
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
