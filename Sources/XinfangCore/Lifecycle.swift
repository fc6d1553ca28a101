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
    /// A 交办 without the date its result is due (the event could not be read back without it).
    case assignmentWithoutDueDate

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
        case .assignmentWithoutDueDate: "missing-field"
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
        case .assignmentWithoutDueDate:
            return "交办须写明办理期限（dueAt）。"
        case .notAnAncestor(let holder):
            return "只有持有节点 \(holder) 的上级节点才能强制接管；持有节点本身不能接管。"
        }
    }
}

/// Who acts, where and when: the context of a decision.
public struct ActionContext: Sendable {
    public var node: NodeID
    public var now: Date
    public var calendar: DeadlineCalendar

    public init(node: NodeID, now: Date, calendar: DeadlineCalendar) {
        self.node = node
        self.now = now
        self.calendar = calendar
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
    ]

    /// Checks that `action` may be appended to the case now.
    public static func check(_ action: CaseAction, on state: CaseState, context: ActionContext) throws(LifecycleError) {
        if let refusal = refusal(of: action.name, on: state, context: context) {
            if case .illegalTransition(let name, let status, _) = refusal {
                throw .illegalTransition(action: name, status: status, allowed: availableActions(on: state, context: context))
            }
            throw refusal
        }
        switch action {
        case .offer(let to, let mode, let dueAt, _):
            if to == context.node { throw .offerToSelf }
            if mode == .assign, dueAt == nil { throw .assignmentWithoutDueDate }
        case .escalate(let to, _):
            if to == context.node { throw .offerToSelf }
        case .recall(let by, _), .supervise(let by, _, _):
            if by == state.holder { throw .offerToSelf }
        default:
            break
        }
    }

    /// The actions `context.node` may take on the case now: allowed by the status and by every
    /// rule that does not depend on the action's parameters. Empty for a node that is not the holder.
    /// A takeover (an ancestor's) and a conflict resolution (only with an open conflict) are
    /// offered by the case view, which knows the tree and the conflicts.
    public static func availableActions(on state: CaseState, context: ActionContext) -> [ActionName] {
        ActionName.allCases.filter {
            !$0.isCommandOnly && !$0.isForced && $0 != .resolveConflict && allowedFrom[$0] != nil
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
            return ended(.handling)
        case .verifyClosure, .returnClosure:
            return state.awaitsClosureVerification ? nil : .notAwaitingVerification(status: state.status)
        case .evaluate:
            return state.awaitsClosureVerification ? .closureAwaitingVerification : nil
        case .requestReview:
            return state.awaitsClosureVerification ? .closureAwaitingVerification : ended(.reviewRequestWindow)
        case .requestReReview:
            return ended(.reReviewRequestWindow)
        case .supervisionFeedback:
            return state.openSupervision == nil ? .noOpenSupervision : nil
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
