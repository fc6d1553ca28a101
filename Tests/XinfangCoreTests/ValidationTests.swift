import Foundation
import Testing
import XinfangCore
import XinfangTesting

/// What registration input must be refused, field by field, and what is canonicalised.
struct ValidationTests {
    static let now = Fixtures.instant("2026-11-24T10:00:00+08:00")

    @Test(arguments: [
        ("430102198503159916", true),
        ("11010519491231002X", true),
        ("11010519491231002x", true),
        ("430102198503159915", false),  // wrong check digit
        ("430102199902309916", false),  // 1999-02-30 does not exist
        ("990102198503159916", false),  // no province 99
        ("43010219850315991", false),  // 17 characters
        ("4301021985031599AB", false),
    ])
    func mainlandIDNumbers(number: String, valid: Bool) {
        let result = Result { () throws(ValidationFailure) in try MainlandIDNumber.validated(number, field: "id") }
        switch result {
        case .success(let canonical):
            #expect(valid, "\(number) must be refused")
            #expect(canonical == number.uppercased())
        case .failure(let failure):
            #expect(!valid, "\(number) must be accepted: \(failure)")
            #expect(failure.code == "invalid-id-number" && failure.field == "id")
        }
    }

    @Test(arguments: [
        ("430102", "430102"), ("430102000000", "430102"), ("430102001000", "430102001000"), ("430000", "430000"),
    ])
    func regionCodesNormalise(raw: String, canonical: String) throws {
        #expect(try RegionCode.validated(raw, field: "r").rawValue == canonical)
    }

    @Test(arguments: ["43010", "4301020", "99010200", "990102", "43A102", "", "４３０１０２"])
    func malformedRegionCodesAreRefused(raw: String) {
        #expect(throws: ValidationFailure.self) { try RegionCode.validated(raw, field: "issueRegion") }
    }

    @Test func regionContainment() throws {
        let furong = try RegionCode.validated("430102", field: "r")
        #expect(furong.isWithin(try RegionCode.validated("430100", field: "r")))
        #expect(furong.isWithin(try RegionCode.validated("430000", field: "r")))
        #expect(!furong.isWithin(try RegionCode.validated("431200", field: "r")))
        #expect(!furong.isWithin(try RegionCode.validated("430104", field: "r")))
    }

    /// A registration with one field broken, and the field and code the refusal must name.
    @Test(arguments: [
        ("no petitioners", "petitioners", "missing-field"),
        ("bad id", "petitioners.0.idNumber", "invalid-id-number"),
        ("bad mobile", "petitioners.0.mobile", "invalid-mobile"),
        ("blank name", "petitioners.0.name", "missing-field"),
        ("unknown category", "category", "unknown-category"),
        ("bad region", "issueRegion", "invalid-region-code"),
        ("blank summary", "summary", "missing-field"),
        ("long text", "text", "field-too-long"),
        ("future receipt", "receivedAt", "invalid-field"),
        ("ancient receipt", "receivedAt", "invalid-field"),
        ("joint visit", "jointLetter", "invalid-field"),
        ("collective letter", "collective", "invalid-field"),
        ("six representatives", "petitioners", "too-many-representatives"),
        ("bad linked case", "linkedCases.0", "invalid-case-number"),
    ])
    func badRegistrationsNameTheField(label: String, field: String, code: String) {
        var r = Fixtures.registration(receivedAt: Self.now)
        switch label {
        case "no petitioners": r.petitioners = []
        case "bad id": r.petitioners[0].idNumber = "430102198503159915"
        case "bad mobile": r.petitioners[0].mobile = "12345"
        case "blank name": r.petitioners[0].name = "  "
        case "unknown category": r.category = ContentCategory("劳动和社会保障", "劳动关系", "不存在的分类")
        case "bad region": r.issueRegion = RegionCode(rawValue: "12345")
        case "blank summary": r.summary = "\n"
        case "long text": r.text = String(repeating: "字", count: RegistrationLimits.textLengthMax + 1)
        case "future receipt": r.receivedAt = Self.now.addingTimeInterval(3600)
        case "ancient receipt": r.receivedAt = Self.now.addingTimeInterval(-400 * 86_400)
        case "joint visit": r.jointLetter = true
        case "collective letter":
            r.channel = .letter
            r.collective = CollectiveVisit(batches: 1, personVisits: 10)
        case "six representatives":
            r.collective = CollectiveVisit(batches: 1, personVisits: 30)
            r.petitioners = (0..<6).map { Fixtures.petitioner(name: "代表\($0)") }
        case "bad linked case": r.linkedCases = [CaseNumber(rawValue: "nope")]
        default: Issue.record("unknown row \(label)")
        }
        #expect(throws: ValidationFailure.self) { try r.validated(now: Self.now) }
        do {
            _ = try r.validated(now: Self.now)
        } catch {
            #expect(error.field == field, "\(label)")
            #expect(error.code == code, "\(label)")
        }
    }

    @Test func validRegistrationIsCanonicalised() throws {
        var r = Fixtures.registration(receivedAt: Self.now)
        r.summary = "  反映拖欠工资\n"
        r.petitioners[0].idNumber = "11010519491231002x"
        r.issueRegion = RegionCode(rawValue: "430102000000")
        let valid = try r.validated(now: Self.now)
        #expect(valid.summary == "反映拖欠工资")
        #expect(valid.petitioners[0].idNumber == "11010519491231002X")
        #expect(valid.issueRegion.rawValue == "430102")
    }

    /// Which characters a text may hold (issue 15): line breaks and tabs, not the other controls.
    @Test(
        arguments: [
            ("第一行\n第二行", nil), ("甲\r\n乙", nil), ("列一\t列二", nil), ("普通文字 ABC 123，。", nil),
            ("a\u{0}b", "0"), ("a\u{7}b", "7"), ("a\u{1B}[31mb", "1B"), ("a\u{7F}b", "7F"), ("a\u{85}b", "85"),
            ("金额\u{202E}0001", "202E"), ("a\u{2066}b", "2066"),
        ] as [(String, String?)]
    )
    func textRefusesControlCharactersButLineBreaks(_ text: String, _ refused: String?) {
        #expect(TextRule.firstRefused(in: text).map { String($0.value, radix: 16, uppercase: true) } == refused)
        let comment = CaseEventBody.act(.comment(text: text))
        #expect(comment.boundsFailure?.code == (refused == nil ? nil : "control-character"), "a received event is held to the same rule")
        var code: String?
        do { _ = try ValidationFailure.requiredText(text, field: "text", max: 100) } catch { code = error.code }
        #expect(code == (refused == nil ? nil : "control-character"))
    }

    @Test func actionParametersAreValidatedByName() {
        func failure(_ fields: ActionFields) -> ValidationFailure? {
            do {
                _ = try CaseAction(fields: fields)
                return nil
            } catch { return error }
        }
        var f = ActionFields(action: "extend")
        f.days = 31
        f.approver = "局长"
        f.reason = "复杂"
        #expect(failure(f)?.field == "days")
        f.days = 30
        #expect(failure(f) == nil)
        f.approver = nil
        #expect(failure(f)?.code == "missing-field")
        #expect(failure(ActionFields(action: "fly"))?.code == "unknown-action")
        #expect(failure(ActionFields(action: nil))?.field == "action")
        #expect(failure(ActionFields(action: "takeOver"))?.field == "by")
        var resolve = ActionFields(action: "resolveConflict")
        resolve.branch = "ABC"
        resolve.decision = "adopt"
        resolve.reason = "采纳"
        #expect(failure(resolve)?.field == "branch", "a branch is named by a lower-case SHA-256")
        resolve.branch = String(repeating: "a", count: 64)
        #expect(failure(resolve) == nil)
        resolve.decision = "ignore"
        #expect(failure(resolve)?.field == "decision")
        #expect(failure(ActionFields(action: "escalate"))?.field == "to")
        var offer = ActionFields(action: "offer")
        offer.to = "430104"
        offer.mode = "assign"
        #expect(failure(offer)?.field == "dueAt", "a 交办 needs its due date")
        var reply = ActionFields(action: "reply")
        reply.outcome = "maybe"
        reply.opinion = "o"
        #expect(failure(reply)?.field == "outcome")
    }

    @Test func actionsRoundTripThroughTheirFlatForm() throws {
        for action in LifecycleTransitionTests.samples + [.offer(to: Fixtures.city, mode: .assign, dueAt: Self.now, note: "限期办结")] {
            #expect(try CaseAction(fields: action.fields) == action)
        }
    }

    @Test func caseNumbersAreMintedPerNodeAndParsed() throws {
        let n = CaseNumber.mint(node: Fixtures.county, date: Fixtures.day("2026-11-24"), sequence: 17)
        #expect(n.rawValue == "430102-20261124-00017")
        #expect(n.registeringNode == Fixtures.county)
        #expect(try CaseNumber.validated(n.rawValue, field: "n") == n)
        #expect(throws: ValidationFailure.self) { try CaseNumber.validated("430102-2026-1", field: "n") }
        #expect(CaseNumber.mint(node: Fixtures.city, date: Fixtures.day("2026-11-24"), sequence: 17) != n)
    }
}
