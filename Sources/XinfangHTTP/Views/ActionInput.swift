import Foundation
import XinfangCore

/// The body of `POST /api/v1/cases/{caseNumber}/actions` (and of the dashboard's action forms):
/// the API's own field names, read one by one into `ActionFields`, the flat form the chain hashes.
/// The two are separate on purpose: renaming or adding an API field is a change here only, and the
/// event's keys stay as the golden chain test pins them (`GoldenChainTests`).
struct ActionInput: Decodable {
    var fields: ActionFields
    /// The body's word for who acts; ignored (the person acting is who is signed in).
    var actor: String?

    enum Key: String, CodingKey, CaseIterable {
        case action, to, by, reviewer, mode, dueAt, note, reason, channel, earlierCase, newCase, days, approver, outcome, opinion, report
        case officeRating, unitRating, comment, text, branch, decision, routing, deliveredOn, method, signed, hearingFrom, hearingTo, actor
        case sha256, size, mediaType, fileName, stage, noticeKind, docNumber, occasion, via, lookupDigest, lookupSealed, returnReason
    }

    init(fields: ActionFields, actor: String? = nil) {
        self.fields = fields
        self.actor = actor
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        func text(_ key: Key) throws -> String? { try c.decodeIfPresent(String.self, forKey: key) }
        func day(_ key: Key) throws -> CivilDate? { try c.decodeIfPresent(CivilDate.self, forKey: key) }
        var f = ActionFields()
        f.action = try text(.action)
        f.to = try text(.to)
        f.by = try text(.by)
        f.reviewer = try text(.reviewer)
        f.mode = try text(.mode)
        f.dueAt = try c.decodeIfPresent(Date.self, forKey: .dueAt)
        f.note = try text(.note)
        f.reason = try text(.reason)
        f.channel = try text(.channel)
        f.earlierCase = try text(.earlierCase)
        f.newCase = try text(.newCase)
        f.days = try c.decodeIfPresent(Int.self, forKey: .days)
        f.approver = try text(.approver)
        f.outcome = try text(.outcome)
        f.opinion = try text(.opinion)
        f.report = try text(.report)
        f.officeRating = try text(.officeRating)
        f.unitRating = try text(.unitRating)
        f.comment = try text(.comment)
        f.text = try text(.text)
        f.branch = try text(.branch)
        f.decision = try text(.decision)
        f.routing = try text(.routing)
        f.deliveredOn = try day(.deliveredOn)
        f.method = try text(.method)
        f.signed = try c.decodeIfPresent(Bool.self, forKey: .signed)
        f.hearingFrom = try day(.hearingFrom)
        f.hearingTo = try day(.hearingTo)
        f.sha256 = try text(.sha256)
        f.size = try c.decodeIfPresent(Int.self, forKey: .size)
        f.mediaType = try text(.mediaType)
        f.fileName = try text(.fileName)
        f.stage = try text(.stage)
        f.noticeKind = try text(.noticeKind)
        f.docNumber = try text(.docNumber)
        f.occasion = try text(.occasion)
        f.via = try text(.via)
        f.lookupDigest = try text(.lookupDigest)
        f.lookupSealed = try c.decodeIfPresent(SealedValue.self, forKey: .lookupSealed)
        f.returnReason = try text(.returnReason)
        fields = f
        actor = try text(.actor)
    }
}

extension ActionInput: StrictInput {
    static let knownKeys = Set(Key.allCases.map(\.rawValue))
}
