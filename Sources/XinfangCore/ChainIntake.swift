/// What a node does with a run of a case's events from a neighbour (DESIGN §5): a pure decision
/// from the run, what the node holds of the case, and which events it knows. The store persists
/// the decision (`NodeDatabase.receive`); it decides nothing itself.
public enum ChainIntake {
    /// What the node holds of the case before the run.
    public struct Local: Sendable, Equatable {
        public var headSeq: Int
        public var headHash: String

        public init(headSeq: Int, headHash: String) {
            self.headSeq = headSeq
            self.headHash = headHash
        }
    }

    public enum Decision: Sendable, Equatable {
        /// Every event is known here.
        case duplicate
        /// Events before the run are missing: the sender resends from `head` (0: the whole chain).
        case gap(head: Int, detail: String)
        /// The run is refused as it is (`code`, `detail`); nothing is written.
        case refuse(code: ItemReceipt.Code, detail: String)
        /// The run is not one case's consecutive, linked events: refused, with no head to report.
        case malformed(code: ItemReceipt.Code, detail: String)
        /// New events that continue the local head (or open the case here).
        case extend([CaseEvent])
        /// New events that branch off a known event other than the head: the fork rule decides.
        case fork([CaseEvent])
    }

    /// The decision on `events` (one case's consecutive events, oldest first). `isKnown` says
    /// whether an event with that hash is stored here, on any branch; `verifiedHeads` holds the
    /// hashes whose signatures were already checked (in parallel, before the transaction);
    /// `inBounds` is true when every event of `events` was found within the bounds already
    /// (`CaseEventBody.boundsFailure`, the same check, made before the transaction).
    public static func decide(
        _ events: [CaseEvent],
        local: Local?,
        isKnown: (String) throws -> Bool,
        topology: Topology,
        verifiedHeads: Set<String> = [],
        inBounds: Bool = false
    ) rethrows -> Decision {
        guard let first = events.first else { return .malformed(code: .emptyChain, detail: "no events") }
        guard events.allSatisfy({ $0.caseNumber == first.caseNumber }),
            zip(events, events.dropFirst()).allSatisfy({ $0.seq + 1 == $1.seq && $1.prevHash == $0.hash })
        else {
            return .malformed(code: .invalidChain, detail: "a chain item holds consecutive, linked events of one case")
        }
        let head = local?.headSeq ?? 0
        // An event is known by its hash, whatever branch it is on; what is new must be a suffix.
        var known = 0
        for event in events {
            guard try isKnown(event.hash) else { break }
            known += 1
        }
        let fresh = Array(events.dropFirst(known))
        guard let newFirst = fresh.first, let last = fresh.last else { return .duplicate }
        guard try fresh.allSatisfy({ try !isKnown($0.hash) }) else {
            return .refuse(code: .invalidChain, detail: "a known event follows an unknown one")
        }
        if newFirst.prevHash == nil, local != nil {
            return .refuse(code: .diverged, detail: "a different registration of this case number is stored here")
        }
        guard try newFirst.prevHash.map(isKnown) ?? true else {
            // Behind: ask for what follows the head. On another branch at that position: ask for
            // the whole chain, whose known prefix is skipped.
            return newFirst.seq > head + 1
                ? .gap(head: head, detail: "events after \(head) are missing")
                : .gap(head: 0, detail: "event \(newFirst.seq - 1) here is on another branch; send the chain from its start")
        }
        guard let signer = topology.node(last.origin), verifiedHeads.contains(last.hash) || signer.verifies(last) else {
            return .refuse(code: .badSignature, detail: "the head event's signature does not verify against its origin's key")
        }
        guard fresh.allSatisfy({ topology.contains($0.origin) }) else {
            return .refuse(code: .unknownNode, detail: "an event's origin is not in the topology")
        }
        // What the events say must lie within the bounds this node's own events keep (already
        // known when every event of the run was checked before the transaction: `inBounds`).
        if !inBounds {
            for event in fresh {
                if let failure = event.body.boundsFailure { return .refuse(code: .outOfBounds, detail: "event \(event.seq): \(failure)") }
            }
        }
        if let local, newFirst.prevHash != local.headHash { return .fork(fresh) }
        return .extend(fresh)
    }

    /// Folds `events` onto `state`; the refusal when one hands a 检举控告 to the accused organ (or a
    /// unit below it). A chain that does not fold throws.
    public static func fold(_ events: ArraySlice<CaseEvent.Checked>, onto state: inout CaseState, topology: Topology) throws(ChainError) -> Decision?
    {
        for checked in events {
            let event = checked.event
            let before = state.holder
            try state.apply(checked, topology: topology)
            if state.holder != before, AccusedOrgan.forbids(state.holder, for: state, topology: topology) {
                return .refuse(
                    code: .respondentNode,
                    detail: "event \(event.seq) hands the complaint to \(state.holder), the accused organ or a unit below it"
                )
            }
        }
        return nil
    }
}
