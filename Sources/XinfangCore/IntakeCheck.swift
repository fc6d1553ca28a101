/// What an intake found about an earlier case of the same petitioner and matter (同人同事,
/// domain rules R40–R43), recorded in the registration so every level sees the same finding.
public struct IntakeFinding: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable {
        /// 重复信访: the matter is already known; the new case is linked and the earlier case's
        /// holder is told.
        case repeatPetition
        /// 越级访: the matter is already accepted at a level below; the new case is not accepted
        /// here but transferred to the node handling it.
        case skipLevel
        /// 不再受理: the matter was already re-reviewed (复核) or terminated.
        case refusedRepeat

        public var label: String {
            switch self {
            case .repeatPetition: "重复信访"
            case .skipLevel: "越级访"
            case .refusedRepeat: "不再受理"
            }
        }
    }

    public var kind: Kind
    /// The earlier case this finding rests on.
    public var earlierCase: CaseNumber
    /// Who held the earlier case when the intake looked.
    public var earlierHolder: NodeID

    public init(kind: Kind, earlierCase: CaseNumber, earlierHolder: NodeID) {
        self.kind = kind
        self.earlierCase = earlierCase
        self.earlierHolder = earlierHolder
    }
}

/// The intake rule: which earlier case of the same petitioner a new registration repeats, and what
/// follows (pure; the store finds the candidates through the petitioners' match keys).
public enum IntakeCheck {
    /// How many earlier cases of the same petitioners an intake reads at most.
    public static let candidatesMax = 200

    /// The finding for a registration at `node`, given earlier cases that share a petitioner.
    ///
    /// A candidate is the same matter when it has the same third-level category, or when the
    /// registrar linked it. Among them: one already re-reviewed or terminated means 不再受理; else
    /// one accepted (受理) and still open at a node strictly below `node` means 越级访; else the
    /// most recent one makes the new case a repeat. Nil when no candidate is the same matter.
    public static func finding(
        for registration: CaseRegistration,
        at node: NodeID,
        candidates: [CaseState],
        topology: Topology?
    ) -> IntakeFinding? {
        let same = candidates.filter {
            $0.registration.category.level3 == registration.category.level3 || registration.linkedCases.contains($0.caseNumber)
        }
        .sorted { ($0.registeredAt, $0.caseNumber.rawValue) > ($1.registeredAt, $1.caseNumber.rawValue) }
        if let done = same.first(where: { $0.status == .reReviewDecided || $0.status == .terminated }) {
            return IntakeFinding(kind: .refusedRepeat, earlierCase: done.caseNumber, earlierHolder: done.holder)
        }
        if let topology,
            let below = same.first(where: {
                $0.acceptedAt != nil && $0.isBacklog && $0.holder != node && topology.isAncestor(node, of: $0.holder)
            })
        {
            return IntakeFinding(kind: .skipLevel, earlierCase: below.caseNumber, earlierHolder: below.holder)
        }
        return same.first.map { IntakeFinding(kind: .repeatPetition, earlierCase: $0.caseNumber, earlierHolder: $0.holder) }
    }
}
