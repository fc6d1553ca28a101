import Foundation
import XinfangCore

/// The body of `POST /api/v1/cases`: every field optional on the wire, so that a missing one is
/// refused by name rather than by a decoding error.
struct RegistrationInput: Decodable {
    struct PetitionerInput: Decodable {
        var name: String?
        var idType: String?
        var idNumber: String?
        var mobile: String?
        var address: String?
        var isLead: Bool?

        init() {}

        init(name: String?, idNumber: String?, mobile: String?, isLead: Bool) {
            self.name = name
            self.idNumber = idNumber
            self.mobile = mobile
            self.isLead = isLead
        }
    }

    struct CategoryInput: Decodable {
        var level1: String?
        var level2: String?
        var level3: String?

        init() {}

        init(level1: String, level2: String, level3: String) {
            self.level1 = level1
            self.level2 = level2
            self.level3 = level3
        }
    }

    var channel: String?
    var jointLetter: Bool?
    var collective: CollectiveVisit?
    var petitioners: [PetitionerInput]?
    var personsInvolved: Int?
    var purpose: String?
    var category: CategoryInput?
    var issueRegion: String?
    var summary: String?
    var text: String?
    var respondent: String?
    var respondentNode: String?
    var receivedAt: Date?
    var registeredBy: String?
    var urgent: Bool?
    var lawRelated: Bool?
    var confidential: Bool?
    var linkedCases: [String]?

    init() {}

    /// The registration this input describes; validation of values happens in `CaseRegistration.validated`.
    func registration(now: Date) throws(ValidationFailure) -> CaseRegistration {
        guard let petitioners, !petitioners.isEmpty else { throw .missing("petitioners") }
        let people = try petitioners.enumerated().map { i, p throws(ValidationFailure) in
            Petitioner(
                name: p.name ?? "",
                idType: try p.idType.map { raw throws(ValidationFailure) in try CaseAction.enumValue(raw, field: "petitioners.\(i).idType") },
                idNumber: p.idNumber,
                mobile: p.mobile,
                address: p.address,
                isLead: p.isLead ?? false
            )
        }
        guard let category else { throw .missing("category") }
        guard let l1 = category.level1, !l1.isEmpty else { throw .missing("category.level1") }
        guard let l2 = category.level2, !l2.isEmpty else { throw .missing("category.level2") }
        guard let l3 = category.level3, !l3.isEmpty else { throw .missing("category.level3") }
        guard let issueRegion, !issueRegion.isEmpty else { throw .missing("issueRegion") }
        var registration = CaseRegistration(
            channel: try CaseAction.enumValue(channel, field: "channel"),
            jointLetter: jointLetter ?? false,
            collective: collective,
            petitioners: people,
            personsInvolved: personsInvolved,
            purpose: try CaseAction.enumValue(purpose, field: "purpose"),
            category: ContentCategory(l1, l2, l3),
            issueRegion: RegionCode(rawValue: issueRegion),
            summary: summary ?? "",
            text: text ?? "",
            respondent: respondent,
            receivedAt: receivedAt ?? now,
            registeredBy: registeredBy ?? "",
            urgent: urgent ?? false,
            lawRelated: lawRelated ?? false,
            linkedCases: (linkedCases ?? []).map(CaseNumber.init(rawValue:))
        )
        registration.confidential = confidential == true ? true : nil
        registration.respondentNode = try respondentNode.map { raw throws(ValidationFailure) in try NodeID.validated(raw, field: "respondentNode") }
        return registration
    }
}

extension RegistrationInput: StrictInput {
    static let knownKeys: Set<String> = keys(of: RegistrationInput())
        .union(keys(of: PetitionerInput(), prefix: "petitioners"))
        .union(keys(of: CategoryInput(), prefix: "category"))
        .union(["collective.batches", "collective.personVisits"])
}
