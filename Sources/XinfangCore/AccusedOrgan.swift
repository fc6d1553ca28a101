/// R16 (条例 Art. 30 ¶3, 46(5)): a 检举控告 is never handed to the organ it names, nor to a unit
/// inside that organ's subtree, by any route. One rule, asked by every route that hands a case on:
/// the lifecycle refuses an explicit handoff there (offer, 上报, 提办, takeover, a reviewer), the
/// policy routes (review, re-review, 上报 to the parent, the automatic 越级访 transfer) pass over
/// the organ to the level above it and say so in the event, and a receiver refuses a chain that
/// hands the case there.
public enum AccusedOrgan {
    /// The organ the case accuses, or nil when it is not a 检举控告 naming one.
    public static func respondent(of state: CaseState) -> NodeID? {
        state.registration.purpose == .accusation ? state.registration.respondentNode : nil
    }

    /// Whether handing the case to `node` hands it to the accused organ or a unit inside its subtree.
    public static func forbids(_ node: NodeID, for state: CaseState, topology: Topology?) -> Bool {
        guard let respondent = respondent(of: state) else { return false }
        return node == respondent || (topology?.isInSubtree(node, of: respondent) ?? false)
    }

    /// Where a policy that would send the case to `node` sends it instead: `node` itself when the
    /// rule allows it, else the parent of the accused organ (the next level up outside its
    /// subtree), with the sentence the event records; nil when no such level exists.
    public static func route(to node: NodeID, for state: CaseState, topology: Topology, stage: String) -> (node: NodeID, note: String?)? {
        guard forbids(node, for: state, topology: topology), let respondent = respondent(of: state) else { return (node, nil) }
        guard let above = topology.parent(of: respondent) else { return nil }
        let note = "\(stage)依规应由 \(node) 办理，但本件是反映 \(respondent) 的检举控告，依《信访工作条例》第三十条第三款不得交由被反映单位或其下级办理，改由上一级 \(above) 办理。"
        return (above, note)
    }
}
