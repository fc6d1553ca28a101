public import Foundation

/// Why the lifecycle refuses an action. Each case names what the user can do about it.
public enum LifecycleError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The action is not allowed in the case's current status.
    case illegalTransition(action: ActionName, status: CaseStatus, allowed: [ActionName])
    /// Only the holder may append; this node is not it.
    case notHolder(holder: NodeID)
    /// A closure verification or return on a case that was not assigned (交办), or not awaiting it.
    case notAwaitingVerification(status: CaseStatus)
    /// An assigned case's closure must be verified before the petitioner's evaluation or review.
    case closureAwaitingVerification
    /// A period that bounds the action has ended.
    case periodEnded(DeadlineKind, dueDate: CivilDate)
    /// A request window is still open, so the matter cannot be terminated yet.
    case periodOpen(DeadlineKind, dueDate: CivilDate)
    /// An offer to this node itself, or a recall by the holder.
    case offerToSelf
    /// A takeover by the holder itself, or by a node that is not its ancestor.
    case notAnAncestor(holder: NodeID)
    /// Supervision feedback with no open supervision.
    case noOpenSupervision
    /// 撤回材料 on a case whose case file has nothing (left) to withdraw.
    case noAttachment
    /// 出具文书 of a kind the case has not reached (or that this organ does not issue), or
    /// 送达文书 of a notice the case does not have.
    case noticeNotDue(String)
    /// A parameter out of its bounds (a length, a count, a date), caught where events are made.
    case invalid(ValidationFailure)
    /// The case is a 检举控告 naming `node` or an organ above it: it may not be handed there (R16).
    case respondentOrgan(NodeID)
    /// The one extension, the one hearing of a stage, or the one 送达 of an opinion is recorded already.
    case alreadyRecorded(ActionName)
    /// A 送达 with no written opinion awaiting it.
    case noOpinionToDeliver
    /// The petitioner's evaluation window (评价期限) ended on `dueDate`: the case is 超期未评价.
    case evaluationWindowEnded(dueDate: CivilDate)
    /// A 查询码 for a case the public lookup never serves (检举控告, anonymous, confidential).
    case notPublic(PublicLookup.Exclusion)
    /// 退单 of a petition no other system handed over.
    case notFromASystem

    public var code: String {
        switch self {
        case .illegalTransition: "illegal-transition"
        case .notHolder: "not-holder"
        case .notAwaitingVerification: "not-awaiting-verification"
        case .closureAwaitingVerification: "closure-awaiting-verification"
        case .periodEnded: "period-ended"
        case .periodOpen: "period-open"
        case .offerToSelf: "offer-to-self"
        case .notAnAncestor: "not-an-ancestor"
        case .noOpenSupervision: "no-open-supervision"
        case .noAttachment: "no-attachment"
        case .noticeNotDue: "notice-not-due"
        case .invalid(let failure): failure.code
        case .respondentOrgan: "respondent-node"
        case .alreadyRecorded: "already-recorded"
        case .noOpinionToDeliver: "no-opinion"
        case .evaluationWindowEnded: "evaluation-window-ended"
        case .notPublic: "case-not-public"
        case .notFromASystem: "not-from-a-system"
        }
    }

    public var description: String {
        switch self {
        case .illegalTransition(let action, let status, let allowed):
            let options = allowed.isEmpty ? "无" : allowed.map(\.rawValue).joined(separator: ", ")
            return "当前状态为 \(status.rawValue)（\(status.label)），不能执行 \(action.rawValue)（\(action.label)）。当前可执行：\(options)。"
        case .notHolder(let holder):
            return "本节点不是该信访件的当前持有节点；持有节点为 \(holder)。"
        case .notAwaitingVerification(let status):
            return "当前状态为 \(status.rawValue)（\(status.label)），该件不是等待审核认定的交办件。"
        case .closureAwaitingVerification:
            return "交办件的办结报告尚待交办机关审核认定，暂不能评价或申请复查。"
        case .periodEnded(let kind, let due):
            return "\(kind.label)已于 \(due) 届满。"
        case .periodOpen(let kind, let due):
            return "\(kind.label)尚未届满（\(due)），暂不能终结。"
        case .offerToSelf:
            return "不能交办、转送、上报给本节点自己，持有节点也不能提办自己的件。"
        case .noOpenSupervision:
            return "该件没有待反馈的督办。"
        case .noAttachment:
            return "该件没有可撤回的材料。"
        case .noticeNotDue(let detail):
            return detail
        case .notAnAncestor(let holder):
            return "只有持有节点 \(holder) 的上级节点才能强制接管；持有节点本身不能接管。"
        case .invalid(let failure):
            return failure.detail
        case .respondentOrgan(let node):
            return "检举控告件不得交由被反映单位或其下级单位办理，\(node) 是被反映单位或其下级单位（《信访工作条例》第三十条第三款）。"
        case .alreadyRecorded(let name):
            switch name {
            case .extend: return "办理期限只能延长一次（《信访工作条例》第三十四条）。"
            case .hearing: return "本阶段已记录听证。"
            case .evaluate: return "本件已评价，不能重复评价。"
            default: return "该书面意见的送达已记录。"
            }
        case .noOpinionToDeliver:
            return "当前没有待送达的书面意见（处理意见、复查意见或复核意见）。"
        case .evaluationWindowEnded(let due):
            return "评价期限已于 \(due) 届满，本件为超期未评价，不能再评价。"
        case .notPublic(let why):
            let kind =
                switch why {
                case .accusation: "检举控告件"
                case .anonymous: "未留手机号码或证件号码的信访件"
                case .confidential: "涉密信访件"
                }
            return "\(kind)不提供公开查询，不发放查询码。"
        case .notFromASystem:
            return "该信访件不是由外部系统（12345 热线、网上信访平台）转来的，不能退单。"
        }
    }
}

/// Who acts, where and when: the context of a decision.
public struct ActionContext: Sendable {
    public var node: NodeID
    public var now: Date
    public var calendar: DeadlineCalendar
    /// The tree, where there is one: the accused-organ rule covers the respondent's whole subtree.
    public var topology: Topology?

    public init(node: NodeID, now: Date, calendar: DeadlineCalendar, topology: Topology? = nil) {
        self.node = node
        self.now = now
        self.calendar = calendar
        self.topology = topology
    }
}

/// The case lifecycle: which action may follow which status, and what else must hold.
///
/// Pure and deterministic: `check` either accepts the action for the state (the caller then
/// appends it as the next event) or throws the reason it is refused. The transition table is the
/// single definition the API, the tests and the documentation use.
public enum Lifecycle {
    /// For each action, the statuses it may follow.
    public static let allowedFrom: [ActionName: Set<CaseStatus>] = [
        .offer: CaseStatus.intake,
        .accept: [.offered],
        .decline: [.offered],
        .notify: CaseStatus.intake,
        .reject: CaseStatus.intake,
        .routeOut: CaseStatus.intake,
        .refuseRepeat: CaseStatus.intake,
        .extend: [.accepted],
        .reply: [.accepted, .extended],
        .close: [.replied],
        .verifyClosure: [.closed],
        .returnClosure: [.closed],
        .evaluate: [.closed, .closureVerified],
        .requestReview: [.closed, .closureVerified, .evaluated],
        .decideReview: [.reviewRequested],
        .requestReReview: [.reviewDecided],
        .decideReReview: [.reReviewRequested],
        .terminate: [.closed, .closureVerified, .evaluated, .reviewDecided, .reReviewDecided],
        .comment: Set(CaseStatus.allCases),
        .escalate: CaseStatus.intake.union([.accepted, .extended]),
        .recall: CaseStatus.intake.union([.offered, .accepted, .extended]),
        .supervise: CaseStatus.intake.union([.offered, .accepted, .extended, .replied, .closed, .reviewRequested, .reReviewRequested]),
        .supervisionFeedback: Set(CaseStatus.allCases).subtracting([.terminated]),
        .repeatPetition: Set(CaseStatus.allCases),
        .takeOver: Set(CaseStatus.allCases.filter(\.isOpen)).union([.closed]),
        .resolveConflict: Set(CaseStatus.allCases),
        .deliver: [.replied, .closed, .closureVerified, .evaluated, .reviewDecided, .reReviewDecided],
        .hearing: [.reviewRequested, .reReviewRequested],
        .attach: Set(CaseStatus.allCases),
        .withdrawAttachment: Set(CaseStatus.allCases),
        .issueNotice: Set(CaseStatus.allCases),
        .serveNotice: Set(CaseStatus.allCases),
        .reissueLookupCode: Set(CaseStatus.allCases),
        .returnToSender: CaseStatus.intake,
    ]

    /// Checks that `action` may be appended to the case now.
    public static func check(_ action: CaseAction, on state: CaseState, context: ActionContext) throws(LifecycleError) {
        _ = try admit(action, on: state, context: context)
    }

    /// Checks that `action` may be appended to the case now and returns the form the chain stores
    /// (parameters bounded and trimmed, `CaseAction.validated()`): the one gate every event made
    /// on a node passes, whoever calls it (API, dashboard, command, import, simulator).
    public static func admit(_ action: CaseAction, on state: CaseState, context: ActionContext) throws(LifecycleError) -> CaseAction {
        if let refusal = refusal(of: action.name, on: state, context: context) {
            if case .illegalTransition(let name, let status, _) = refusal {
                throw .illegalTransition(action: name, status: status, allowed: availableActions(on: state, context: context))
            }
            throw refusal
        }
        let checked: CaseAction
        do { checked = try action.validated() } catch { throw .invalid(error) }
        let today = context.calendar.civilDate(of: context.now)
        func dueDate(_ dueAt: Date, field: String) throws(LifecycleError) {
            let day = context.calendar.civilDate(of: dueAt)
            guard day >= today, day <= today.adding(days: ActionLimits.dueDaysAheadMax) else {
                throw .invalid(.invalid(field, "期限 \(day) 须在今天（\(today)）到 \(ActionLimits.dueDaysAheadMax) 天之后之间。"))
            }
        }
        func handing(to node: NodeID) throws(LifecycleError) {
            if AccusedOrgan.forbids(node, for: state, topology: context.topology) { throw .respondentOrgan(node) }
        }
        switch checked {
        case .offer(let to, _, let dueAt, _):
            if to == context.node { throw .offerToSelf }
            if let dueAt { try dueDate(dueAt, field: "dueAt") }
            try handing(to: to)
        case .escalate(let to, _, _):
            if to == context.node { throw .offerToSelf }
            try handing(to: to)
        case .recall(let by, _), .takeOver(let by, _):
            if case .recall = checked, by == state.holder { throw .offerToSelf }
            try handing(to: by)
        case .supervise(let by, let dueAt, _):
            if by == state.holder { throw .offerToSelf }
            try dueDate(dueAt, field: "dueAt")
        case .requestReview(_, let reviewer?, _), .requestReReview(_, let reviewer?, _):
            try handing(to: reviewer)
        case .deliver(let on, _, _, _):
            guard let opinion = state.latestOpinion else { throw .noOpinionToDeliver }
            let issued = context.calendar.civilDate(of: opinion.at)
            guard on >= issued, on <= today else {
                throw .invalid(.invalid("deliveredOn", "送达日期须在书面意见出具之日（\(issued)）到今天（\(today)）之间。"))
            }
        case .attach(let file):
            guard !state.activeAttachments.contains(where: { $0.file.sha256 == file.sha256 }) else { throw .alreadyRecorded(.attach) }
            guard (state.attachments?.count ?? 0) < AttachmentLimits.perCaseMax else {
                throw .invalid(.invalid("sha256", "每件信访件最多 \(AttachmentLimits.perCaseMax) 个材料（含已撤回的）。"))
            }
        case .withdrawAttachment(let sha256, _):
            guard state.activeAttachments.contains(where: { $0.file.sha256 == sha256 }) else {
                throw .invalid(.invalid("sha256", "该信访件没有这个材料（或已撤回）。"))
            }
        case .issueNotice(let notice):
            try NoticeRules.admitIssue(notice, state: state, node: context.node)
        case .serveNotice(let docNumber, let on, _, _, _):
            try NoticeRules.admitService(docNumber, on: on, today: today, state: state, calendar: context.calendar)
        case .hearing(let from, let to, _):
            // The status (复查中 or 复核中) guarantees the stage; its request day bounds the hearing.
            let reReview = state.status == .reReviewRequested
            let requestedAt = (reReview ? state.reReview : state.review)?.requestedAt ?? context.now
            let kind: DeadlineKind = reReview ? .reReviewDecision : .reviewDecision
            let requested = context.calendar.civilDate(of: requestedAt)
            let due = state.deadlines(calendar: context.calendar).first { $0.kind == kind }?.dueDate ?? today
            guard from >= requested, from <= due else {
                throw .invalid(.invalid("hearingFrom", "听证开始日期须在申请之日（\(requested)）到答复期限（\(due)）之间。"))
            }
            guard to <= today else { throw .invalid(.invalid("hearingTo", "听证举行完毕后才能记录，结束日期不能晚于今天（\(today)）。")) }
        default:
            break
        }
        return checked
    }

    /// The actions `context.node` may take on the case now: allowed by the status and by every
    /// rule that does not depend on the action's parameters. Empty for a node that is not the holder.
    /// A takeover (an ancestor's) and a conflict resolution (only with an open conflict) are
    /// offered by the case view, which knows the tree and the conflicts.
    public static func availableActions(on state: CaseState, context: ActionContext) -> [ActionName] {
        ActionName.allCases.filter {
            !$0.isCommandOnly && !$0.isForced && $0 != .resolveConflict && $0 != .issueNotice && $0 != .reissueLookupCode && allowedFrom[$0] != nil
                && refusal(of: $0, on: state, context: context) == nil
        }
    }

    /// Why an action of this name may not be taken now, or nil when it may (parameters aside).
    /// An illegal transition is returned without its list of allowed actions; `check` fills it in.
    static func refusal(of name: ActionName, on state: CaseState, context: ActionContext) -> LifecycleError? {
        if name.isForced {
            // A takeover is the one action a non-holder appends; whether it is an ancestor is the
            // topology's to say (`CommandPolicy.mayTakeOver`), so here only the holder is refused.
            if state.holder == context.node { return .notAnAncestor(holder: state.holder) }
        } else {
            guard state.holder == context.node else { return .notHolder(holder: state.holder) }
        }
        guard allowedFrom[name]?.contains(state.status) ?? false else {
            return .illegalTransition(action: name, status: state.status, allowed: [])
        }
        let deadlines = state.deadlines(calendar: context.calendar)
        func ended(_ kind: DeadlineKind) -> LifecycleError? {
            guard let d = deadlines.first(where: { $0.kind == kind }), context.now > d.dueAt else { return nil }
            return .periodEnded(kind, dueDate: d.dueDate)
        }
        func stillOpen(_ kind: DeadlineKind) -> LifecycleError? {
            guard let d = deadlines.first(where: { $0.kind == kind }), d.metAt == nil, context.now <= d.dueAt else { return nil }
            return .periodOpen(kind, dueDate: d.dueDate)
        }
        switch name {
        case .decline:
            return ended(.objection)
        case .extend:
            return state.extension_ != nil ? .alreadyRecorded(.extend) : ended(.handling)
        case .deliver:
            guard let opinion = state.latestOpinion else { return .noOpinionToDeliver }
            return opinion.delivery != nil ? .alreadyRecorded(.deliver) : nil
        case .hearing:
            let stage = state.status == .reReviewRequested ? state.reReview : state.review
            return stage?.hearing != nil ? .alreadyRecorded(.hearing) : nil
        case .verifyClosure, .returnClosure:
            return state.awaitsClosureVerification ? nil : .notAwaitingVerification(status: state.status)
        case .evaluate:
            if state.awaitsClosureVerification { return .closureAwaitingVerification }
            guard let due = state.evaluationDue(calendar: context.calendar), context.now > due else { return nil }
            return .evaluationWindowEnded(dueDate: context.calendar.civilDate(of: due))
        case .reissueLookupCode:
            return PublicLookup.exclusion(of: state.registration).map { .notPublic($0) }
        case .returnToSender:
            return state.registration.source == nil ? .notFromASystem : nil
        case .requestReview:
            return state.awaitsClosureVerification ? .closureAwaitingVerification : ended(.reviewRequestWindow)
        case .requestReReview:
            return ended(.reReviewRequestWindow)
        case .supervisionFeedback:
            return state.openSupervision == nil ? .noOpenSupervision : nil
        case .withdrawAttachment:
            return state.activeAttachments.isEmpty ? .noAttachment : nil
        case .serveNotice:
            return (state.notices ?? []).contains { $0.delivery == nil && !$0.kind.isForm } ? nil : .noticeNotDue("本件没有待送达的文书。")
        case .terminate:
            switch state.status {
            case .reReviewDecided: return nil
            case .reviewDecided: return stillOpen(.reReviewRequestWindow)
            default: return state.awaitsClosureVerification ? .closureAwaitingVerification : stillOpen(.reviewRequestWindow)
            }
        default:
            return nil
        }
    }
}
