/// How a node takes a user's action request: which parameters are the node's to fill in, whether
/// it needs the tree, whether the user may, and whether it is appended here (the holder, an
/// assigner's verification, a takeover) or sent to the holder as a signed command. Pure: the
/// application layer (`CaseService`) asks, the store's transaction applies.
public enum ActionAdmission {
    /// Where an admitted action goes.
    public enum Route: Equatable, Sendable {
        /// Appended here, in this node's store.
        case append
        /// Sent to the holder as a signed command, first to `nextHop`.
        case command(holder: NodeID, nextHop: NodeID?)
    }

    /// The user's request with the node's own parameters filled in and the client's word for
    /// them dropped, parsed into an action. The escalation goes to this node's parent; a recall,
    /// supervision or takeover is signed by this node; a review's reviewer and a route's reason are
    /// the node's to name; a repeat petition is only ever made by registration.
    public static func action(from request: ActionFields, node: NodeID, hierarchy: Hierarchy?) throws -> CaseAction {
        var fields = request
        if let name = fields.action.flatMap(ActionName.init(rawValue:)), name.needsHierarchy {
            guard let hierarchy else {
                throw PolicyRefusal(
                    .needsHierarchy,
                    field: "action",
                    detail: "操作 \(name.rawValue)（\(name.label)）需要上下级节点同步，本节点未配置层级拓扑。"
                )
            }
            switch name {
            case .escalate:
                guard let parent = hierarchy.topology.parent(of: node) else {
                    throw PolicyRefusal(.noParent, field: "action", detail: "本节点是最上级节点，无处上报。")
                }
                fields.to = parent.rawValue
            case .recall, .supervise, .takeOver: fields.by = node.rawValue
            case .repeatPetition:
                throw PolicyRefusal(.holderOnly, field: "action", detail: "重复信访由登记新件时关联旧件自动发出，不能直接提交。")
            default: break
            }
        }
        if fields.action == ActionName.requestReview.rawValue || fields.action == ActionName.requestReReview.rawValue {
            fields.reviewer = nil
        }
        fields.routing = nil
        let action = try CaseAction(fields: fields)
        if case .offer(let to, _, _, _) = action, to != node, !(hierarchy?.topology.contains(to) ?? false) {
            throw PolicyRefusal(
                .unknownNode,
                field: "to",
                detail: hierarchy == nil
                    ? "节点 \(to) 不是本节点已知的上下级节点；本节点尚未配置层级拓扑，不能交办或转送。"
                    : "节点 \(to) 不在拓扑中。"
            )
        }
        return action
    }

    /// Whether a user with `permissions` (whose role is `role`) may take the action at all.
    public static func permit(_ action: CaseAction, permissions: Set<Permission>, roleLabel: String) throws(PolicyRefusal) {
        guard permissions.contains(action.permission) else {
            throw PolicyRefusal(
                .notPermitted,
                field: nil,
                detail: "当前账号（\(roleLabel)）无权执行操作 \(action.name.rawValue)（\(action.name.label)）。"
            )
        }
    }

    /// Appended here or commanded: a node that does not hold the case sends every action but a
    /// takeover to the holder, if the policy lets it ask and the case's status allows the action.
    public static func route(_ action: CaseAction, on state: CaseState, node: NodeID, hierarchy: Hierarchy?) throws -> Route {
        guard state.holder != node, let hierarchy, !action.name.isForced else { return .append }
        if let refusal = CommandPolicy.refusal(of: action, from: node, state: state, hierarchy: hierarchy) { throw refusal }
        guard Lifecycle.allowedFrom[action.name]?.contains(state.status) ?? false else {
            throw LifecycleError.illegalTransition(action: action.name, status: state.status, allowed: [])
        }
        return .command(holder: state.holder, nextHop: Routing.commandNextHop(holder: state.holder, at: node, topology: hierarchy.topology))
    }
}
