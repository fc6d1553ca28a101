import Foundation
import Testing
import XinfangTesting

@testable import XinfangCore

/// The hand-written canonical JSON (`CanonicalJSONWriter`, `CaseEvent.Encoded`) must be the
/// encoder's bytes exactly: an event's hash is computed over the spliced form, and every node
/// that checks it with the encoder's form (an older release) must get the same hash.
struct CanonicalJSONWriterTests {
    static let now = Fixtures.instant("2026-11-02T09:00:00+08:00")

    /// Every Unicode scalar, in one string and each ASCII one on its own, escaped as the encoder does.
    @Test func stringsAreEscapedAsTheEncoderEscapesThem() throws {
        var every = String.UnicodeScalarView()
        for value in UInt32(0)...0x10FFFF {
            if let scalar = Unicode.Scalar(value) { every.append(scalar) }
        }
        let samples = [String(every), "", "plain ascii", "局长 \"引号\" \\ /"] + (0..<128).map { String(UnicodeScalar(UInt8($0))) }
        for sample in samples {
            var written: [UInt8] = []
            CanonicalJSONWriter.appendString(sample, to: &written)
            let encoded = try CanonicalJSON.encoder.encode(sample)
            #expect(written == Array(encoded), "\(sample.prefix(8).debugDescription)")
        }
    }

    @Test func numbersAndObjectsAreWrittenAsTheEncoderWritesThem() throws {
        for value in [Int.min, -1, 0, 7, 1_000_000, Int.max] {
            var out = CanonicalJSONWriter()
            out.openObject()
            out.number("a", value)
            out.key("b")
            out.openObject()
            out.string("c", "d")
            out.closeObject()
            out.closeObject()
            struct Shape: Encodable {
                struct Inner: Encodable { var c: String }
                var a: Int
                var b: Inner
            }
            #expect(out.bytes == Array(try CanonicalJSON.encoder.encode(Shape(a: value, b: .init(c: "d")))))
        }
    }

    /// Events of every form (each optional field present and absent, actors needing each escape,
    /// commands, both formats) and a chain's actions: the spliced bytes are `Hashed`'s.
    @Test func theSplicedBytesAreTheEncodersOfEveryFieldButHashAndSignature() throws {
        var chain = try ChainBuilder(now: Self.now)
        chain.format = 2
        try chain.act(.notify(note: "已告知"))
        try chain.act(.reply(outcome: .supported, opinion: "支持\n（见附件）"))
        try chain.act(.close(report: nil))
        let events = Fixtures.eventsOfEveryForm(at: Self.now) + chain.events
        #expect(events.count > 12)
        for event in events {
            let spliced = Data(event.encoded().hashedBytes())
            let byEncoder = event.canonicalBytesByEncoder()
            #expect(spliced == byEncoder, "\(String(decoding: spliced, as: UTF8.self))\n\(String(decoding: byEncoder, as: UTF8.self))")
            #expect(event.computedHash() == byEncoder.sha256Hex)
            #expect(event.encoded().body == String(decoding: try CanonicalJSON.encoder.encode(event.body), as: UTF8.self))
        }
    }

    /// `checked()` is the only way to a `Checked` event: it refuses an event whose content no
    /// longer matches its hash, and folding by `Checked` events gives the same state.
    @Test func onlyAnEventWhoseHashMatchesIsChecked() throws {
        let events = Fixtures.eventsOfEveryForm(at: Self.now)
        for event in events {
            #expect(try event.checked().event == event)
            var altered = event
            altered.actor += "x"
            #expect(throws: ChainError.self) { try altered.checked() }
            var resigned = event
            resigned.signature = "other"  // the signature is not hashed
            #expect(try resigned.checked().event.signature == "other")
        }
    }
}
