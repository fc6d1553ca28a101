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

/// Which node may take which action on a case (DESIGN §3). One table, `authority(of:)`: the
/// holder appends; the assigner verifies a 交办 closure; any ancestor of the holder may recall,
/// supervise or take over; the holder's parent alone reassigns; the holder's parent or the
/// reviewer the policy names (`ReviewRouting`) asks for a review or re-review on the
/// petitioner's behalf; any node may comment or report a repeat petition. Everything but the holder's own actions and a takeover
/// travels to the holder as a command.
public enum CommandPolicy {
    /// Who may take an action.
    public enum Authority: String, Sendable, CaseIterable {
        /// The holder of the moment, at its own node.
        case holder
        /// The holder, and only when it is the assigner of a 交办 whose closure it verifies.
        case assigner
        /// Any ancestor of the holder (by command, or a forced takeover at its own node).
        case anyAncestor
        /// The holder at its own node, or any ancestor of it by command (the case file: a
        /// superior adds material to the case it supervises).
        case holderOrAncestor
        /// The holder's parent only (by command).
        case parentOnly
        /// The holder's parent, or the organ the policy names to review (by command): a petitioner
        /// asks the level above the organ that handled the matter, wherever the case is held.
        case reviewer
        /// Any node of the tree (by command).
        case anyNode
    }

    /// The one table of who may take which action.
    public static func authority(of name: ActionName) -> Authority {
        switch name {
        // A petitioner rates and asks for a new 查询码 at whichever level they reach.
        case .comment, .repeatPetition, .evaluate, .reissueLookupCode: .anyNode
        case .recall, .supervise, .takeOver: .anyAncestor
        case .offer: .parentOnly
        case .requestReview, .requestReReview: .reviewer
        case .verifyClosure, .returnClosure: .assigner
        case .attach, .withdrawAttachment: .holderOrAncestor
        case .issueNotice: .holderOrAncestor
        case .serveNotice: .holder
        default: .holder
        }
    }

    /// Whether `node` may take the action on a case held by `holder`, apart from the lifecycle:
    /// by appending it (holder, assigner, takeover) or by sending a command.
    public static func may(
        _ name: ActionName,
        node: NodeID,
        holder: NodeID,
        assigner: NodeID?,
        reviewer: NodeID? = nil,
        topology: Topology
    ) -> Bool {
        if node == holder {
            switch authority(of: name) {
            case .holder, .anyNode, .parentOnly, .reviewer, .holderOrAncestor: return !name.isCommandOnly
            case .assigner: return assigner == node
            case .anyAncestor: return false
            }
        }
        if name.isForced { return mayTakeOver(node: node, holder: holder, topology: topology) }
        return mayRequest(name, from: node, holder: holder, reviewer: reviewer, topology: topology)
    }

    /// Why `origin` may not send `action` to the holder, or nil when it may.
    public static func refusal(of action: CaseAction, from origin: NodeID, state: CaseState, hierarchy: Hierarchy) -> PolicyRefusal? {
        let topology = hierarchy.topology
        guard topology.contains(origin) else {
            return PolicyRefusal(.unknownNode, field: nil, detail: "节点 \(origin) 不在拓扑中。")
        }
        switch action {
        case .recall(let by, _) where by != origin, .supervise(let by, _, _) where by != origin:
            return PolicyRefusal(.signedByAnother, field: "by", detail: "提办、督办只能由发起节点本身署名。")
        default:
            break
        }
        if action.name.isForced {
            return PolicyRefusal(.notACommand, field: "action", detail: "强制接管在上级节点本地执行，不作为指令发送。")
        }
        // A node's own command on a case it holds (a repeat registered where the earlier case is
        // held, or offered to): what any node may ask for, the holder records.
        if origin == state.holder, authority(of: action.name) == .anyNode { return nil }
        let reviewer = reviewerFor(action.name, state: state, hierarchy: hierarchy)
        guard mayRequest(action.name, from: origin, holder: state.holder, reviewer: reviewer, topology: topology) else {
            switch authority(of: action.name) {
            case .reviewer:
                return PolicyRefusal(
                    .notTheReviewer,
                    field: "action",
                    detail: "操作 \(action.name.rawValue)（\(action.name.label)）只能由持有节点 \(state.holder) 本身、其直接上级或依规应受理的机关"
                        + (reviewer.map { " \($0)" } ?? "") + " 发起；\(origin) 都不是。"
                )
            case .anyAncestor, .holderOrAncestor: return notAncestor(action.name, origin: origin, holder: state.holder)
            case .parentOnly:
                return PolicyRefusal(
                    .notTheParent,
                    field: "action",
                    detail: "操作 \(action.name.rawValue)（\(action.name.label)）只能由持有节点 \(state.holder) 的直接上级发起；\(origin) 不是。"
                )
            default:
                return PolicyRefusal(
                    .holderOnly,
                    field: "action",
                    detail: "操作 \(action.name.rawValue)（\(action.name.label)）只能由持有节点 \(state.holder) 执行，不能由其他节点以指令方式发起。"
                )
            }
        }
        return nil
    }

    /// The organ the policy names for a review or re-review request of this case, nil for other actions.
    public static func reviewerFor(_ name: ActionName, state: CaseState, hierarchy: Hierarchy) -> NodeID? {
        switch name {
        case .requestReview: ReviewRouting.reviewer(for: state, hierarchy: hierarchy)
        case .requestReReview: ReviewRouting.reReviewer(for: state, hierarchy: hierarchy)
        default: nil
        }
    }

    /// Whether `node` (not the holder) may send a command of this name for a case held by `holder`;
    /// `reviewer` is the organ the policy names for a review request (`reviewerFor`).
    public static func mayRequest(_ name: ActionName, from node: NodeID, holder: NodeID, reviewer: NodeID? = nil, topology: Topology) -> Bool {
        guard node != holder, !name.isForced else { return false }
        switch authority(of: name) {
        case .anyNode: return topology.contains(node)
        case .anyAncestor, .holderOrAncestor: return topology.isAncestor(node, of: holder)
        case .parentOnly: return topology.parent(of: holder) == node
        case .reviewer: return topology.parent(of: holder) == node || (reviewer == node && topology.contains(node))
        case .holder, .assigner: return false
        }
    }

    /// Whether `node` may take the case over from `holder` (it must be an ancestor).
    public static func mayTakeOver(node: NodeID, holder: NodeID, topology: Topology) -> Bool {
        node != holder && topology.isAncestor(node, of: holder)
    }

    static func notAncestor(_ name: ActionName, origin: NodeID, holder: NodeID) -> PolicyRefusal {
        PolicyRefusal(
            .notAnAncestor,
            field: "action",
            detail: "操作 \(name.rawValue)（\(name.label)）只能由持有节点 \(holder) 的上级节点发起；\(origin) 不是其上级。"
        )
    }
}
