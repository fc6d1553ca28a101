import Foundation

/// What a node needs to take part in the hierarchy: the tree, its own signing key, and the policy.
public struct Hierarchy: Sendable {
    public var topology: Topology
    public var key: NodeKey
    public var policy: OwnershipPolicy

    public init(topology: Topology, key: NodeKey, policy: OwnershipPolicy = .standard) {
        self.topology = topology
        self.key = key
        self.policy = policy
    }

    /// The node that should handle a matter of `region` under the policy (属地管理).
    public func handler(for region: RegionCode) -> TopologyNode? {
        topology.node(at: policy.handlingLevel, containing: region)
    }

    /// 越级访: the petition was registered two or more levels above the node that should handle it.
    public func isSkipLevel(registeredAt node: NodeID, region: RegionCode) -> Bool {
        guard let handler = handler(for: region), topology.isAncestor(node, of: handler.id) else { return false }
        return topology.depth(of: handler.id) - topology.depth(of: node) >= 2
    }

    /// Completes an action as the holder applies it: the node parameters the policy names, never
    /// the client's. A review goes to the level above the organ that issued the reply, a
    /// re-review to the level above the reviewer (`ReviewRouting`); an escalation to the holder's
    /// parent. Where the policy would hand a 检举控告 to the accused organ, the case goes to the
    /// level above it and the action says why (`AccusedOrgan.route`).
    public func completed(_ action: CaseAction, state: CaseState) -> CaseAction {
        switch action {
        case .requestReview(let reason, _, _):
            let routed = ReviewRouting.reviewer(for: state, hierarchy: self).flatMap {
                AccusedOrgan.route(to: $0, for: state, topology: topology, stage: "复查")
            }
            return .requestReview(reason: reason, reviewer: routed?.node, routing: routed?.note)
        case .requestReReview(let reason, _, _):
            let routed = ReviewRouting.reReviewer(for: state, hierarchy: self).flatMap {
                AccusedOrgan.route(to: $0, for: state, topology: topology, stage: "复核")
            }
            return .requestReReview(reason: reason, reviewer: routed?.node, routing: routed?.note)
        case .escalate(let to, let reason, _):
            // To the parent, unless it is the accused organ; the explanation is the node's alone.
            guard to == topology.parent(of: state.holder), let routed = AccusedOrgan.route(to: to, for: state, topology: topology, stage: "上报")
            else { return .escalate(to: to, reason: reason, routing: nil) }
            return .escalate(to: routed.node, reason: reason, routing: routed.note)
        default:
            return action
        }
    }
}

/// Who reviews (复查) and re-reviews (复核) a matter (条例 Art. 35, 36; R30, R31): the level above
/// the organ that handled it, and the level above the reviewer, wherever the case is held when
/// the petitioner asks. After a 交办 the case is held by the assigner for verification, but the
/// handler is still the county whose 处理意见 the petitioner contests, so the review goes to the
/// county's parent, not to the assigner's.
public enum ReviewRouting {
    /// The organ whose opinion a review contests: the one that issued the reply (处理意见), else the
    /// one that accepted the matter (受理), else the holder.
    public static func reviewedOrgan(of state: CaseState) -> NodeID { state.reply?.by ?? state.handler ?? state.holder }

    /// The organ whose opinion a re-review contests: the reviewer that decided the review.
    public static func reReviewedOrgan(of state: CaseState) -> NodeID { state.review?.decision?.by ?? state.review?.reviewer ?? state.holder }

    /// The reviewer the policy names (`reviewLevelsUp` above the reviewed organ); nil at the top of
    /// the tree, where the review is recorded by the holder itself (the level above lies outside it).
    public static func reviewer(for state: CaseState, hierarchy: Hierarchy) -> NodeID? {
        hierarchy.topology.ancestor(of: reviewedOrgan(of: state), levelsUp: hierarchy.policy.reviewLevelsUp)
    }

    /// The re-reviewer the policy names (`reReviewLevelsUp` above the reviewer).
    public static func reReviewer(for state: CaseState, hierarchy: Hierarchy) -> NodeID? {
        hierarchy.topology.ancestor(of: reReviewedOrgan(of: state), levelsUp: hierarchy.policy.reReviewLevelsUp)
    }
}

/// When an undelivered outbox item is tried again (DESIGN §4: exponential backoff with jitter).
public enum DeliveryPolicy {
    public static let firstRetrySeconds = 0.2
    public static let retryDelayMaxSeconds = 5.0
    /// A peer that rejects an item this many times will not accept it: the item is dead and flagged.
    public static let rejectedAttemptsMax = 8
    /// Items per packet and events per packet.
    public static let itemsPerPacketMax = 200
    public static let eventsPerPacketMax = 2_000
    /// The largest packet body a node accepts (`PeerLimits.packetBytesMax`).
    public static let packetBytesMax = 8 << 20
    /// What a packet's runs and commands may take of it, as they are written in its body: the
    /// rest is kept for the packet's own fields. A registration may carry 20,000 characters of
    /// text and 200 petitioners, an opinion 20,000 characters, so 200 items of the events' limit
    /// alone could be a packet the receiver refuses as too large, again at every attempt.
    public static let packetContentBytesMax = packetBytesMax - (64 << 10)

    /// The delay before attempt `attempts + 1`; `jitter` in 0..<1 spreads retries by ±20 %.
    public static func retryDelay(attempts: Int, jitter: Double) -> Double {
        let base = min(retryDelayMaxSeconds, firstRetrySeconds * pow(2, Double(min(max(attempts - 1, 0), 20))))
        return base * (0.8 + 0.4 * jitter)
    }
}
