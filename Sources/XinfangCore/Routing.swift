/// Where events and commands go in the tree (DESIGN §4). Pure: the store calls it inside the
/// transaction that appends or receives an event, so forwarding is enqueued atomically with it.
public enum Routing {
    /// The adjacent nodes a case's new events must be sent to from `node`:
    /// the parent (every ancestor replicates its subtree), and each child whose subtree holds a
    /// participant of the case (a holder, an offer's receiver, a reviewer) — never back to the
    /// node the events came from.
    public static func replicationPeers(for state: CaseState, at node: NodeID, topology: Topology, receivedFrom: NodeID?) -> [NodeID] {
        var peers: [NodeID] = []
        if let parent = topology.parent(of: node), parent != receivedFrom { peers.append(parent) }
        for child in topology.children(of: node) where child != receivedFrom {
            if state.participants.contains(where: { topology.isInSubtree($0, of: child) }) { peers.append(child) }
        }
        return peers
    }

    /// The adjacent node a command for a case held by `holder` (as known here) goes to next;
    /// towards the parent when the case is unknown here. nil at the holder, or at the root with
    /// nowhere to send it.
    public static func commandNextHop(holder: NodeID?, at node: NodeID, topology: Topology) -> NodeID? {
        guard let holder else { return topology.parent(of: node) }
        return topology.nextHop(from: node, to: holder)
    }
}

/// Which node may ask for which action on a case it does not hold (DESIGN §3: everything a
/// non-holder wants travels as a command to the holder).
public enum CommandPolicy {
    /// Why `origin` may not send `action` to the holder, or nil when it may.
    public static func refusal(of action: CaseAction, from origin: NodeID, state: CaseState, topology: Topology) -> ValidationFailure? {
        guard topology.contains(origin) else {
            return ValidationFailure(code: "unknown-node", field: nil, detail: "节点 \(origin) 不在拓扑中。")
        }
        let isAncestor = topology.isAncestor(origin, of: state.holder)
        switch action {
        case .comment, .repeatPetition:
            return nil
        case .recall(let by, _), .supervise(let by, _, _):
            guard by == origin else { return .invalid("by", "提办、督办只能由发起节点本身署名。") }
            return isAncestor ? nil : notAncestor(action.name, origin: origin, holder: state.holder)
        case .offer, .requestReview, .requestReReview:
            return isAncestor ? nil : notAncestor(action.name, origin: origin, holder: state.holder)
        default:
            return ValidationFailure(
                code: "holder-only",
                field: "action",
                detail: "操作 \(action.name.rawValue)（\(action.name.label)）只能由持有节点 \(state.holder) 执行，不能由其他节点以指令方式发起。"
            )
        }
    }

    static func notAncestor(_ name: ActionName, origin: NodeID, holder: NodeID) -> ValidationFailure {
        ValidationFailure(
            code: "not-an-ancestor",
            field: "action",
            detail: "操作 \(name.rawValue)（\(name.label)）只能由持有节点 \(holder) 的上级节点发起；\(origin) 不是其上级。"
        )
    }
}
