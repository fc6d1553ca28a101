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
        switch action {
        case .recall(let by, _) where by != origin, .supervise(let by, _, _) where by != origin:
            return .invalid("by", "提办、督办只能由发起节点本身署名。")
        default:
            break
        }
        switch requester(of: action.name) {
        case .anyNode:
            return nil
        case .ancestorOfHolder:
            return topology.isAncestor(origin, of: state.holder) ? nil : notAncestor(action.name, origin: origin, holder: state.holder)
        case .holderOnly:
            return ValidationFailure(
                code: "holder-only",
                field: "action",
                detail: "操作 \(action.name.rawValue)（\(action.name.label)）只能由持有节点 \(state.holder) 执行，不能由其他节点以指令方式发起。"
            )
        }
    }

    /// Who may ask the holder for an action by a command.
    public enum Requester: Sendable {
        case anyNode
        case ancestorOfHolder
        case holderOnly
    }

    /// The one table of who may request which action of a holder.
    public static func requester(of name: ActionName) -> Requester {
        switch name {
        case .comment, .repeatPetition: .anyNode
        case .recall, .supervise, .offer, .requestReview, .requestReReview: .ancestorOfHolder
        default: .holderOnly
        }
    }

    /// Whether `node` may send a command of this name for a case held by `holder`.
    public static func mayRequest(_ name: ActionName, from node: NodeID, holder: NodeID, topology: Topology) -> Bool {
        switch requester(of: name) {
        case .anyNode: topology.contains(node)
        case .ancestorOfHolder: topology.isAncestor(node, of: holder)
        case .holderOnly: false
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
