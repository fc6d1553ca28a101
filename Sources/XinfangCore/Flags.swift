public import Foundation

/// What the reconciliation job flags (DESIGN §5).
public enum FlagKind: String, Codable, Sendable, CaseIterable {
    /// 交办/转送 offered, neither accepted nor declined within the limit.
    case offerStuck
    /// Declined back to the offerer, not re-routed within the limit.
    case declinedNotRerouted
    /// A command (提办, 督办, 改派, …) made here and not applied by the holder within the limit.
    case commandUndelivered
    /// A 交办 closure reported to the assigner, not verified or returned within the limit.
    case closureAwaitingVerification
    /// A fork from a forced takeover whose losing branch no person has settled.
    case conflict
    /// Anti-entropy found a case behind at a peer and could not repair it within the limit.
    case replicaBehind
    /// Anti-entropy found a case whose heads fork between this node and a peer.
    case replicaDiverged
    /// A link whose deliveries have failed for longer than the limit.
    case peerUnreachable
    /// Outbox items a peer refused too often: they wait for a person.
    case deadItems
    /// A statutory deadline passed unmet (each kind separately), or a 督办's feedback is late.
    case overdue
    /// The holder's level contradicts the ownership policy for the case's phase.
    case policy
    /// A file of the case file whose bytes this node has lacked longer than the limit (issue 17).
    case blobMissing

    public var label: String {
        switch self {
        case .offerStuck: "交办/转送待接收超时"
        case .declinedNotRerouted: "退回后未重新分流"
        case .commandUndelivered: "指令未送达执行"
        case .closureAwaitingVerification: "交办件办结待审核认定超时"
        case .conflict: "强制接管冲突待处理"
        case .replicaBehind: "副本落后"
        case .replicaDiverged: "副本分叉"
        case .peerUnreachable: "与上下级系统连接中断"
        case .deadItems: "同步条目被拒收待人工处理"
        case .overdue: "超期"
        case .policy: "持有层级不符合归属策略"
        case .blobMissing: "信访材料文件未同步到位"
        }
    }

    /// What to do about it.
    public var remedy: String {
        switch self {
        case .offerStuck: "催促接收机关在异议期内接收或退回；必要时由上级提办或强制接管。"
        case .declinedNotRerouted: "办理机关应重新交办、转送、上报或作出受理/不予受理决定。"
        case .commandUndelivered: "检查与办理机关之间的系统连接（运维人员查看同步出站队列）；连接恢复后指令将自动送达。"
        case .closureAwaitingVerification: "交办机关应审核认定办结或退回重办。"
        case .conflict: "办理机关核实双方操作后，采纳或驳回失败分支。"
        case .replicaBehind: "对账将持续补齐；仍不一致时请联系运维人员。"
        case .replicaDiverged: "两级系统中同一信访件的记录不一致：核对冲突并联系运维人员。"
        case .peerUnreachable: "请运维人员检查对方系统的服务与网络；恢复后积压的信访件将自动补发。"
        case .deadItems: "请系统管理员在同步队列（GET /api/v1/sync/outbox）查看被拒收条目的原因，修复后重新投递（POST /api/v1/sync/outbox/redeliver?peer=对端节点）。"
        case .overdue: "办理机关应尽快办理；需要时依法延期或由上级督办。"
        case .policy: "按归属策略将信访件交办、转送或上报至应持有的层级。"
        case .blobMissing: "系统将继续向相邻机关补取该文件；长时间未补齐请运维人员检查上下级连接及对方的材料存储。"
        }
    }

    /// Kinds that only the node that raised them can see (its outbox, its commands, its anti-entropy
    /// exchange); they travel up in flag reports. The others every node computes from its replicas.
    public var isNodeLocal: Bool {
        switch self {
        case .commandUndelivered, .replicaBehind, .replicaDiverged, .peerUnreachable, .deadItems, .blobMissing: true
        default: false
        }
    }
}

/// One flag: what, about which case or peer, since when, and what to do.
public struct Flag: Codable, Equatable, Sendable {
    public var kind: FlagKind
    /// The case number, peer id or command id the flag is about.
    public var subject: String
    /// Distinguishes flags of one kind on one subject (the deadline kind for `overdue`).
    public var detailKey: String
    public var caseNumber: CaseNumber?
    /// The node the flag concerns (the holder of a case, the peer of a link).
    public var node: NodeID
    /// The node whose reconciliation raised it.
    public var raisedBy: NodeID
    /// When the condition began (the limit passed), independent of when the job noticed.
    public var since: Date
    public var detail: String

    public init(
        kind: FlagKind,
        subject: String,
        detailKey: String = "",
        caseNumber: CaseNumber?,
        node: NodeID,
        raisedBy: NodeID,
        since: Date,
        detail: String
    ) {
        self.kind = kind
        self.subject = subject
        self.detailKey = detailKey
        self.caseNumber = caseNumber
        self.node = node
        self.raisedBy = raisedBy
        self.since = since
        self.detail = detail
    }

    /// The identity of an open flag.
    public var key: String { "\(raisedBy)|\(kind.rawValue)|\(subject)|\(detailKey)" }
}

/// The reconciliation job's thresholds, in seconds (configuration, with these defaults).
public struct ReconciliationLimits: Codable, Equatable, Sendable {
    /// An offer neither accepted nor declined (default 3 days, about the 5-working-day objection period).
    public var offerStuckSeconds: Double = 3 * 86_400
    /// A decline not followed by a new routing (default 3 days).
    public var declinedSeconds: Double = 3 * 86_400
    /// A command not applied by the holder (default 1 day).
    public var commandSeconds: Double = 86_400
    /// A 交办 closure not verified (default 15 days).
    public var closureVerificationSeconds: Double = 15 * 86_400
    /// A link failing (default 1 hour).
    public var peerUnreachableSeconds: Double = 3_600
    /// A replica difference anti-entropy could not repair (default 1 hour).
    public var replicaSeconds: Double = 3_600
    /// A file of the case file not yet fetched from the neighbours (default 1 hour).
    public var blobMissingSeconds: Double = 3_600
    /// How often the job runs (default 5 minutes).
    public var intervalSeconds: Double = 300

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ReconciliationLimits()
        offerStuckSeconds = try c.decodeIfPresent(Double.self, forKey: .offerStuckSeconds) ?? d.offerStuckSeconds
        declinedSeconds = try c.decodeIfPresent(Double.self, forKey: .declinedSeconds) ?? d.declinedSeconds
        commandSeconds = try c.decodeIfPresent(Double.self, forKey: .commandSeconds) ?? d.commandSeconds
        closureVerificationSeconds = try c.decodeIfPresent(Double.self, forKey: .closureVerificationSeconds) ?? d.closureVerificationSeconds
        peerUnreachableSeconds = try c.decodeIfPresent(Double.self, forKey: .peerUnreachableSeconds) ?? d.peerUnreachableSeconds
        replicaSeconds = try c.decodeIfPresent(Double.self, forKey: .replicaSeconds) ?? d.replicaSeconds
        blobMissingSeconds = try c.decodeIfPresent(Double.self, forKey: .blobMissingSeconds) ?? d.blobMissingSeconds
        intervalSeconds = try c.decodeIfPresent(Double.self, forKey: .intervalSeconds) ?? d.intervalSeconds
    }

    /// Checks that every threshold is positive and at most a year.
    public func validated() throws(ValidationFailure) -> ReconciliationLimits {
        let all: [(String, Double)] = [
            ("offerStuckSeconds", offerStuckSeconds), ("declinedSeconds", declinedSeconds), ("commandSeconds", commandSeconds),
            ("closureVerificationSeconds", closureVerificationSeconds), ("peerUnreachableSeconds", peerUnreachableSeconds),
            ("replicaSeconds", replicaSeconds), ("blobMissingSeconds", blobMissingSeconds), ("intervalSeconds", intervalSeconds),
        ]
        for (field, value) in all where !(1...(366 * 86_400)).contains(value) {
            throw .invalid("reconciliation.\(field)", "对账阈值 \(field) 必须在 1 秒到 366 天之间。")
        }
        return self
    }
}

/// The flags a case's own state raises at any node that holds a replica of it.
public enum CaseFlags {
    /// The flags `state` raises at `now`, and the first instant from which the same state may raise
    /// others (a limit or a deadline not yet passed at `now`; nil when only a new state can): until
    /// then the answer holds, so a reconciliation round need not evaluate an unchanged state again.
    /// A flag's `since` and detail come from the state, never from `now`.
    public static func evaluate(
        _ state: CaseState,
        at node: NodeID,
        now: Date,
        calendar: DeadlineCalendar,
        limits: ReconciliationLimits,
        hierarchy: Hierarchy?
    ) -> (flags: [Flag], changesAt: Date?) {
        var flags: [Flag] = []
        var changesAt: Date?
        // A flag raised once the time condition holds; until it does, the answer may change at `instant`.
        func when(_ holds: Bool, from instant: Date, _ raise: () -> Void) {
            if holds { raise() } else { changesAt = min(changesAt ?? instant, instant) }
        }
        func flag(_ kind: FlagKind, _ key: String = "", since: Date, about: NodeID? = nil, _ detail: String) {
            flags.append(
                Flag(
                    kind: kind,
                    subject: state.caseNumber.rawValue,
                    detailKey: key,
                    caseNumber: state.caseNumber,
                    node: about ?? state.holder,
                    raisedBy: node,
                    since: since,
                    detail: detail
                )
            )
        }
        // Organs by name, days in the calendar's civil time: the flag is read by officers.
        func name(_ id: NodeID) -> String { hierarchy?.topology.node(id)?.name ?? id.rawValue }
        if state.status == .offered, let offer = state.pendingOffer {
            let since = offer.offeredAt.addingTimeInterval(limits.offerStuckSeconds)
            when(now >= since, from: since) {
                flag(.offerStuck, since: since, "\(name(offer.from)) 于 \(calendar.civilDate(of: offer.offeredAt)) 交给 \(name(offer.to))，至今未接收也未退回。")
            }
        }
        if state.status == .declined, let decline = state.lastDecline {
            let since = (decline.declinedAt ?? state.lastEventAt).addingTimeInterval(limits.declinedSeconds)
            when(now >= since, from: since) {
                flag(.declinedNotRerouted, since: since, "\(name(decline.to)) 退回后，\(name(state.holder)) 尚未重新分流。")
            }
        }
        if state.awaitsClosureVerification, let closedAt = state.closedAt {
            let since = closedAt.addingTimeInterval(limits.closureVerificationSeconds)
            when(now >= since, from: since) {
                flag(.closureAwaitingVerification, since: since, "办结报告于 \(calendar.civilDate(of: closedAt)) 报送 \(name(state.holder))，尚未审核认定。")
            }
        }
        if !state.status.isFinal {
            for deadline in state.deadlines(calendar: calendar) where deadline.kind.isObligation && deadline.metAt == nil {
                when(now > deadline.dueAt, from: deadline.dueAt) {
                    flag(.overdue, deadline.kind.rawValue, since: deadline.dueAt, "\(deadline.kind.label)已于 \(deadline.dueDate) 届满。")
                }
            }
            if let supervision = state.openSupervision {
                let due = supervision.feedbackDue(calendar: calendar)
                when(now > due, from: due) {
                    flag(
                        .overdue,
                        "supervisionFeedback",
                        since: due,
                        "\(name(supervision.by)) 的督办要求于 \(calendar.dueDay(of: supervision.dueAt)) 前反馈，尚未反馈。"
                    )
                }
            }
        }
        if let hierarchy, let expected = expectedHolderLevel(state, hierarchy: hierarchy),
            let level = hierarchy.topology.node(state.holder)?.level, level != expected
        {
            flag(.policy, since: state.lastEventAt, "当前阶段应由\(expected.label)办理，实际办理机关 \(name(state.holder)) 为\(level.label)。")
        }
        return (flags, changesAt)
    }

    /// The level the ownership policy expects to hold the case in its current phase; nil where the
    /// policy says nothing (intake, offers in flight, finished cases, a matter outside the tree).
    public static func expectedHolderLevel(_ state: CaseState, hierarchy: Hierarchy) -> Level? {
        guard let handler = hierarchy.handler(for: state.registration.issueRegion) else { return nil }
        switch state.status {
        case .accepted, .extended, .replied: return handler.level
        case .closed where state.assignment != nil: return state.assignment.flatMap { hierarchy.topology.node($0.assigner)?.level }
        case .reviewRequested, .reReviewRequested:
            // The reviewer the request went to (the level above the organ that handled the
            // matter, or above the accused organ), as the policy routed it.
            let stage = state.status == .reviewRequested ? state.review : state.reReview
            return (stage?.reviewer).flatMap { hierarchy.topology.node($0)?.level }
        default: return nil
        }
    }
}
