import Foundation
import Testing
import XinfangTesting

@testable import XinfangCore

/// A registration written by hand (`CaseRegistration.writeCanonical`, the register event's body)
/// must be the encoder's bytes: the event's hash covers them, and every node computes it.
struct RegistrationJSONTests {
    static let now = Fixtures.instant("2026-11-02T09:00:00+08:00")

    static func byEncoder(_ value: some Encodable) throws -> String {
        String(decoding: try CanonicalJSON.encoder.encode(value), as: UTF8.self)
    }

    /// Every optional field of the registration and of the values in it set, every array filled,
    /// strings that the encoder escapes and writes as UTF-8.
    static var everyField: CaseRegistration {
        // Whole milliseconds, as the decoder makes them, so the registration decodes equal.
        func at(_ offsetMs: Int64) -> Date { Date(timeIntervalSince1970: Double(CanonicalJSON.milliseconds(now) + offsetMs) / 1_000) }
        var registration = Fixtures.registration(receivedAt: at(400))
        registration.jointLetter = true
        registration.collective = CollectiveVisit(batches: 2, personVisits: 31)
        registration.personsInvolved = 40
        registration.respondent = "长沙\"某\"公司\\分部\n\t/路"
        registration.respondentNode = NodeID("430104")
        registration.urgent = true
        registration.lawRelated = true
        registration.linkedCases = [CaseNumber(rawValue: "430102-20261101-00001"), CaseNumber(rawValue: "430102-20261101-00002")]
        registration.intake = IntakeFinding(
            kind: .skipLevel,
            earlierCase: CaseNumber(rawValue: "430102-20261101-00003"),
            earlierHolder: NodeID("430102")
        )
        registration.confidential = true
        registration.lookup = LookupSeal(digest: String(repeating: "0a", count: 32), sealed: SealedValue(alg: "A256GCM", kid: "k1", box: "Ym94"))
        registration.source = IntakeSource(system: "12345", externalId: "GD-2026-0001", submittedAt: at(-60_700))
        var sealed = Petitioner(name: "李\u{1}娜", idType: .passport, idNumber: "E1234567", mobile: "13800000000", address: "长沙市\r芙蓉区", isLead: false)
        sealed.sealed = SealedValue(alg: "A256GCM", kid: "k1", box: "c2VhbGVk")
        sealed.masked = MaskedContact(idNumber: "E12****67", mobile: "138****0000", address: "长沙市***")
        sealed.matchKeys = ["m1", "m2"]
        registration.petitioners.append(sealed)
        return registration
    }

    @Test func aRegistrationWithEveryFieldIsWrittenAsTheEncoderWritesIt() throws {
        let registration = Self.everyField
        let body = registration.bodyJSON()
        #expect(body == (try Self.byEncoder(CaseEventBody.register(registration))))
        #expect(try CanonicalJSON.decoder.decode(CaseEventBody.self, from: Data(body.utf8)) == .register(registration))
        // Each stored property is written (their synthesized keys are their names; the encoder
        // leaves out only nil optionals, and every one is set here).
        func properties(_ value: Any) -> Set<String> { Set(Mirror(reflecting: value).children.compactMap(\.label)) }
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        let written = try #require(object["registration"] as? [String: Any])
        #expect(Set(written.keys) == properties(registration))
        let petitioner = try #require((written["petitioners"] as? [[String: Any]])?.last)
        #expect(Set(petitioner.keys) == properties(registration.petitioners[1]))
    }

    /// The optional fields unset one at a time and all at once; no petitioner, an empty array.
    @Test func aRegistrationWithoutOptionalFieldsIsWrittenAsTheEncoderWritesIt() throws {
        let full = Self.everyField
        var variants: [CaseRegistration] = [Fixtures.registration(receivedAt: Self.now)]
        let unset: [(inout CaseRegistration) -> Void] = [
            { $0.collective = nil }, { $0.personsInvolved = nil }, { $0.respondent = nil }, { $0.respondentNode = nil },
            { $0.intake = nil }, { $0.confidential = nil }, { $0.confidential = false }, { $0.lookup = nil }, { $0.source = nil },
            { $0.source?.submittedAt = nil }, { $0.linkedCases = [] }, { $0.petitioners = [] },
            { $0.petitioners[1].masked = MaskedContact(idNumber: nil, mobile: nil, address: nil) }, { $0.petitioners[1].matchKeys = [] },
            { $0.petitioners[1].sealed = nil }, { $0.petitioners[1].idType = nil }, { $0.jointLetter = false },
        ]
        for change in unset {
            var variant = full
            change(&variant)
            variants.append(variant)
        }
        var bare = full
        for change in unset where !(bare.petitioners.count < 2) { change(&bare) }
        variants.append(bare)
        for registration in variants {
            #expect(registration.bodyJSON() == (try Self.byEncoder(CaseEventBody.register(registration))))
        }
    }

    /// The event's hash is the same whichever writes the body: a chain a node hashed before
    /// verifies.
    @Test func theHashOfARegisterEventIsTheEncodersHash() throws {
        let event = CaseEvent(
            caseNumber: CaseNumber(rawValue: "430102-20261102-00001"),
            epoch: 0,
            seq: 1,
            prevHash: nil,
            origin: NodeID("430102"),
            time: HLCTimestamp(wallMs: 1_793_000_000_000, logical: 0),
            actor: "李娜",
            body: .register(Self.everyField)
        )
        let hashed = event.canonicalBytesByEncoder()
        #expect(event.canonicalBytes() == hashed)
        #expect(event.hash == hashed.sha256Hex)
    }
}
