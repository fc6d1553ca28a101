public import Foundation
public import XinfangCore
import XinfangStore

/// A node as the supervision views name it.
struct NodeRef: Encodable, Sendable, Equatable {
    var id: NodeID
    var name: String
    var level: String
    var levelLabel: String
}

/// The subtree a report covers: a root (this node or one below it) and every node under it.
struct SupervisionScope: Sendable {
    let root: NodeID
    /// The root first, then depth-first in topology order.
    let nodes: [NodeID]
    let topology: Topology?
    let identity: NodeIdentity

    /// The scope rooted at `node` (this node when nil); refuses a node outside this node's subtree.
    init(services: NodeServices, node: NodeID?) throws(ValidationFailure) {
        identity = services.identity
        topology = services.database.hierarchy?.topology
        let root = node ?? identity.id
        if let topology {
            guard topology.contains(root), topology.isInSubtree(root, of: identity.id) else {
                throw ValidationFailure(
                    code: "node-not-in-subtree",
                    field: "node",
                    detail: "节点 \(root) 不在本节点（\(identity.id)）的辖区内。"
                )
            }
            nodes = topology.subtree(of: root)
        } else {
            guard root == identity.id else {
                throw ValidationFailure(code: "node-not-in-subtree", field: "node", detail: "节点 \(root) 不在本节点（\(identity.id)）的辖区内。")
            }
            nodes = [root]
        }
        self.root = root
    }

    /// The root's children (empty for a leaf or a standalone node).
    var children: [NodeID] { topology?.children(of: root) ?? [] }

    /// The nodes of the subtree of `node` (which must lie in this scope).
    func subtree(of node: NodeID) -> [NodeID] { topology?.subtree(of: node) ?? [node] }

    func ref(_ id: NodeID) -> NodeRef {
        if let node = topology?.node(id) {
            return NodeRef(id: id, name: node.name, level: node.level.rawValue, levelLabel: Self.levelLabel(node.level))
        }
        let level = id == identity.id ? identity.level : Level("unknown")
        return NodeRef(id: id, name: id == identity.id ? identity.name : id.rawValue, level: level.rawValue, levelLabel: Self.levelLabel(level))
    }

    static func levelLabel(_ level: Level) -> String { level.label }

    /// This node as the views name it.
    static func ref(services: NodeServices) -> NodeRef {
        (try? SupervisionScope(services: services, node: nil).ref(services.identity.id))
            ?? NodeRef(
                id: services.identity.id,
                name: services.identity.name,
                level: services.identity.level.rawValue,
                levelLabel: levelLabel(services.identity.level)
            )
    }

    /// Whether `node` is in this scope.
    func contains(_ node: NodeID) -> Bool { nodes.contains(node) }
}

/// Backlog counts as the API shows them: the additive counts and the two derived totals.
struct BacklogCountsView: Encodable, Sendable {
    var counts: BacklogCounts
    var stuck: Int { counts.stuck }
    var flags: Int { counts.flags }

    enum CodingKeys: String, CodingKey {
        case open, byStatus, byPhase, byAge, overdue, dueSoon, onTime, overdueByKind, awaitingClosureReport
        case awaitingSupervisionFeedback, supervisionFeedbackOverdue, flagsByKind, stuck, flags
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(counts.open, forKey: .open)
        try c.encode(counts.byStatus, forKey: .byStatus)
        try c.encode(counts.byPhase, forKey: .byPhase)
        try c.encode(counts.byAge, forKey: .byAge)
        try c.encode(counts.overdue, forKey: .overdue)
        try c.encode(counts.dueSoon, forKey: .dueSoon)
        try c.encode(counts.onTime, forKey: .onTime)
        try c.encode(counts.overdueByKind, forKey: .overdueByKind)
        try c.encode(counts.awaitingClosureReport, forKey: .awaitingClosureReport)
        try c.encode(counts.awaitingSupervisionFeedback, forKey: .awaitingSupervisionFeedback)
        try c.encode(counts.supervisionFeedbackOverdue, forKey: .supervisionFeedbackOverdue)
        try c.encode(counts.flagsByKind, forKey: .flagsByKind)
        try c.encode(stuck, forKey: .stuck)
        try c.encode(flags, forKey: .flags)
    }
}

/// One row of a backlog report: a node, and its own or its subtree's counts.
struct BacklogEntry: Encodable, Sendable {
    var node: NodeRef
    var counts: BacklogCountsView
}

/// `GET /api/v1/backlog`: the open work of a subtree, per node, per level, per child subtree.
struct BacklogReport: Encodable, Sendable {
    var node: NodeRef
    var asOf: Date
    /// The whole subtree.
    var subtree: BacklogCountsView
    /// The root node's own work.
    var own: BacklogCountsView
    /// Each child's subtree: the drill-down.
    var children: [BacklogEntry]
    /// Every node of the subtree with its own work, root first.
    var nodes: [BacklogEntry]
    /// Summed per level (`province`, `city`, `county`, …).
    var byLevel: [String: BacklogCountsView]
    /// The cases that changed hands most often.
    var movedMost: [MovedCase]

    static let movedMostLimit = 10

    init(scope: SupervisionScope, services: NodeServices, now: Date) async throws {
        let database = services.database
        // Two reads on two cores: the counts, and the list of cases that moved most.
        async let moved = database.movedMost(in: Set(scope.nodes), limit: Self.movedMostLimit)
        let perNode = try await database.backlog(now: now, lights: services.lights(now: now))
        func sum(_ nodes: [NodeID]) -> BacklogCounts {
            nodes.reduce(into: BacklogCounts()) { total, id in perNode[id].map { total.add($0) } }
        }
        node = scope.ref(scope.root)
        asOf = now
        subtree = BacklogCountsView(counts: sum(scope.nodes))
        own = BacklogCountsView(counts: perNode[scope.root] ?? BacklogCounts())
        children = scope.children.map { BacklogEntry(node: scope.ref($0), counts: BacklogCountsView(counts: sum(scope.subtree(of: $0)))) }
        nodes = scope.nodes.map { BacklogEntry(node: scope.ref($0), counts: BacklogCountsView(counts: perNode[$0] ?? BacklogCounts())) }
        var levels: [String: BacklogCounts] = [:]
        for entry in nodes { levels[entry.node.level, default: BacklogCounts()].add(entry.counts.counts) }
        byLevel = levels.mapValues(BacklogCountsView.init)
        movedMost = try await moved
    }
}

/// Indicator counts with the rates computed from them.
struct IndicatorView: Encodable, Sendable {
    var counts: IndicatorCounts
    var indicators: Indicators

    init(_ counts: IndicatorCounts) {
        self.counts = counts
        indicators = Indicators(counts)
    }
}

/// One row of a stats report: a node's own or its subtree's indicators.
struct StatsEntry: Encodable, Sendable {
    var node: NodeRef
    var stats: IndicatorView
}

/// `GET /api/v1/stats`: the indicators of a subtree for a period, its own and per child subtree.
struct StatsReport: Encodable, Sendable {
    var node: NodeRef
    /// The first day of the period (China Standard Time).
    var from: CivilDate
    /// The last day of the period, included.
    var to: CivilDate
    var asOf: Date
    var subtree: IndicatorView
    var own: IndicatorView
    var children: [StatsEntry]

    /// The longest period one request may cover.
    static let periodDaysMax = 3_660

    init(scope: SupervisionScope, database: NodeDatabase, from: CivilDate, to: CivilDate, now: Date) async throws {
        let offset = database.calendar.utcOffsetSeconds
        let perUnit = try await database.indicatorCounts(
            from: from.startOfDay(utcOffsetSeconds: offset),
            to: to.adding(days: 1).startOfDay(utcOffsetSeconds: offset),
            now: now
        )
        func sum(_ nodes: [NodeID]) -> IndicatorCounts { IndicatorCounts.sum(nodes.compactMap { perUnit[$0] }) }
        node = scope.ref(scope.root)
        self.from = from
        self.to = to
        asOf = now
        subtree = IndicatorView(sum(scope.nodes))
        own = IndicatorView(perUnit[scope.root] ?? IndicatorCounts())
        children = scope.children.map { StatsEntry(node: scope.ref($0), stats: IndicatorView(sum(scope.subtree(of: $0)))) }
    }
}

/// The JSON bodies of `GET /api/v1/backlog` and `GET /api/v1/stats` exactly as the routes make
/// them, for benchmarks that time the work of a request without the network.
public enum SupervisionBodies {
    public static func backlog(_ services: NodeServices, node: NodeID? = nil) async throws -> Data {
        let report = try await BacklogReport(
            scope: SupervisionScope(services: services, node: node),
            services: services,
            now: services.clock.now()
        )
        return try APIJSON.encoder.encode(report)
    }

    public static func stats(_ services: NodeServices, from: CivilDate, to: CivilDate, node: NodeID? = nil) async throws -> Data {
        let report = try await StatsReport(
            scope: SupervisionScope(services: services, node: node),
            database: services.database,
            from: from,
            to: to,
            now: services.clock.now()
        )
        return try APIJSON.encoder.encode(report)
    }
}
