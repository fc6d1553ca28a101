public import Foundation

/// How a case is handed to another node.
public enum HandoffMode: String, Codable, Sendable, CaseIterable {
    /// 交办: the receiver owes a result by `dueAt` and a closure report the assigner verifies.
    case assign
    /// 转送: the receiver handles it; no closure report is owed.
    case transfer
    /// 上报: a node hands a matter it cannot resolve to its parent (only through `escalate`).
    case escalate
}

/// The content of a written opinion (处理意见 / 复查意见 / 复核意见).
public enum ReplyOutcome: String, Codable, Sendable, CaseIterable {
    case supported  // 支持
    case explained  // 解释说明
    case notSupported  // 不支持

    public var label: String {
        switch self {
        case .supported: "支持"
        case .explained: "解释说明"
        case .notSupported: "不予支持"
        }
    }
}

/// A petitioner's rating (满意度评价), stored as the national codes 0 / 1 / 3.
public enum Rating: String, Codable, Sendable, CaseIterable {
    case satisfied  // 满意 (0)
    case basicallySatisfied  // 基本满意 (1)
    case dissatisfied  // 不满意 (3)

    public var label: String {
        switch self {
        case .satisfied: "满意"
        case .basicallySatisfied: "基本满意"
        case .dissatisfied: "不满意"
        }
    }

    public var nationalCode: Int {
        switch self {
        case .satisfied: 0
        case .basicallySatisfied: 1
        case .dissatisfied: 3
        }
    }
}

/// How a written opinion reached the petitioner (送达方式: 0 当面, 1 邮寄, 2 其他).
public enum DeliveryMethod: String, Codable, Sendable, CaseIterable {
    case inPerson  // 当面送达
    case mail  // 邮寄送达
    case other  // 其他方式

    public var label: String {
        switch self {
        case .inPerson: "当面送达"
        case .mail: "邮寄送达"
        case .other: "其他方式送达"
        }
    }
}

/// Where a matter routed out of petition handling goes (诉访分离, 条例 Art. 28 and 31).
public enum RouteOutChannel: String, Codable, Sendable, CaseIterable {
    case litigation  // 诉讼
    case laborArbitration  // 劳动人事争议仲裁
    case administrativeReconsideration  // 行政复议
    case prosecution  // 检察
    case discipline  // 纪检监察
    case partyAppeal  // 党内申诉
    case other

    public var label: String {
        switch self {
        case .litigation: "诉讼"
        case .laborArbitration: "劳动人事争议仲裁"
        case .administrativeReconsideration: "行政复议"
        case .prosecution: "检察"
        case .discipline: "纪检监察"
        case .partyAppeal: "党内申诉"
        case .other: "其他法定途径"
        }
    }
}

/// One lifecycle action on a case, as a user asks for it and as the chain records it.
///
/// The chain stores the action that was applied (event = accepted action), so the state of a case
/// is the fold of its actions in order. Encoded flat (`{"action": "extend", "days": 20, …}`), the
/// same shape the user API takes. Parameters that name a node (`by`, `reviewer`, an escalation's
/// `to`) are filled in by the node that creates or applies the action, never trusted from a client.
public enum CaseAction: Equatable, Sendable {
    case offer(to: NodeID, mode: HandoffMode, dueAt: Date?, note: String?)
    case accept
    case decline(reason: String)
    case notify(note: String?)
    case reject(reason: String)
    case routeOut(channel: RouteOutChannel, note: String?)
    case refuseRepeat(earlierCase: CaseNumber?, reason: String)
    case extend(days: Int, approver: String, reason: String)
    case reply(outcome: ReplyOutcome, opinion: String)
    case close(report: String?)
    case verifyClosure(note: String?)
    case returnClosure(reason: String)
    /// 满意度评价: the petitioner's two ratings; `via` says how they reached the organ (the
    /// petitioner's own on the lookup page, or a staff member's record of a call or a visit).
    case evaluate(office: Rating, unit: Rating, comment: String?, via: EvaluationChannel? = nil)
    /// The review goes to `reviewer` (the handler's parent under the policy); nil on a standalone node.
    /// The review goes to `reviewer`, the level above the organ that issued the reply (复查机关);
    /// `routing` says why when the policy had to pass over an organ (the accused one).
    case requestReview(reason: String, reviewer: NodeID?, routing: String? = nil)
    case decideReview(outcome: ReplyOutcome, opinion: String)
    /// The re-review goes to the level above the reviewer (复核机关).
    case requestReReview(reason: String, reviewer: NodeID?, routing: String? = nil)
    case decideReReview(outcome: ReplyOutcome, opinion: String)
    case terminate(reason: String)
    case comment(text: String)
    /// 上报: offer the case to the parent (to the level above it when the parent is the accused
    /// organ of a 检举控告, `routing` then saying so).
    case escalate(to: NodeID, reason: String, routing: String? = nil)
    /// 送达: the latest written opinion (处理意见, 复查意见 or 复核意见) reached the petitioner on `on`,
    /// by `method`, signed for or refused; the request window for the next stage runs from it.
    case deliver(on: CivilDate, method: DeliveryMethod, signed: Bool, note: String?)
    /// 听证: a hearing held from `from` to `to` (inclusive) during a review or re-review; its days
    /// are not counted in the answer period (条例 Art. 36).
    case hearing(from: CivilDate, to: CivilDate, note: String)
    /// 提办: an ancestor takes the case to itself.
    case recall(by: NodeID, reason: String)
    /// 督办: an ancestor presses the holder, who owes written feedback by `dueAt`.
    case supervise(by: NodeID, dueAt: Date, note: String)
    /// 督办反馈: the holder answers the open supervision.
    case supervisionFeedback(text: String)
    /// 重复信访: the same matter was registered again at another node as `newCase`.
    case repeatPetition(newCase: CaseNumber, note: String?)
    /// 强制接管: an ancestor whose holder does not answer appends at the head it knows, raising the
    /// epoch (DESIGN §3); the only source of forks.
    case takeOver(by: NodeID, reason: String)
    /// 冲突处理: a person settles the losing branch of a fork, named by its first event's hash:
    /// adopt its actions as new events, or dismiss it.
    case resolveConflict(branch: String, decision: ConflictDecision, reason: String)
    /// 添加材料: a file joins the case file (its bytes travel beside the events, by hash).
    case attach(AttachmentRef)
    /// 撤回材料: a mistaken file is hidden, never removed from the chain.
    case withdrawAttachment(sha256: String, reason: String)
    /// 出具文书: a written notice is issued; its frozen bytes join the case file.
    case issueNotice(NoticeRecord)
    /// 送达文书: the notice `docNumber` reached its addressee on `on`, by `method`, signed for or
    /// refused; a written answer's 送达 starts the window for the next stage.
    case serveNotice(docNumber: String, on: CivilDate, method: DeliveryMethod, signed: Bool, note: String?)
    /// 重发查询码: a new 查询码 replaces the case's current one (which stops opening it).
    case reissueLookupCode(LookupSeal)
    /// 退单: a petition another system handed over goes back to it, with the reason.
    case returnToSender(reason: SenderReturnReason, note: String?)

    /// The action's name in the API and the chain.
    public var name: ActionName {
        switch self {
        case .offer: .offer
        case .accept: .accept
        case .decline: .decline
        case .notify: .notify
        case .reject: .reject
        case .routeOut: .routeOut
        case .refuseRepeat: .refuseRepeat
        case .extend: .extend
        case .reply: .reply
        case .close: .close
        case .verifyClosure: .verifyClosure
        case .returnClosure: .returnClosure
        case .evaluate: .evaluate
        case .requestReview: .requestReview
        case .decideReview: .decideReview
        case .requestReReview: .requestReReview
        case .decideReReview: .decideReReview
        case .terminate: .terminate
        case .comment: .comment
        case .escalate: .escalate
        case .deliver: .deliver
        case .hearing: .hearing
        case .recall: .recall
        case .supervise: .supervise
        case .supervisionFeedback: .supervisionFeedback
        case .repeatPetition: .repeatPetition
        case .takeOver: .takeOver
        case .resolveConflict: .resolveConflict
        case .attach: .attach
        case .withdrawAttachment: .withdrawAttachment
        case .issueNotice: .issueNotice
        case .serveNotice: .serveNotice
        case .reissueLookupCode: .reissueLookupCode
        case .returnToSender: .returnToSender
        }
    }
}

/// What a person decides about the losing branch of a fork.
public enum ConflictDecision: String, Codable, Sendable, CaseIterable {
    /// Re-apply the losing branch's actions, where the lifecycle still allows them, as new events.
    case adopt
    /// Keep the winning branch as it is; the losing events stay in the history, settled.
    case dismiss

    public var label: String {
        switch self {
        case .adopt: "采纳失败分支"
        case .dismiss: "驳回失败分支"
        }
    }
}

extension CaseAction: Codable {
    public init(from decoder: any Decoder) throws {
        do {
            self = try CaseAction(fields: try ActionFields(from: decoder))
        } catch let failure as ValidationFailure {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: failure.description))
        }
    }

    public func encode(to encoder: any Encoder) throws { try fields.encode(to: encoder) }
}

/// The names of every action of the outside contract (DESIGN §9).
public enum ActionName: String, Codable, Sendable, CaseIterable {
    case offer, accept, decline, notify, reject, routeOut, refuseRepeat, extend, reply, close
    case verifyClosure, returnClosure, evaluate, requestReview, decideReview, requestReReview
    case decideReReview, terminate, comment
    case escalate, recall, supervise, supervisionFeedback, repeatPetition, takeOver, resolveConflict
    case deliver, hearing, attach, withdrawAttachment, issueNotice, serveNotice, reissueLookupCode, returnToSender

    /// Chinese label for the chain view (办理方式).
    public var label: String {
        switch self {
        case .offer: "交办/转送"
        case .accept: "接收"
        case .decline: "退回（异议）"
        case .notify: "受理告知"
        case .reject: "不予受理"
        case .routeOut: "诉访分离"
        case .refuseRepeat: "不再受理"
        case .extend: "延期"
        case .reply: "出具处理意见"
        case .close: "办结"
        case .verifyClosure: "审核认定办结"
        case .returnClosure: "退回重办"
        case .evaluate: "满意度评价"
        case .requestReview: "申请复查"
        case .decideReview: "复查意见"
        case .requestReReview: "申请复核"
        case .decideReReview: "复核意见"
        case .terminate: "终结"
        case .comment: "备注"
        case .escalate: "上报"
        case .recall: "提办"
        case .supervise: "督办"
        case .supervisionFeedback: "督办反馈"
        case .repeatPetition: "重复信访"
        case .takeOver: "强制接管"
        case .resolveConflict: "冲突处理"
        case .deliver: "送达"
        case .hearing: "听证"
        case .attach: "添加材料"
        case .withdrawAttachment: "撤回材料"
        case .issueNotice: "出具文书"
        case .serveNotice: "送达文书"
        case .reissueLookupCode: "重发查询码"
        case .returnToSender: "退单"
        }
    }

    /// Actions another node asks the holder for (they arrive as commands and name their origin);
    /// the holder never offers them to its own users.
    public var isCommandOnly: Bool {
        switch self {
        case .recall, .supervise, .repeatPetition: true
        default: false
        }
    }

    /// Actions a non-holder appends at its own node instead of sending a command (a takeover
    /// happens because the holder does not answer).
    public var isForced: Bool { self == .takeOver }

    /// Actions that need other nodes: a node without a topology refuses them.
    public var needsHierarchy: Bool {
        switch self {
        case .escalate, .recall, .supervise, .takeOver, .repeatPetition, .resolveConflict: true
        default: false
        }
    }
}

extension CaseAction {
    /// Parses and validates the flat form; names the first offending field.
    public init(fields f: ActionFields) throws(ValidationFailure) {
        typealias L = ActionLimits
        guard let raw = f.action, !raw.isEmpty else { throw .missing("action") }
        guard let name = ActionName(rawValue: raw) else {
            throw ValidationFailure(
                code: "unknown-action",
                field: "action",
                detail: "未知操作 \(raw)。可用操作：\(ActionName.allCases.map(\.rawValue).joined(separator: ", "))。"
            )
        }
        func reason() throws(ValidationFailure) -> String { try f.reasonText() }
        func note() throws(ValidationFailure) -> String? { try f.noteText() }
        func opinion() throws(ValidationFailure) -> String { try Check.text(f.opinion, field: "opinion", max: L.opinionLengthMax) }
        func outcome() throws(ValidationFailure) -> ReplyOutcome { try Self.enumValue(f.outcome, field: "outcome") }
        func routing() throws(ValidationFailure) -> String? { try Check.optionalText(f.routing, field: "routing", max: L.routingLengthMax) }
        func node(_ raw: String?, field: String) throws(ValidationFailure) -> NodeID { try ActionFields.node(raw, field: field) }
        func optionalNode(_ raw: String?, field: String) throws(ValidationFailure) -> NodeID? {
            guard let raw, !raw.isEmpty else { return nil }
            return try node(raw, field: field)
        }
        switch name {
        case .offer: self = try Self.offer(f)
        case .accept: self = .accept
        case .decline: self = .decline(reason: try reason())
        case .notify: self = .notify(note: try note())
        case .reject: self = .reject(reason: try reason())
        case .routeOut: self = .routeOut(channel: try Self.enumValue(f.channel, field: "channel"), note: try note())
        case .refuseRepeat:
            let earlier = try Check.optionalText(f.earlierCase, field: "earlierCase", max: 30).map { raw throws(ValidationFailure) in
                try CaseNumber.validated(raw, field: "earlierCase")
            }
            self = .refuseRepeat(earlierCase: earlier, reason: try reason())
        case .extend: self = try Self.extend(f)
        case .reply: self = .reply(outcome: try outcome(), opinion: try opinion())
        case .close: self = .close(report: try Check.optionalText(f.report, field: "report", max: L.opinionLengthMax))
        case .verifyClosure: self = .verifyClosure(note: try note())
        case .returnClosure: self = .returnClosure(reason: try reason())
        case .evaluate: self = try Self.evaluate(f)
        case .requestReview:
            self = .requestReview(reason: try reason(), reviewer: try optionalNode(f.reviewer, field: "reviewer"), routing: try routing())
        case .decideReview: self = .decideReview(outcome: try outcome(), opinion: try opinion())
        case .requestReReview:
            self = .requestReReview(reason: try reason(), reviewer: try optionalNode(f.reviewer, field: "reviewer"), routing: try routing())
        case .decideReReview: self = .decideReReview(outcome: try outcome(), opinion: try opinion())
        case .terminate: self = .terminate(reason: try reason())
        case .comment: self = .comment(text: try Check.text(f.text, field: "text", max: L.opinionLengthMax))
        case .escalate: self = .escalate(to: try node(f.to, field: "to"), reason: try reason(), routing: try routing())
        case .deliver: self = try Self.deliver(f)
        case .hearing: self = try Self.hearing(f)
        case .recall: self = .recall(by: try node(f.by, field: "by"), reason: try reason())
        case .supervise:
            guard let dueAt = f.dueAt else { throw .missing("dueAt") }
            self = .supervise(
                by: try node(f.by, field: "by"),
                dueAt: try Self.checkedYear(dueAt, field: "dueAt"),
                note: try Check.text(f.note, field: "note", max: L.noteLengthMax)
            )
        case .supervisionFeedback: self = .supervisionFeedback(text: try Check.text(f.text, field: "text", max: L.opinionLengthMax))
        case .repeatPetition:
            let newCase = try CaseNumber.validated(Check.text(f.newCase, field: "newCase", max: 30), field: "newCase")
            self = .repeatPetition(newCase: newCase, note: try note())
        case .takeOver: self = .takeOver(by: try node(f.by, field: "by"), reason: try reason())
        case .resolveConflict: self = try Self.resolveConflict(f)
        case .attach: self = try Self.attach(f)
        case .withdrawAttachment: self = try Self.withdrawAttachment(f)
        case .issueNotice: self = try Self.issueNotice(f)
        case .serveNotice: self = try Self.serveNotice(f)
        case .reissueLookupCode:
            guard let digest = f.lookupDigest else { throw .missing("lookupDigest") }
            guard let sealed = f.lookupSealed else { throw .missing("lookupSealed") }
            self = .reissueLookupCode(try LookupSeal(digest: digest, sealed: sealed).checked())
        case .returnToSender:
            self = .returnToSender(reason: try Self.enumValue(f.returnReason, field: "returnReason"), note: try note())
        }
    }

    /// 交办 or 转送: the receiver, the mode (never an escalation), the due date an assignment needs.
    static func offer(_ f: ActionFields) throws(ValidationFailure) -> CaseAction {
        typealias L = ActionLimits
        let to = try ActionFields.node(f.to, field: "to")
        let mode: HandoffMode = try Self.enumValue(f.mode, field: "mode")
        if mode == .escalate { throw .invalid("mode", "上报请使用 escalate 操作。") }
        if mode == .assign, f.dueAt == nil { throw .missing("dueAt") }
        return .offer(
            to: to,
            mode: mode,
            dueAt: try f.dueAt.map { d throws(ValidationFailure) in try Self.checkedYear(d, field: "dueAt") },
            note: try f.noteText()
        )
    }

    /// 满意度评价: the two ratings, an optional comment, and how they reached the organ.
    static func evaluate(_ f: ActionFields) throws(ValidationFailure) -> CaseAction {
        .evaluate(
            office: try Self.enumValue(f.officeRating, field: "officeRating"),
            unit: try Self.enumValue(f.unitRating, field: "unitRating"),
            comment: try Check.optionalText(f.comment, field: "comment", max: ActionLimits.noteLengthMax),
            via: try f.via.map { raw throws(ValidationFailure) in try Self.enumValue(raw, field: "via") }
        )
    }

    /// The one extension: at most 30 days (条例 Art. 34), approved by a named leader.
    static func extend(_ f: ActionFields) throws(ValidationFailure) -> CaseAction {
        typealias L = ActionLimits
        guard let days = f.days else { throw .missing("days") }
        guard (1...L.extensionDaysMax).contains(days) else {
            throw .invalid("days", "延期天数必须在 1 到 \(L.extensionDaysMax) 天之间（《信访工作条例》第三十四条）。")
        }
        return .extend(
            days: days,
            approver: try Check.text(f.approver, field: "approver", max: L.approverLengthMax),
            reason: try f.reasonText()
        )
    }

    /// 送达 of the written opinion: the day, the method, whether the petitioner signed.
    static func deliver(_ f: ActionFields) throws(ValidationFailure) -> CaseAction {
        typealias L = ActionLimits
        guard let on = f.deliveredOn else { throw .missing("deliveredOn") }
        guard let signed = f.signed else { throw .missing("signed") }
        return .deliver(
            on: try Self.checkedYear(on, field: "deliveredOn"),
            method: try Self.enumValue(f.method, field: "method"),
            signed: signed,
            note: try f.noteText()
        )
    }

    /// 听证 of a review stage: its first and last day, at most `hearingDaysMax` days.
    static func hearing(_ f: ActionFields) throws(ValidationFailure) -> CaseAction {
        typealias L = ActionLimits
        guard let from = f.hearingFrom else { throw .missing("hearingFrom") }
        guard let to = f.hearingTo else { throw .missing("hearingTo") }
        guard from <= to else { throw .invalid("hearingTo", "听证结束日期不能早于开始日期。") }
        guard to.daysSinceEpoch - from.daysSinceEpoch < L.hearingDaysMax else {
            throw .invalid("hearingTo", "一次听证最长 \(L.hearingDaysMax) 天。")
        }
        return .hearing(
            from: try Self.checkedYear(from, field: "hearingFrom"),
            to: try Self.checkedYear(to, field: "hearingTo"),
            note: try Check.text(f.note, field: "note", max: L.noteLengthMax)
        )
    }

    /// The decision on a losing branch, named by the hash of its first event.
    static func resolveConflict(_ f: ActionFields) throws(ValidationFailure) -> CaseAction {
        typealias L = ActionLimits
        let branch = try Check.text(f.branch, field: "branch", max: 64)
        guard branch.count == 64, branch.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
            throw .invalid("branch", "branch 是冲突分支首个事件的哈希（64 位小写十六进制）。")
        }
        return .resolveConflict(branch: branch, decision: try Self.enumValue(f.decision, field: "decision"), reason: try f.reasonText())
    }

    /// The parsed and checked form of this action: every bound of its parameters, texts trimmed.
    /// What the chain stores is always this form, so every stored event decodes again.
    public func validated() throws(ValidationFailure) -> CaseAction { try CaseAction(fields: fields) }

    static func checkedYear(_ date: CivilDate, field: String) throws(ValidationFailure) -> CivilDate {
        guard ActionLimits.yearRange.contains(date.year) else { throw .invalid(field, "日期 \(date) 超出允许的年份范围。") }
        return date
    }

    static func checkedYear(_ date: Date, field: String) throws(ValidationFailure) -> Date {
        let seconds = date.timeIntervalSince1970
        // 2000-01-01 to 2101-01-01 (UTC): a date the canonical encoder always represents.
        guard seconds.isFinite, seconds >= 946_684_800, seconds < 4_133_980_800 else {
            throw .invalid(field, "日期超出允许的年份范围（\(ActionLimits.yearRange.lowerBound)–\(ActionLimits.yearRange.upperBound)）。")
        }
        return date
    }

    /// Parses a raw enum value, naming the field and the allowed values when it is not one.
    public static func enumValue<E: RawRepresentable & CaseIterable>(_ raw: String?, field: String) throws(ValidationFailure) -> E
    where E.RawValue == String {
        guard let raw, !raw.isEmpty else { throw .missing(field) }
        guard let value = E(rawValue: raw) else {
            throw .invalid(field, "字段 \(field) 的取值 \(raw) 无效，可选：\(E.allCases.map(\.rawValue).joined(separator: ", "))。")
        }
        return value
    }

    /// The flat form of this action.
    public var fields: ActionFields {
        var f = ActionFields(action: name.rawValue)
        switch self {
        case .offer(let to, let mode, let dueAt, let note):
            f.to = to.rawValue
            f.mode = mode.rawValue
            f.dueAt = dueAt
            f.note = note
        case .accept: break
        case .decline(let reason), .reject(let reason), .returnClosure(let reason), .terminate(let reason):
            f.reason = reason
        case .requestReview(let reason, let reviewer, let routing), .requestReReview(let reason, let reviewer, let routing):
            f.reason = reason
            f.reviewer = reviewer?.rawValue
            f.routing = routing
        case .notify(let note), .verifyClosure(let note): f.note = note
        case .routeOut(let channel, let note):
            f.channel = channel.rawValue
            f.note = note
        case .refuseRepeat(let earlier, let reason):
            f.earlierCase = earlier?.rawValue
            f.reason = reason
        case .extend(let days, let approver, let reason):
            f.days = days
            f.approver = approver
            f.reason = reason
        case .reply(let outcome, let opinion), .decideReview(let outcome, let opinion), .decideReReview(let outcome, let opinion):
            f.outcome = outcome.rawValue
            f.opinion = opinion
        case .close(let report): f.report = report
        case .evaluate(let office, let unit, let comment, let via):
            f.officeRating = office.rawValue
            f.unitRating = unit.rawValue
            f.comment = comment
            f.via = via?.rawValue
        case .comment(let text), .supervisionFeedback(let text): f.text = text
        case .escalate(let to, let reason, let routing):
            f.to = to.rawValue
            f.reason = reason
            f.routing = routing
        case .deliver(let on, let method, let signed, let note):
            f.deliveredOn = on
            f.method = method.rawValue
            f.signed = signed
            f.note = note
        case .hearing(let from, let to, let note):
            f.hearingFrom = from
            f.hearingTo = to
            f.note = note
        case .recall(let by, let reason), .takeOver(let by, let reason):
            f.by = by.rawValue
            f.reason = reason
        case .resolveConflict(let branch, let decision, let reason):
            f.branch = branch
            f.decision = decision.rawValue
            f.reason = reason
        case .supervise(let by, let dueAt, let note):
            f.by = by.rawValue
            f.dueAt = dueAt
            f.note = note
        case .repeatPetition(let newCase, let note):
            f.newCase = newCase.rawValue
            f.note = note
        case .attach(let file):
            f.sha256 = file.sha256
            f.size = file.size
            f.mediaType = file.mediaType.rawValue
            f.fileName = file.fileName
            f.stage = file.stage.rawValue
        case .withdrawAttachment(let sha256, let reason):
            f.sha256 = sha256
            f.reason = reason
        case .issueNotice(let notice):
            f.noticeKind = notice.kind.rawValue
            f.docNumber = notice.docNumber
            f.sha256 = notice.sha256
            f.size = notice.size
            f.occasion = notice.occasion
        case .serveNotice(let docNumber, let on, let method, let signed, let note):
            f.docNumber = docNumber
            f.deliveredOn = on
            f.method = method.rawValue
            f.signed = signed
            f.note = note
        case .reissueLookupCode(let seal):
            f.lookupDigest = seal.digest
            f.lookupSealed = seal.sealed
        case .returnToSender(let reason, let note):
            f.returnReason = reason.rawValue
            f.note = note
        }
        return f
    }
}
