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

    /// Completes an action as the holder applies it: a review goes to the handler's ancestor the
    /// policy names, a re-review to the reviewer's; an escalation to the holder's parent.
    public func completed(_ action: CaseAction, holder: NodeID) -> CaseAction {
        switch action {
        case .requestReview(let reason, nil):
            return .requestReview(reason: reason, reviewer: topology.ancestor(of: holder, levelsUp: policy.reviewLevelsUp))
        case .requestReReview(let reason, nil):
            return .requestReReview(reason: reason, reviewer: topology.ancestor(of: holder, levelsUp: policy.reReviewLevelsUp))
        default:
            return action
        }
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

    /// The delay before attempt `attempts + 1`; `jitter` in 0..<1 spreads retries by ±20 %.
    public static func retryDelay(attempts: Int, jitter: Double) -> Double {
        let base = min(retryDelayMaxSeconds, firstRetrySeconds * pow(2, Double(min(max(attempts - 1, 0), 20))))
        return base * (0.8 + 0.4 * jitter)
    }
}
