/// Where a case stands in its lifecycle (domain rules §2 and §8).
public enum CaseStatus: String, Codable, Sendable, CaseIterable {
    /// 已登记: registered here, to be accepted, forwarded or disposed of.
    case registered
    /// 待接收: offered to another node, which holds the token and must accept or decline.
    case offered
    /// 已接收: received by handoff (转送/交办), to be accepted, forwarded or disposed of.
    case received
    /// 已退回: the receiver declined; the token is back with the offerer, who must re-route.
    case declined
    /// 不予受理.
    case rejected
    /// 诉访分离: routed to litigation, arbitration or another statutory channel.
    case routedOut
    /// 不再受理.
    case refusedRepeat
    /// 已受理: notice given (受理告知), handling period running.
    case accepted
    /// 已延期: the one extension was approved.
    case extended
    /// 已出具处理意见.
    case replied
    /// 已办结 (for 交办: closure reported, awaiting verification by the assigner).
    case closed
    /// 已审核认定办结.
    case closureVerified
    /// 已评价.
    case evaluated
    /// 复查中.
    case reviewRequested
    /// 已复查.
    case reviewDecided
    /// 复核中.
    case reReviewRequested
    /// 已复核.
    case reReviewDecided
    /// 已终结.
    case terminated
    /// 已退单: handed back to the system that sent it (a 12345 hotline, a portal), with the reason.
    case returnedToSender

    public var label: String {
        switch self {
        case .registered: "已登记"
        case .offered: "待接收"
        case .received: "已接收待受理"
        case .declined: "已退回待重新分流"
        case .rejected: "不予受理"
        case .routedOut: "诉访分离"
        case .refusedRepeat: "不再受理"
        case .accepted: "已受理办理中"
        case .extended: "已延期办理中"
        case .replied: "已出具处理意见"
        case .closed: "已办结"
        case .closureVerified: "已审核认定办结"
        case .evaluated: "已评价"
        case .reviewRequested: "复查中"
        case .reviewDecided: "已复查"
        case .reReviewRequested: "复核中"
        case .reReviewDecided: "已复核"
        case .terminated: "已终结"
        case .returnedToSender: "已退单"
        }
    }

    /// States in which the matter awaits its intake decision (受理, forward, or disposal).
    public static let intake: Set<CaseStatus> = [.registered, .received, .declined]

    /// States after which only comments may follow.
    public var isFinal: Bool { [.rejected, .routedOut, .refusedRepeat, .terminated, .returnedToSender].contains(self) }

    /// Whether the case is open work for its holder (the backlog).
    public var isOpen: Bool { !isFinal && ![.closed, .closureVerified, .evaluated, .reviewDecided, .reReviewDecided].contains(self) }
}
