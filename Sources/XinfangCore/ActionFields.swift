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
}
