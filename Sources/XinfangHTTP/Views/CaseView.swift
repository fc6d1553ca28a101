import Foundation
import XinfangCore
import XinfangStore

/// The whole of a case as `GET /api/v1/cases/{caseNumber}` shows it: the materialised state, the
/// computed deadlines, what may be done next, routing advice, and the chain.
struct CaseView: Encodable {
    var state: CaseState
    var deadlines: [DeadlineView]
    var allowedActions: [ActionName]
    var commandActions: [ActionName]
    var routing: RoutingView
    var pendingCommands: [CaseCommand]
    var conflicts: [ConflictView] = []
    var flags: [FlagView] = []
    var chain: [EventView]?
    /// Whole days since the receipt (收件日期).
    var ageDays = 0
    /// The light of the next obligation; absent for a finished case.
    var light: DueLight?
    /// The 查询码 in clear, for a role that reads personal data (to hand to the petitioner).
    var lookupCode: String?

    enum ExtraKeys: String, CodingKey {
        case statusLabel, ageDays, light, deadlines, allowedActions, commandActions, routing, pendingCommands, conflicts, flags, chain
        case lookupCode
    }

    func encode(to encoder: any Encoder) throws {
        try state.encode(to: encoder)
        var c = encoder.container(keyedBy: ExtraKeys.self)
        try c.encode(state.status.label, forKey: .statusLabel)
        try c.encode(ageDays, forKey: .ageDays)
        try c.encodeIfPresent(light, forKey: .light)
        try c.encode(deadlines, forKey: .deadlines)
        try c.encode(allowedActions, forKey: .allowedActions)
        try c.encode(commandActions, forKey: .commandActions)
        try c.encode(routing, forKey: .routing)
        try c.encode(pendingCommands, forKey: .pendingCommands)
        try c.encode(conflicts, forKey: .conflicts)
        try c.encode(flags, forKey: .flags)
        try c.encodeIfPresent(chain, forKey: .chain)
        try c.encodeIfPresent(lookupCode, forKey: .lookupCode)
    }

    /// The whole view of a case: loads its chain and the commands made here that are still pending.
    /// Personal data is masked unless `unmask` (for a role allowed to read it; the caller audits).
    init(state: CaseState, services: NodeServices, now: Date, unmask: Bool = false) async throws {
        let events = try await services.database.events(of: state.caseNumber).map { event in
            var e = event
            if case .register(let r) = e.body { e.body = .register(try Self.privacy(r, unmask: unmask, services: services)) }
            return e
        }
        let pending = try await services.database.pendingCommands(for: state.caseNumber)
        self.init(state: state, events: events, pendingCommands: pending, services: services, now: now)
        self.state.registration = try Self.privacy(state.registration, unmask: unmask, services: services)
        if unmask, let seal = state.lookup { self.lookupCode = try services.database.personalData.openLookupCode(seal).description }
        var flagQuery = FlagQuery()
        flagQuery.caseNumber = state.caseNumber
        self.flags = try await services.database.flags(matching: flagQuery).map(FlagView.init)
        let conflicts = try await services.database.conflicts(of: state.caseNumber)
        if !conflicts.isEmpty {
            let tree = EventTree(try await services.database.allEvents(of: state.caseNumber))
            self.conflicts = conflicts.map { ConflictView($0, tree: tree, chain: events) }
            if state.holder == services.identity.id, conflicts.contains(where: { $0.resolvedAt == nil }) {
                allowedActions.append(.resolveConflict)
            }
        }
    }

    static func privacy(_ r: CaseRegistration, unmask: Bool, services: NodeServices) throws -> CaseRegistration {
        unmask ? try r.revealed(by: services.database.personalData) : r.masked()
    }

    init(state: CaseState, events: [CaseEvent]?, pendingCommands: [CaseCommand], services: NodeServices, now: Date) {
        self.state = state
        let calendar = services.database.calendar
        let me = services.identity.id
        let hierarchy = services.database.hierarchy
        let lights = services.lights(now: now)
        self.deadlines = state.deadlines(calendar: calendar).map { DeadlineView($0, now: now, lights: lights, calendar: calendar) }
        self.ageDays = DueLightRule.age(receivedAt: state.registration.receivedAt, now: now, calendar: calendar)
        self.light =
            state.nextObligation(calendar: calendar).map { DueLight.of(dueAt: $0.dueAt, now: now, rule: lights) }
            ?? (state.isBacklog ? .green : nil)
        self.allowedActions = Lifecycle.availableActions(
            on: state,
            context: ActionContext(node: me, now: now, calendar: calendar, topology: hierarchy?.topology)
        )
        .filter { name in
            guard name.needsHierarchy else { return true }
            return name == .escalate && hierarchy?.topology.parent(of: me) != nil
        }
        // What this node may ask the holder for (as a command), when it does not hold the case.
        self.commandActions = ActionName.allCases.filter { name in
            guard state.holder != me, let hierarchy, name != .repeatPetition,
                Lifecycle.allowedFrom[name]?.contains(state.status) ?? false
            else { return false }
            let reviewer = CommandPolicy.reviewerFor(name, state: state, hierarchy: hierarchy)
            return CommandPolicy.mayRequest(name, from: me, holder: state.holder, reviewer: reviewer, topology: hierarchy.topology)
        }
        if let hierarchy, CommandPolicy.mayTakeOver(node: me, holder: state.holder, topology: hierarchy.topology),
            Lifecycle.allowedFrom[.takeOver]?.contains(state.status) ?? false
        {
            self.allowedActions.append(.takeOver)
        }
        self.routing = RoutingView(state: state, services: services)
        self.pendingCommands = pendingCommands
        self.chain = events?.map(EventView.init)
    }
}

struct DeadlineView: Encodable {
    var kind: DeadlineKind
    var label: String
    var dueDate: CivilDate
    var dueAt: Date
    var metAt: Date?
    var overdue: Bool
    var open: Bool
    /// 红黄绿 while the organ's obligation is unmet; absent once met or for a petitioner's window.
    var light: DueLight?
    /// Whole days past the due date while unmet (0 otherwise).
    var daysOverdue: Int

    init(_ d: Deadline, now: Date, lights: DueLightRule, calendar: DeadlineCalendar) {
        kind = d.kind
        label = d.kind.label
        dueDate = d.dueDate
        dueAt = d.dueAt
        metAt = d.metAt
        overdue = d.isOverdue(now: now)
        open = d.isOpen(now: now)
        let running = d.kind.isObligation && d.metAt == nil
        light = running ? DueLight.of(dueAt: d.dueAt, now: now, rule: lights) : nil
        daysOverdue = running ? DueLightRule.daysOverdue(dueDate: d.dueDate, now: now, calendar: calendar) : 0
    }
}

/// Whether the matter belongs here under the ownership policy, or awaits transfer (属地管理).
struct RoutingView: Encodable {
    var handlingLevel: Level
    var handledHere: Bool
    var awaitsTransfer: Bool
    /// The node the policy names for the matter, when this node knows the topology.
    var competentNode: NodeID?
    /// 越级访: registered two or more levels above the competent node.
    var skipLevel: Bool
    var note: String

    init(state: CaseState, services: NodeServices) {
        let policy = services.policy
        let identity = services.identity
        let region = state.registration.issueRegion
        handlingLevel = policy.handlingLevel
        handledHere = policy.handlesHere(region: region, nodeLevel: identity.level, nodeArea: identity.area)
        awaitsTransfer = !handledHere && CaseStatus.intake.contains(state.status) && state.holder == identity.id
        let hierarchy = services.database.hierarchy
        competentNode = hierarchy?.handler(for: region)?.id
        skipLevel = hierarchy?.isSkipLevel(registeredAt: state.registeredAtNode, region: region) ?? false
        let target = competentNode.map { "（\($0)）" } ?? ""
        note =
            handledHere
            ? "问题属地 \(region) 属本节点（\(identity.name)）办理范围。"
            : "问题属地 \(region) 应由\(policy.handlingLevel.rawValue)级有权处理机关\(target)办理；本节点已登记，待转送/交办。"
    }
}

/// A fork of the case shown to both sides: what the winning chain and the losing branch each did
/// from the fork on, and whether a person has settled it.
struct ConflictView: Encodable {
    var conflict: CaseConflict
    var winning: [EventView]
    var losing: [EventView]

    init(_ conflict: CaseConflict, tree: EventTree, chain: [CaseEvent]) {
        self.conflict = conflict
        winning = chain.filter { $0.seq >= conflict.forkSeq }.map(EventView.init)
        losing = tree.path(to: conflict.loserHead).filter { $0.seq >= conflict.forkSeq }.map(EventView.init)
    }

    enum ExtraKeys: String, CodingKey { case winning, losing }

    func encode(to encoder: any Encoder) throws {
        try conflict.encode(to: encoder)
        var c = encoder.container(keyedBy: ExtraKeys.self)
        try c.encode(winning, forKey: .winning)
        try c.encode(losing, forKey: .losing)
    }
}

struct EventView: Encodable {
    var seq: Int
    var epoch: Int
    var kind: String
    var label: String
    var origin: NodeID
    var actor: String
    var at: Date
    var hlc: String
    var hash: String
    var prevHash: String?
    var signature: String?
    var payload: CaseEventBody
    var command: CaseCommand?
    var format: Int

    init(_ e: CaseEvent) {
        format = e.format
        seq = e.seq
        epoch = e.epoch
        kind = e.body.kind
        label = e.body.label
        origin = e.origin
        actor = e.actor
        at = e.date
        hlc = e.time.description
        hash = e.hash
        prevHash = e.prevHash
        signature = e.signature
        payload = e.body
        command = e.command
    }
}

/// One row of `GET /api/v1/cases`.
struct CaseSummaryView: Encodable {
    var caseNumber: CaseNumber
    var status: CaseStatus
    var statusLabel: String
    var holder: NodeID
    var registeredAt: Date
    var registeredAtNode: NodeID
    var channel: Channel
    var category: ContentCategory
    var issueRegion: RegionCode
    var summary: String
    var leadPetitioner: String?
    var urgent: Bool
    var nextDeadline: DeadlineView?
    /// 收件日期 (the receipt the registration or ledger gives) and the whole days since.
    var receivedAt: Date
    var ageDays: Int
    /// The light of the next obligation; absent for a finished case.
    var light: DueLight?
    var daysOverdue: Int

    init(_ s: CaseState, calendar: DeadlineCalendar, now: Date, lights: DueLightRule) {
        caseNumber = s.caseNumber
        status = s.status
        statusLabel = s.status.label
        holder = s.holder
        registeredAt = s.registeredAt
        registeredAtNode = s.registeredAtNode
        channel = s.registration.channel
        category = s.registration.category
        issueRegion = s.registration.issueRegion
        summary = s.registration.summary
        leadPetitioner = s.registration.leadPetitioner.map { Masking.name($0.name) }
        urgent = s.registration.urgent
        nextDeadline = s.nextObligation(calendar: calendar).map { DeadlineView($0, now: now, lights: lights, calendar: calendar) }
        receivedAt = s.registration.receivedAt
        ageDays = DueLightRule.age(receivedAt: s.registration.receivedAt, now: now, calendar: calendar)
        light = nextDeadline?.light ?? (s.isBacklog ? .green : nil)
        daysOverdue = nextDeadline?.daysOverdue ?? 0
    }
}

struct CaseListView: Encodable {
    var items: [CaseSummaryView]
    var nextCursor: String?
    /// How many cases match the filters in all (every page), counted up to `CaseQuery.countMax`.
    var total: Int
    /// false when more than `total` match.
    var totalIsExact: Bool

    enum CodingKeys: String, CodingKey { case items, nextCursor, total, totalIsExact }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(items, forKey: .items)
        try c.encode(total, forKey: .total)
        try c.encode(totalIsExact, forKey: .totalIsExact)
        try c.encode(nextCursor, forKey: .nextCursor)  // null on the last page, never absent
    }
}

/// The answer to an action by a node that does not hold the case (202).
struct CommandAccepted: Encodable {
    var commandId: String
    var caseNumber: CaseNumber
    var action: ActionName
    var status: String
    var holder: NodeID
    var routedTo: NodeID?
    var detail: String

    /// A command just sent, pending at its holder.
    init(_ command: CaseCommand, holder: NodeID, nextHop: NodeID?, detail: String) {
        commandId = command.id
        caseNumber = command.caseNumber
        action = command.action.name
        status = CommandStatus.pending.rawValue
        self.holder = holder
        routedTo = nextHop
        self.detail = detail
    }
}
