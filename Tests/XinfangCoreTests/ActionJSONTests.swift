import Foundation
import Testing
import XinfangTesting

@testable import XinfangCore

/// An action's fields written by hand (`ActionFields.writeCanonical`, an action event's body) must
/// be the encoder's bytes, as a registration's are (`RegistrationJSONTests`), and its decoding
/// from the keys present must give what the keys say: the event's hash covers the body, and every
/// node computes it.
struct ActionJSONTests {
    static func byEncoder(_ value: some Encodable) throws -> String {
        String(decoding: try CanonicalJSON.encoder.encode(value), as: UTF8.self)
    }

    /// Every field set, with strings the encoder escapes and writes as UTF-8.
    static var everyField: ActionFields {
        let at = Date(timeIntervalSince1970: 1_793_000_000.123)
        var f = ActionFields(action: "offer")
        f.to = "430102"
        f.by = "430100"
        f.reviewer = "430000"
        f.mode = "transfer"
        f.dueAt = at
        f.note = "说明\"引号\"\\反斜杠/斜杠\n换行\t制表\u{1}"
        f.reason = "理由"
        f.channel = "letter"
        f.earlierCase = "430102-20261101-00001"
        f.newCase = "430102-20261101-00002"
        f.days = 30
        f.approver = "王局长"
        f.outcome = "upheld"
        f.opinion = "处理意见：\r\n一、……"
        f.report = "办结报告"
        f.officeRating = "satisfied"
        f.unitRating = "dissatisfied"
        f.comment = "评价"
        f.text = "正文 😀"
        f.branch = String(repeating: "ab", count: 32)
        f.decision = "adopt"
        f.routing = "依规则改由上级办理"
        f.deliveredOn = CivilDate(year: 2026, month: 11, day: 3)
        f.method = "direct"
        f.signed = false
        f.hearingFrom = CivilDate(year: 2026, month: 11, day: 4)
        f.hearingTo = CivilDate(year: 2026, month: 11, day: 5)
        f.sha256 = String(repeating: "0f", count: 32)
        f.size = 1_048_577
        f.mediaType = "application/pdf"
        f.fileName = "材料 (1).pdf"
        f.stage = "handling"
        f.noticeKind = "acceptance"
        f.docNumber = "湘人社信〔2026〕1号"
        f.occasion = "accept"
        f.via = "sms"
        f.lookupDigest = String(repeating: "1e", count: 32)
        f.lookupSealed = SealedValue(alg: "A256GCM-SIV", kid: "k1", box: "Ym94")
        f.returnReason = "不属于本系统受理范围"
        return f
    }

    /// The properties written: each stored property is a key of the derived encoding.
    static func properties(_ value: Any) -> Set<String> { Set(Mirror(reflecting: value).children.compactMap(\.label)) }

    @Test func anActionWithEveryFieldIsWrittenAsTheEncoderWritesIt() throws {
        let fields = Self.everyField
        let body = fields.bodyJSON()
        #expect(body == (try Self.byEncoder(fields)))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        #expect(Set(object.keys) == Self.properties(fields), "every field is set and written")
        #expect(try CanonicalJSON.decoder.decode(ActionFields.self, from: Data(body.utf8)) == fields)
    }

    /// Each field unset in turn (its key taken out of the encoder's JSON and the rest read back),
    /// and none but the action's name: the bytes stay the encoder's.
    @Test func anActionWithoutEachFieldIsWrittenAndReadAsTheEncoderDoes() throws {
        let full = try #require(try JSONSerialization.jsonObject(with: Data(try Self.byEncoder(Self.everyField).utf8)) as? [String: Any])
        for key in full.keys.sorted() {
            let json = try JSONSerialization.data(withJSONObject: full.filter { $0.key != key })
            let variant = try CanonicalJSON.decoder.decode(ActionFields.self, from: json)
            let body = variant.bodyJSON()
            #expect(body == (try Self.byEncoder(variant)), "without \(key)")
            let written = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
            #expect(Set(written.keys) == Set(full.keys).subtracting([key]), "without \(key)")
        }
        #expect(ActionFields().bodyJSON() == "{}")
        #expect(ActionFields(action: "accept").bodyJSON() == #"{"action":"accept"}"#)
    }

    /// Reading from the keys present: a key it does not know is ignored and a null is nil, as
    /// the derived decoder did; a value of the wrong type, or a date that is not one, is refused.
    @Test func readingTakesTheKeysPresentAndRefusesWrongTypes() throws {
        let json = #"{"action":"extend","days":15,"note":null,"unknown":{"x":[1,2]},"reason":"案情复杂","signed":true}"#
        var expected = ActionFields(action: "extend")
        expected.days = 15
        expected.reason = "案情复杂"
        expected.signed = true
        #expect(try CanonicalJSON.decoder.decode(ActionFields.self, from: Data(json.utf8)) == expected)
        for wrong in [
            #"{"action":7}"#, #"{"action":"extend","days":"15"}"#, #"{"action":"deliver","signed":"yes"}"#,
            #"{"action":"deliver","deliveredOn":"2026-13-01"}"#, #"{"action":"assign","dueAt":"tomorrow"}"#,
            #"{"action":"reissueLookupCode","lookupSealed":"box"}"#, #"["action"]"#,
        ] {
            #expect(throws: DecodingError.self, "\(wrong)") { try CanonicalJSON.decoder.decode(ActionFields.self, from: Data(wrong.utf8)) }
        }
    }

    /// An action event's hash is the same whichever writes the body: a chain hashed before verifies.
    @Test(arguments: LifecycleTransitionTests.samples)
    func theHashOfAnActionEventIsTheEncodersHash(_ action: CaseAction) throws {
        let event = CaseEvent(
            caseNumber: CaseNumber(rawValue: "430102-20261102-00001"),
            epoch: 0,
            seq: 2,
            prevHash: String(repeating: "0", count: 64),
            origin: NodeID("430102"),
            time: HLCTimestamp(wallMs: 1_793_000_000_000, logical: 1),
            actor: "李娜",
            body: .act(action)
        )
        let hashed = event.canonicalBytesByEncoder()
        #expect(event.canonicalBytes() == hashed)
        #expect(event.hash == hashed.sha256Hex)
        #expect(event.encoded().body == (try Self.byEncoder(event.body)))
    }
}
