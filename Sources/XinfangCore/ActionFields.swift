public import Foundation

/// The limits on action parameters.
public enum ActionLimits {
    public static let reasonLengthMax = 2_000
    public static let opinionLengthMax = 20_000
    public static let noteLengthMax = 2_000
    public static let approverLengthMax = 50
    public static let actorLengthMax = 50
    /// 条例 Art. 34: an extension of at most 30 days.
    public static let extensionDaysMax = 30
    /// The longest hearing recorded in one stage, in calendar days.
    public static let hearingDaysMax = 30
    /// How far ahead an organ may set a due date (交办, 督办).
    public static let dueDaysAheadMax = 366
    /// The years a date in an action may lie in (anything else is a typo or an attack on the encoder).
    public static let yearRange = 2000...2100
    /// The explanation a node adds when the policy passes over an organ.
    public static let routingLengthMax = 500
}

extension ActionFields {
    func reasonText() throws(ValidationFailure) -> String { try Check.text(reason, field: "reason", max: ActionLimits.reasonLengthMax) }
    func noteText() throws(ValidationFailure) -> String? { try Check.optionalText(note, field: "note", max: ActionLimits.noteLengthMax) }
    static func node(_ raw: String?, field: String) throws(ValidationFailure) -> NodeID {
        try NodeID.validated(Check.text(raw, field: field, max: 6), field: field)
    }
}

/// The flat wire form of an action: every parameter optional, so that a missing or malformed one is
/// reported by name. Used both for API input and for the stored chain.
public struct ActionFields: Codable, Equatable, Sendable {
    public var action: String?
    public var to: String?
    public var by: String?
    public var reviewer: String?
    public var mode: String?
    public var dueAt: Date?
    public var note: String?
    public var reason: String?
    public var channel: String?
    public var earlierCase: String?
    public var newCase: String?
    public var days: Int?
    public var approver: String?
    public var outcome: String?
    public var opinion: String?
    public var report: String?
    public var officeRating: String?
    public var unitRating: String?
    public var comment: String?
    public var text: String?
    public var branch: String?
    public var decision: String?
    public var routing: String?
    /// 送达 (`deliver`): the day, the method and whether the petitioner signed for it.
    public var deliveredOn: CivilDate?
    public var method: String?
    public var signed: Bool?
    /// 听证 (`hearing`): its first and last day.
    public var hearingFrom: CivilDate?
    public var hearingTo: CivilDate?
    /// 添加材料 (`attach`) and 撤回材料 (`withdrawAttachment`): the file by its hash, its size,
    /// sniffed type, name and stage.
    public var sha256: String?
    public var size: Int?
    public var mediaType: String?
    public var fileName: String?
    public var stage: String?
    /// 出具文书 (`issueNotice`) and 送达文书 (`serveNotice`): the kind, 文号 and occasion.
    public var noticeKind: String?
    public var docNumber: String?
    public var occasion: String?
    /// 满意度评价 (`evaluate`): how the ratings reached the organ.
    public var via: String?
    /// 重发查询码 (`reissueLookupCode`): the new code's digest and its sealed form (node-made).
    public var lookupDigest: String?
    public var lookupSealed: SealedValue?
    /// 退单 (`returnToSender`): why the petition goes back to the system that sent it.
    public var returnReason: String?

    public init(action: String? = nil) { self.action = action }

    /// Every field's key: the derived encoding, the reading below (its switch is exhaustive) and
    /// the writer follow it. A field added without its key here would be neither hashed nor
    /// kept; `ActionJSONTests` fails until it is here, read and written (it compares the keys
    /// written with every stored property).
    enum CodingKeys: String, CodingKey {
        case action, to, by, reviewer, mode, dueAt, note, reason, channel, earlierCase, newCase, days, approver, outcome, opinion
        case report, officeRating, unitRating, comment, text, branch, decision, routing, deliveredOn, method, signed, hearingFrom
        case hearingTo, sha256, size, mediaType, fileName, stage, noticeKind, docNumber, occasion, via, lookupDigest, lookupSealed
        case returnReason
    }
}

/// An action's fields read from the keys present, not by asking for each of the forty: an event
/// carries three or four of them, and every key asked for was a lookup in the decoder's table
/// (most of a received action's decoding, docs/BENCHMARKS.md). The same values as the derived
/// decoder: a key not named here is ignored, a null is nil, a value of the wrong type refused.
extension ActionFields {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        for key in c.allKeys {
            switch key {
            case .action: action = try c.decodeIfPresent(String.self, forKey: key)
            case .to: to = try c.decodeIfPresent(String.self, forKey: key)
            case .by: by = try c.decodeIfPresent(String.self, forKey: key)
            case .reviewer: reviewer = try c.decodeIfPresent(String.self, forKey: key)
            case .mode: mode = try c.decodeIfPresent(String.self, forKey: key)
            case .dueAt: dueAt = try c.decodeIfPresent(Date.self, forKey: key)
            case .note: note = try c.decodeIfPresent(String.self, forKey: key)
            case .reason: reason = try c.decodeIfPresent(String.self, forKey: key)
            case .channel: channel = try c.decodeIfPresent(String.self, forKey: key)
            case .earlierCase: earlierCase = try c.decodeIfPresent(String.self, forKey: key)
            case .newCase: newCase = try c.decodeIfPresent(String.self, forKey: key)
            case .days: days = try c.decodeIfPresent(Int.self, forKey: key)
            case .approver: approver = try c.decodeIfPresent(String.self, forKey: key)
            case .outcome: outcome = try c.decodeIfPresent(String.self, forKey: key)
            case .opinion: opinion = try c.decodeIfPresent(String.self, forKey: key)
            case .report: report = try c.decodeIfPresent(String.self, forKey: key)
            case .officeRating: officeRating = try c.decodeIfPresent(String.self, forKey: key)
            case .unitRating: unitRating = try c.decodeIfPresent(String.self, forKey: key)
            case .comment: comment = try c.decodeIfPresent(String.self, forKey: key)
            case .text: text = try c.decodeIfPresent(String.self, forKey: key)
            case .branch: branch = try c.decodeIfPresent(String.self, forKey: key)
            case .decision: decision = try c.decodeIfPresent(String.self, forKey: key)
            case .routing: routing = try c.decodeIfPresent(String.self, forKey: key)
            case .deliveredOn: deliveredOn = try c.decodeIfPresent(CivilDate.self, forKey: key)
            case .method: method = try c.decodeIfPresent(String.self, forKey: key)
            case .signed: signed = try c.decodeIfPresent(Bool.self, forKey: key)
            case .hearingFrom: hearingFrom = try c.decodeIfPresent(CivilDate.self, forKey: key)
            case .hearingTo: hearingTo = try c.decodeIfPresent(CivilDate.self, forKey: key)
            case .sha256: sha256 = try c.decodeIfPresent(String.self, forKey: key)
            case .size: size = try c.decodeIfPresent(Int.self, forKey: key)
            case .mediaType: mediaType = try c.decodeIfPresent(String.self, forKey: key)
            case .fileName: fileName = try c.decodeIfPresent(String.self, forKey: key)
            case .stage: stage = try c.decodeIfPresent(String.self, forKey: key)
            case .noticeKind: noticeKind = try c.decodeIfPresent(String.self, forKey: key)
            case .docNumber: docNumber = try c.decodeIfPresent(String.self, forKey: key)
            case .occasion: occasion = try c.decodeIfPresent(String.self, forKey: key)
            case .via: via = try c.decodeIfPresent(String.self, forKey: key)
            case .lookupDigest: lookupDigest = try c.decodeIfPresent(String.self, forKey: key)
            case .lookupSealed: lookupSealed = try c.decodeIfPresent(SealedValue.self, forKey: key)
            case .returnReason: returnReason = try c.decodeIfPresent(String.self, forKey: key)
            }
        }
    }
}

/// An action's canonical JSON written by hand, as `CaseRegistration`'s is: every event's hash
/// check encodes its body, and most events are actions. The keys in the encoder's sorted order
/// (`ActionJSONTests` holds the bytes to the encoder's over every field, set and unset; debug
/// builds assert the equality at every encoding).
extension ActionFields: CanonicalJSONWritable {
    public func writeCanonical(into out: inout CanonicalJSONWriter) {
        out.openObject()
        out.string("action", action)
        out.string("approver", approver)
        out.string("branch", branch)
        out.string("by", by)
        out.string("channel", channel)
        out.string("comment", comment)
        out.number("days", days)
        out.string("decision", decision)
        out.string("deliveredOn", deliveredOn?.description)
        out.string("docNumber", docNumber)
        out.date("dueAt", dueAt)
        out.string("earlierCase", earlierCase)
        out.string("fileName", fileName)
        out.string("hearingFrom", hearingFrom?.description)
        out.string("hearingTo", hearingTo?.description)
        out.string("lookupDigest", lookupDigest)
        out.object("lookupSealed", lookupSealed)
        out.string("mediaType", mediaType)
        out.string("method", method)
        out.string("mode", mode)
        out.string("newCase", newCase)
        out.string("note", note)
        out.string("noticeKind", noticeKind)
        out.string("occasion", occasion)
        out.string("officeRating", officeRating)
        out.string("opinion", opinion)
        out.string("outcome", outcome)
        out.string("reason", reason)
        out.string("report", report)
        out.string("returnReason", returnReason)
        out.string("reviewer", reviewer)
        out.string("routing", routing)
        out.string("sha256", sha256)
        out.bool("signed", signed)
        out.number("size", size)
        out.string("stage", stage)
        out.string("text", text)
        out.string("to", to)
        out.string("unitRating", unitRating)
        out.string("via", via)
        out.closeObject()
    }

    /// The action's body as the encoder writes it (`CaseEventBody.act`).
    public func bodyJSON() -> String {
        var out = CanonicalJSONWriter(capacity: 128 + (text?.utf8.count ?? 0) + (opinion?.utf8.count ?? 0) + (report?.utf8.count ?? 0))
        writeCanonical(into: &out)
        return String(decoding: out.bytes, as: UTF8.self)
    }
}
