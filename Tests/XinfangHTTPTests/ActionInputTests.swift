import Foundation
import Testing
import XinfangCore

@testable import XinfangHTTP

/// The API's action request is its own type (issue 14): its fields are read one by one into the
/// event's `ActionFields`, so the API can change without touching what the chain hashes.
struct ActionInputTests {
    static let everyField = """
        {"action":"offer","to":"430100","by":"430000","reviewer":"430100","mode":"assign","dueAt":"2026-12-31","note":"说明",
        "reason":"理由","channel":"litigation","earlierCase":"430102-20261102-00001","newCase":"430102-20261102-00002","days":3,
        "approver":"局长","outcome":"supported","opinion":"意见","report":"报告","officeRating":"satisfied","unitRating":"dissatisfied",
        "comment":"评价","text":"内容","branch":"ab","decision":"adopt","routing":"说明路由","deliveredOn":"2026-12-01",
        "method":"inPerson","signed":true,"hearingFrom":"2026-12-02","hearingTo":"2026-12-03","actor":"某人",
        "sha256":"abab","size":10,"mediaType":"application/pdf","fileName":"来信.pdf","stage":"registration","noticeKind":"acceptance","docNumber":"芙人社信〔2026〕1号","occasion":"acceptance@1",
        "via":"phone","lookupDigest":"cdcd","lookupSealed":{"alg":"A256GCM","kid":"k1","box":"AAAA"},"returnReason":"notOurs"}
        """

    @Test func everyAPIFieldLandsInTheEventFieldOfItsName() throws {
        let data = Data(Self.everyField.utf8)
        let input = try APIJSON.decoder.decode(ActionInput.self, from: data)
        let fields = try APIJSON.decoder.decode(ActionFields.self, from: data)
        let unset = Mirror(reflecting: fields).children.filter { "\($0.value)" == "nil" }.compactMap(\.label)
        #expect(unset.isEmpty, "the fixture leaves \(unset) unset")
        #expect(input.fields == fields)
        #expect(input.actor == "某人")
    }

    @Test func theAPIKnowsEveryEventFieldAndNoOther() {
        let eventFields = Set(Mirror(reflecting: ActionFields()).children.compactMap(\.label))
        #expect(ActionInput.knownKeys.subtracting(["actor"]) == eventFields)
    }

    @Test func aFieldOfTheWrongTypeIsRefusedByName() {
        #expect(throws: DecodingError.self) { try APIJSON.decoder.decode(ActionInput.self, from: Data(#"{"action":"extend","days":"thirty"}"#.utf8)) }
    }
}
