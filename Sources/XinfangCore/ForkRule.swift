/// How a fork is resolved (DESIGN §3), the same way at every node whatever order the branches
/// arrive in.
///
/// Two branches of one case share the events up to a fork point. They are compared at the first
/// position where they differ: the event with the higher epoch wins, then the one made at the
/// higher level (nearer the root), then the higher node id, then the higher hash. This is an order
/// on paths of the event tree, so every replica holding the same events picks the same head, and
/// the winner between two branches never changes once they have diverged.
public enum ForkRule {
    /// Whether `a` beats `b`, two different events at the same position.
    public static func prefers(_ a: CaseEvent, over b: CaseEvent, topology: Topology) -> Bool {
        if a.epoch != b.epoch { return a.epoch > b.epoch }
        let depthA = topology.depth(of: a.origin)
        let depthB = topology.depth(of: b.origin)
        if depthA != depthB { return depthA < depthB }
        if a.origin != b.origin { return a.origin.rawValue > b.origin.rawValue }
        return a.hash > b.hash
    }

    /// Compares two chains of one case, each from its registration in order.
    ///
    /// Returns nil when one is a prefix of the other (no fork), else the seq of the first differing
    /// position and whether `a` wins there.
    public static func compare(_ a: [CaseEvent], _ b: [CaseEvent], topology: Topology) -> (forkSeq: Int, aWins: Bool)? {
        for (x, y) in zip(a, b) where x.hash != y.hash {
            return (x.seq, prefers(x, over: y, topology: topology))
        }
        return nil
    }
}

/// Every stored event of one case, on every branch, as the tree their predecessor hashes make.
public struct EventTree: Sendable {
    public let events: [CaseEvent]
    let byHash: [String: CaseEvent]
    let children: [String: [CaseEvent]]
    let root: CaseEvent?

    public init(_ events: [CaseEvent]) {
        self.events = events
        var byHash: [String: CaseEvent] = [:]
        var children: [String: [CaseEvent]] = [:]
        var root: CaseEvent?
        for event in events {
            byHash[event.hash] = event
            if let parent = event.prevHash { children[parent, default: []].append(event) } else { root = event }
        }
        self.byHash = byHash
        self.children = children
        self.root = root
    }

    public func contains(_ hash: String) -> Bool { byHash[hash] != nil }

    /// Whether any event has more than one successor.
    public var isForked: Bool { children.values.contains { $0.count > 1 } }

    /// The chain from the registration to `hash`, in order; empty when the hash is unknown.
    public func path(to hash: String) -> [CaseEvent] {
        var path: [CaseEvent] = []
        var cursor = byHash[hash]
        while let event = cursor {
            path.append(event)
            cursor = event.prevHash.flatMap { byHash[$0] }
        }
        return path.reversed()
    }

    /// The chain every replica settles on (`ForkRule`): from the registration, the preferred
    /// successor at each step.
    public func winningChain(topology: Topology) -> [CaseEvent] {
        guard let root else { return [] }
        return descend(from: root, topology: topology)
    }

    func descend(from start: CaseEvent, topology: Topology) -> [CaseEvent] {
        var chain = [start]
        var cursor = start
        while let next = children[cursor.hash]?.max(by: { ForkRule.prefers($1, over: $0, topology: topology) }) {
            chain.append(next)
            cursor = next
        }
        return chain
    }

    /// A branch that lost at a fork: its first event (which names it), every event below it, and
    /// its own preferred head.
    public struct Branch: Sendable {
        public var first: CaseEvent
        public var events: [CaseEvent]
        public var head: CaseEvent
        /// The ends of the branch's own sub-branches (the head among them): sending the path to each
        /// leaf sends every event of the branch.
        public var leaves: [CaseEvent]
        /// The winning chain's event at the same position.
        public var winner: CaseEvent
    }

    /// Every losing branch, given the winning chain, in the order of their fork positions.
    public func losingBranches(winning chain: [CaseEvent], topology: Topology) -> [Branch] {
        let onChain = Set(chain.map(\.hash))
        var branches: [Branch] = []
        for (index, event) in chain.enumerated() {
            for child in children[event.hash] ?? [] where !onChain.contains(child.hash) {
                var below: [CaseEvent] = []
                var stack = [child]
                while let next = stack.popLast() {
                    below.append(next)
                    stack.append(contentsOf: children[next.hash] ?? [])
                }
                below.sort { ($0.seq, $0.hash) < ($1.seq, $1.hash) }
                let head = descend(from: child, topology: topology).last ?? child
                let winner = index + 1 < chain.count ? chain[index + 1] : child
                let leaves = below.filter { (children[$0.hash] ?? []).isEmpty }
                branches.append(Branch(first: child, events: below, head: head, leaves: leaves, winner: winner))
            }
        }
        return branches
    }
}

extension CaseEvent {
    /// Whether the event settles a conflict (冲突处理).
    public var isResolution: Bool {
        if case .act(.resolveConflict) = body { return true }
        return false
    }
}
