import Foundation
import Testing
import XinfangTesting

@testable import XinfangCore

/// Events read by hand (`CanonicalJSONReader`) must be the decoder's values for every form a node
/// writes, and the reader must take nothing else: whatever it leaves, the decoder reads (or
/// refuses) as before, so a receiver never takes a packet it refused before or reads one otherwise.
struct CanonicalJSONReaderTests {
    static let now = Fixtures.instant("2026-11-02T09:00:00+08:00")
    typealias Unreadable = CanonicalJSONReader.Unreadable

    static func event(_ data: Data) -> CaseEvent? {
        CanonicalJSONReader.read(data) { r throws(Unreadable) in try CaseEvent(reading: &r) }
    }

    static func event(_ body: CaseEventBody, seq: Int = 2) -> CaseEvent {
        CaseEvent(
            caseNumber: CaseNumber(rawValue: "430102-20261102-00001"),
            epoch: 1,
            seq: seq,
            prevHash: seq == 1 ? nil : String(repeating: "0", count: 64),
            origin: NodeID("430102"),
            time: HLCTimestamp(wallMs: 1_793_000_000_123, logical: 7),
            actor: "李娜",
            body: body,
            format: 2
        )
    }

    /// Events of every form a node writes: the fixtures' (escapes, commands, formats, signatures
    /// set and unset), a registration with every field and with each optional field unset, every
    /// action of the lifecycle's samples, a refused command.
    static var writtenEvents: [CaseEvent] {
        var events = Fixtures.eventsOfEveryForm(at: now)
        var registrations = [RegistrationJSONTests.everyField, Fixtures.registration(receivedAt: now)]
        var bare = RegistrationJSONTests.everyField
        bare.collective = nil
        bare.personsInvolved = nil
        bare.respondent = nil
        bare.respondentNode = nil
        bare.intake = nil
        bare.confidential = nil
        bare.lookup = nil
        bare.source?.submittedAt = nil
        bare.linkedCases = []
        bare.petitioners[1].masked = MaskedContact(idNumber: nil, mobile: nil, address: nil)
        bare.petitioners[1].matchKeys = []
        registrations.append(bare)
        events += registrations.map { event(.register($0), seq: 1) }
        events += LifecycleTransitionTests.samples.map { event(.act($0)) }
        events.append(event(.refuse(code: "not-holder", detail: "本级不是承办单位\n请转交")))
        return events
    }

    @Test func everyEventANodeWritesIsReadAsTheDecoderReadsIt() throws {
        for written in Self.writtenEvents {
            let data = try CanonicalJSON.encoder.encode(written)
            let read = try #require(Self.event(data), "the reader takes \(String(decoding: data, as: UTF8.self))")
            #expect(read == (try CanonicalJSON.decoder.decode(CaseEvent.self, from: data)))
            #expect(read == written)
            #expect(try CaseEvent.decodeCanonical(data) == written)
        }
    }

    /// Every field of an action, each of its kinds of value (strings with escapes and UTF-8,
    /// integers, a date, civil dates, a boolean, a sealed value).
    @Test func everyFieldOfAnActionIsRead() throws {
        let data = try CanonicalJSON.encoder.encode(ActionJSONTests.everyField)
        let read = CanonicalJSONReader.read(data) { r throws(Unreadable) in
            var object = try r.openObject()
            try r.required("action", &object)
            var fields = ActionFields(action: try r.string())
            try fields.readFields(&r, &object)
            try r.closeObject(object)
            return fields
        }
        #expect(read == ActionJSONTests.everyField)
    }

    /// JSON no node writes is left to the decoder, whose reading stands: it reads most of these
    /// (to the value given) and refuses a leading zero.
    @Test(
        arguments: [
            (#"{"logical":1,"wallMs":2} "#, 1), (#"{ "logical":1,"wallMs":2}"#, 1), (#"{"logical": 1,"wallMs":2}"#, 1),
            (#"{"wallMs":2,"logical":1}"#, 1), (#"{"logical":1,"logical":1,"wallMs":2}"#, 1), (#"{"logical":1,"wallMs":2,"zone":3}"#, 1),
            (#"{"logical":1.0,"wallMs":2}"#, 1), (#"{"logical":1e0,"wallMs":2}"#, 1), (#"{"logical":-0,"wallMs":2}"#, 0),
            (#"{"logical":01,"wallMs":2}"#, nil),
        ] as [(String, Int32?)]
    )
    func aTimestampNotInTheWrittenFormIsLeftToTheDecoder(_ json: String, logical: Int32?) throws {
        #expect(CanonicalJSONReader.read(json) { r throws(Unreadable) in try HLCTimestamp(reading: &r) } == nil)
        let decoded = try? CanonicalJSON.decoder.decode(HLCTimestamp.self, from: Data(json.utf8))
        #expect(decoded == logical.map { HLCTimestamp(wallMs: 2, logical: $0) })
    }

    /// Strings: the escapes the writer makes are read; another spelling of the same text is left
    /// to the decoder, and what is not JSON is refused by both.
    @Test func stringsAreReadInTheWrittenFormOnly() throws {
        func sealed(_ alg: String) -> String { #"{"alg":"# + alg + #","box":"b","kid":"k"}"# }
        func read(_ json: String) -> SealedValue? { CanonicalJSONReader.read(json) { r throws(Unreadable) in try SealedValue(reading: &r) } }
        func read(_ bytes: [UInt8]) -> SealedValue? { CanonicalJSONReader.read(Data(bytes)) { r throws(Unreadable) in try SealedValue(reading: &r) } }
        for (json, text) in [
            (#""a\"b\\c""#, "a\"b\\c"), (#""\b\t\n\f\r""#, "\u{8}\t\n\u{c}\r"), (#""\u0001\u001f""#, "\u{1}\u{1f}"),
            (#""长沙/😀\u0000""#, "长沙/😀\u{0}"), (#""""#, ""),
        ] {
            #expect(read(sealed(json))?.alg == text, "\(json)")
            #expect(try CanonicalJSON.decoder.decode(SealedValue.self, from: Data(sealed(json).utf8)).alg == text)
        }
        for json in [#""a\/b""#, #""\u00e9""#, #""\u001F""#, #""\u000a""#, #""\ud83d\ude00""#] {
            #expect(read(sealed(json)) == nil, "\(json)")
            #expect((try? CanonicalJSON.decoder.decode(SealedValue.self, from: Data(sealed(json).utf8))) != nil, "\(json)")
        }
        for bytes in [
            Array(sealed("\"a\u{1}b\"").utf8),
            Array(sealed("\"ab").utf8), Array(#"{"alg":"a"#.utf8) + [0xFF] + Array(#"","box":"b","kid":"k"}"#.utf8),
            Array(sealed(#""\x""#).utf8), Array(sealed(#""\u00""#).utf8),
        ] {
            #expect(read(bytes) == nil, "\(String(decoding: bytes, as: UTF8.self))")
        }
    }

    /// Values the types' own decoding refuses are refused by hand too: a wrong type, a missing
    /// required key, a number out of the field's range, an action its rules refuse, a date that is
    /// not one.
    @Test func valuesTheDecoderRefusesAreNotReadByHand() throws {
        let written = String(
            decoding: try CanonicalJSON.encoder.encode(Self.event(.act(.extend(days: 10, approver: "a", reason: "r")))),
            as: UTF8.self
        )
        for (from, to) in [
            (#""days":10"#, #""days":"10""#), (#""days":10"#, #""days":9223372036854775808"#), (#""epoch":1"#, #""epoch":true"#),
            (#""logical":7"#, #""logical":2147483648"#), (#""days":10"#, #""days":-5"#), (#""actor":"李娜","#, ""),
            (#""action":"extend""#, #""action":"flyAway""#), (#""seq":2"#, #""seq":[2]"#),
        ] {
            let mutated = written.replacingOccurrences(of: from, with: to)
            #expect(mutated != written)
            #expect(Self.event(Data(mutated.utf8)) == nil, "\(to)")
        }
        // A field the action does not use is read as the decoder reads it (the receiver's bounds
        // check then finds the body not in its stored form).
        let comment = String(decoding: try CanonicalJSON.encoder.encode(Self.event(.act(.comment(text: "t")))), as: UTF8.self)
        let extra = Data(comment.replacingOccurrences(of: #""text":"t""#, with: #""text":"t","to":"x""#).utf8)
        #expect(Self.event(extra) == (try CanonicalJSON.decoder.decode(CaseEvent.self, from: extra)))
    }

    /// Written events changed a byte at a time at random (a structural byte put in, taken out or
    /// written over): whatever the reader takes, the decoder reads to the same event.
    @Test func whateverTheReaderTakesTheDecoderReadsTheSame() throws {
        var random = SeededRandom(seed: 19)
        let significant = Array(#"{}[]:,"\-0123456789.etrufnl u"#.utf8)
        let samples = try Self.writtenEvents.map { Array(try CanonicalJSON.encoder.encode($0)) }
        var taken = 0
        var left = 0
        for round in 0..<4_000 {
            var bytes = samples[round % samples.count]
            let at = Int.random(in: 0..<bytes.count, using: &random)
            switch round % 3 {
            case 0: bytes[at] = significant.randomElement(using: &random)!
            case 1: bytes.remove(at: at)
            default: bytes.insert(significant.randomElement(using: &random)!, at: at)
            }
            guard let read = Self.event(Data(bytes)) else {
                left += 1
                continue
            }
            taken += 1
            let decoded = try? CanonicalJSON.decoder.decode(CaseEvent.self, from: Data(bytes))
            #expect(read == decoded, "\(String(decoding: bytes, as: UTF8.self))")
        }
        // Both ways were taken: changes inside strings and numbers still read; most others not.
        #expect(taken > 100)
        #expect(left > 1_000)
    }
}
