public import Foundation
public import XinfangCore
import XinfangService
public import XinfangStore
public import XinfangSync

/// The simulation driven step by step by a test: the same nodes, network and invariants as a
/// seeded run, with the workload and the faults named by the script.
extension Simulation {
    /// A hierarchy of fresh nodes with a perfect network until the script says otherwise.
    public static func scripted(directory: URL, seed: UInt64 = 1) async throws -> Simulation {
        let simulation = Simulation(options: SimulationOptions(seed: seed, steps: 0, faults: false, directory: directory))
        try? FileManager.default.removeItem(at: directory)
        for node in await simulation.topology.nodes { try await simulation.restart(node.id) }
        return simulation
    }

    public func store(_ node: NodeID) -> NodeDatabase? { stores[node] }

    public var currentTime: Date { time }

    /// Moves the simulated time (every node's clock) forward.
    public func wait(seconds: Double) { advance(seconds: seconds) }

    public func cut(_ a: NodeID, _ b: NodeID) { partitioned.insert(Self.link(a, b)) }

    public func mend(_ a: NodeID, _ b: NodeID) { partitioned.remove(Self.link(a, b)) }

    public func stop(_ node: NodeID) { crash(node) }

    /// Packets carrying chains or commands between `a` and `b` are lost; small ones (digests, flag
    /// reports) pass: a link that drops what is large.
    public func blockItems(_ a: NodeID, _ b: NodeID) { itemsBlocked.insert(Self.link(a, b)) }

    public func unblockItems(_ a: NodeID, _ b: NodeID) { itemsBlocked.remove(Self.link(a, b)) }

    /// `node`'s clock: the simulated time and its skew.
    public func clockTime(at node: NodeID) -> Date { now(node) }

    /// Sets `node`'s clock this far from the simulated time.
    public func skewClock(_ node: NodeID, seconds: Double) {
        skew[node] = seconds
        advance(seconds: 0)
    }

    /// One reconciliation round at `node` (flags, anti-entropy with the parent, the flag report).
    @discardableResult
    public func reconcile(at node: NodeID, limits: ReconciliationLimits = ReconciliationLimits()) async throws -> ReconciliationRound {
        try await reconciliationService(node, limits: limits).runOnce()
    }

    /// The open flags at `node`.
    public func openFlags(at node: NodeID) async throws -> [Flag] {
        var query = FlagQuery()
        query.limit = FlagQuery.limitMax
        return try await stores[node]!.flags(matching: query).map(\.flag)
    }

    public func start(_ node: NodeID) async throws { try await restart(node) }

    /// Registers a petition at `node` about `region`; `edit` changes the standard registration
    /// (channel, petitioners, links to earlier cases, …) before it is submitted.
    public func register(
        at node: NodeID,
        region: String,
        _ edit: @Sendable (inout CaseRegistration) -> Void = { _ in }
    ) async throws -> CaseNumber {
        var registration = Self.registration(region: region, at: now(node), person: nextPerson())
        edit(&registration)
        let (state, _) = try await service(node).register(registration, by: .officer("登记员"))
        acknowledged.append((node, state.caseNumber, state.headHash))
        return state.caseNumber
    }

    /// The holder `node` applies an action (refusals are thrown).
    @discardableResult
    public func act(at node: NodeID, _ number: CaseNumber, _ action: CaseAction) async throws -> CaseState {
        try await applied(at: node, number, action, by: "承办人")
    }

    /// `node` sends a command to the holder, through the application layer as a user would.
    public func command(at node: NodeID, _ number: CaseNumber, _ action: CaseAction) async throws -> CaseCommand {
        guard case .commanded(let command, _, _) = try await service(node).act(action, on: number, by: .officer("督查员")) else {
            throw ScriptError.notACommand(node, number)
        }
        return command
    }

    /// A command made at `node`'s store directly, past the application layer's checks at the
    /// origin: what a misbehaving or outdated node would send, for tests of the holder's refusal.
    public func rawCommand(at node: NodeID, _ number: CaseNumber, _ action: CaseAction) async throws -> CaseCommand {
        try await stores[node]!.submitCommand(caseNumber: number, action: action, actor: "督查员", now: now(node))
    }

    /// `node` takes the case over from the holder it knows.
    @discardableResult
    public func forceTakeOver(at node: NodeID, _ number: CaseNumber) async throws -> CaseState {
        try await applied(at: node, number, .takeOver(by: node, reason: "持有节点无响应"), by: "督查员")
    }

    /// An action `node` appends itself (the holder's, or a takeover), through the application layer.
    func applied(at node: NodeID, _ number: CaseNumber, _ action: CaseAction, by actor: String) async throws -> CaseState {
        guard case .applied(let state) = try await service(node).act(action, on: number, by: .officer(actor)) else {
            throw ScriptError.notTheHolder(node, number)
        }
        acknowledged.append((node, number, state.headHash))
        return state
    }

    /// Delivers over every link that is up until nothing more moves (bounded); returns the packets delivered.
    @discardableResult
    public func settle(rounds: Int = 50) async throws -> Int {
        var total = 0
        for _ in 0..<rounds {
            advance(seconds: 6)
            let delivered = await runDueLoops()
            total += delivered
            if delivered == 0 { break }
        }
        return total
    }

    /// Heals everything, settles, and checks every invariant of a seeded run; the failures.
    public func healAndCheck() async throws -> [String] {
        let rounds = try await heal()
        var failures = try await checkInvariants()
        if rounds > options.livenessRoundsMax { failures.insert("no convergence within \(options.livenessRoundsMax) rounds", at: 0) }
        return failures
    }

    func nextPerson() -> Int {
        persons += 1
        return persons
    }

    /// The petitioner numbered `person`: a distinct name, valid ID number and mobile per number.
    public static func petitioner(_ person: Int) -> Petitioner {
        let first17 = String(format: "430102%04d0101%03d", 1950 + person / 1000 % 50, person % 1000)
        return Petitioner(
            name: "信访人\(person)",
            idType: .residentIdentityCard,
            idNumber: first17 + String(MainlandIDNumber.checkCharacter(for: first17)!),
            mobile: String(format: "139%08d", person),
            isLead: true
        )
    }

    /// The standard registration of the scripted runs: a 拖欠农民工工资 visit about `region` by `person`.
    public static func registration(region: String, at date: Date, person: Int) -> CaseRegistration {
        CaseRegistration(
            channel: .visit,
            petitioners: [petitioner(person)],
            purpose: .request,
            category: ContentCategory("劳动和社会保障", "劳动关系", "拖欠农民工工资"),
            issueRegion: RegionCode(rawValue: region),
            summary: "反映拖欠工资",
            text: "某公司拖欠工资，请求督促支付。",
            respondent: "某公司",
            receivedAt: date,
            registeredBy: "登记员"
        )
    }
}

/// A script step that did not go the way the script said.
public enum ScriptError: Error, CustomStringConvertible {
    /// The node does not hold the case: the action went to the holder as a command.
    case notTheHolder(NodeID, CaseNumber)
    /// The node holds the case: the action was applied here, not sent.
    case notACommand(NodeID, CaseNumber)

    public var description: String {
        switch self {
        case .notTheHolder(let node, let number): "\(node) does not hold \(number): the action was sent to the holder as a command"
        case .notACommand(let node, let number): "\(node) holds \(number): the action was applied, not sent"
        }
    }
}
