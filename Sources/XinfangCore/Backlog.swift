/// The phase of open work a case is in, for the backlog (积案/在办 by stage).
public enum BacklogPhase: String, Codable, Sendable, CaseIterable {
    /// Awaiting the intake decision or an offer's answer (登记、转送、交办 pending).
    case intake
    /// 办理: accepted, being handled, or replied and awaiting the closure.
    case handling
    /// A 交办 closure awaiting the assigner's verification (审核认定办结).
    case verification
    /// 复查.
    case review
    /// 复核.
    case reReview

    public var label: String {
        switch self {
        case .intake: "受理阶段"
        case .handling: "办理阶段"
        case .verification: "待审核认定"
        case .review: "复查阶段"
        case .reReview: "复核阶段"
        }
    }
}

extension CaseStatus {
    /// The backlog phase of an open case in this status; nil when the status is not open work.
    public var backlogPhase: BacklogPhase? {
        switch self {
        case .registered, .received, .declined, .offered: .intake
        case .accepted, .extended, .replied: .handling
        case .closed: .verification  // open work only for a 交办 closure (`CaseState.isBacklog`)
        case .reviewRequested: .review
        case .reReviewRequested: .reReview
        default: nil
        }
    }
}

/// How long ago an open case was received (收件日期, whole civil days), in the buckets the
/// supervision teams use.
public enum AgeBucket: String, Codable, Sendable, CaseIterable {
    case upTo15 = "0-15"
    case from16To30 = "16-30"
    case from31To60 = "31-60"
    case from61To90 = "61-90"
    case over90 = "90+"

    /// The bucket of an age in whole days.
    public init(days: Int) {
        switch days {
        case ...15: self = .upTo15
        case 16...30: self = .from16To30
        case 31...60: self = .from31To60
        case 61...90: self = .from61To90
        default: self = .over90
        }
    }

    /// The bucket's first day (its lower bound), for SQL.
    public var firstDay: Int {
        switch self {
        case .upTo15: 0
        case .from16To30: 16
        case .from31To60: 31
        case .from61To90: 61
        case .over90: 91
        }
    }

    public var label: String {
        switch self {
        case .upTo15: "15天以内"
        case .from16To30: "16–30天"
        case .from31To60: "31–60天"
        case .from61To90: "61–90天"
        case .over90: "90天以上"
        }
    }
}

/// The open work of one node (or, summed, of a subtree): every field is additive.
public struct BacklogCounts: Codable, Equatable, Sendable {
    /// Open cases held.
    public var open = 0
    /// By `CaseStatus.rawValue`.
    public var byStatus: [String: Int] = [:]
    /// By `BacklogPhase.rawValue`.
    public var byPhase: [String: Int] = [:]
    /// By `AgeBucket.rawValue`: how many whole days ago they were received (收件日期).
    public var byAge: [String: Int] = [:]
    /// Open cases whose next obligation is past due.
    public var overdue = 0
    /// Open cases whose next obligation ends within the yellow days (临期, `DueLight.yellow`).
    public var dueSoon = 0
    /// … by the kind of that obligation (`DeadlineKind.rawValue`).
    public var overdueByKind: [String: Int] = [:]
    /// 交办 cases accepted by the holder whose closure report is still owed to the assigner.
    public var awaitingClosureReport = 0
    /// Cases with a 督办 still awaiting the holder's written feedback.
    public var awaitingSupervisionFeedback = 0
    /// … of them past the feedback date.
    public var supervisionFeedbackOverdue = 0
    /// Open reconciliation flags raised about this node's cases and links, by `FlagKind.rawValue`.
    public var flagsByKind: [String: Int] = [:]

    public init() {}

    /// Open flags of the kinds that mean a case is stuck between or at levels.
    public var stuck: Int {
        let kinds: [FlagKind] = [.offerStuck, .declinedNotRerouted, .commandUndelivered, .closureAwaitingVerification, .conflict]
        return kinds.reduce(0) { $0 + (flagsByKind[$1.rawValue] ?? 0) }
    }

    /// Open cases neither overdue nor due soon (绿灯).
    public var onTime: Int { open - overdue - dueSoon }

    /// All open flags.
    public var flags: Int { flagsByKind.values.reduce(0, +) }

    public mutating func add(_ other: BacklogCounts) {
        open += other.open
        byStatus.merge(other.byStatus, uniquingKeysWith: +)
        byPhase.merge(other.byPhase, uniquingKeysWith: +)
        byAge.merge(other.byAge, uniquingKeysWith: +)
        overdue += other.overdue
        dueSoon += other.dueSoon
        overdueByKind.merge(other.overdueByKind, uniquingKeysWith: +)
        awaitingClosureReport += other.awaitingClosureReport
        awaitingSupervisionFeedback += other.awaitingSupervisionFeedback
        supervisionFeedbackOverdue += other.supervisionFeedbackOverdue
        flagsByKind.merge(other.flagsByKind, uniquingKeysWith: +)
    }
}

extension Topology {
    /// Sums per-node values over the subtree of `root` (the root and every node below it).
    public func subtreeSum<Value>(
        of root: NodeID,
        _ perNode: [NodeID: Value],
        zero: Value,
        add: (inout Value, Value) -> Void
    ) -> Value {
        var total = zero
        for (node, value) in perNode where isInSubtree(node, of: root) { add(&total, value) }
        return total
    }

    /// Every node of the subtree of `root`, the root first, then depth-first in topology order.
    public func subtree(of root: NodeID) -> [NodeID] {
        [root] + children(of: root).flatMap { subtree(of: $0) }
    }
}
