import Foundation
import Logging
import Synchronization
import XinfangCore
import XinfangService
import XinfangStore
import XinfangSync

extension SeededRandom {
    /// True with probability `percent` / 100.
    mutating func chance(_ percent: Double) -> Bool { Double.random(in: 0..<100, using: &self) < percent }
}

/// A node's clock in the simulation: the simulated time plus the node's skew.
final class SimulatedClock: NodeClock {
    let current: Mutex<Date>
    init(_ date: Date) { current = Mutex(date) }
    func now() -> Date { current.withLock { $0 } }
    func set(_ date: Date) { current.withLock { $0 = date } }
}

/// The nodes whose store signalled a commit that enqueued (their loops wake), collected by the
/// stores' signal handlers and drained by the simulation between steps.
final class SignalledNodes: Sendable {
    let nodes = Mutex<Set<NodeID>>([])
    func mark(_ node: NodeID) { nodes.withLock { _ = $0.insert(node) } }
    func drain() -> Set<NodeID> {
        nodes.withLock { n in
            defer { n.removeAll() }
            return n
        }
    }
}

/// The network between the simulated nodes: packets go straight to the receiver's real
/// `PacketReceiver`, unless the simulation drops, duplicates, delays or partitions them.
struct SimulatedTransport: PacketTransport {
    let simulation: Simulation
    func send(_ body: Data, signature: String, from: NodeID, to peer: TopologyNode) async -> TransportResult {
        await simulation.carry(body, signature: signature, from: from, to: peer.id)
    }
}

/// A deterministic simulation of the whole example hierarchy (province, 2 cities, 4 counties) in
/// one process, on the real Core, Store and Sync code: each node has its own SQLite file, packets
/// travel through the real packet receiver, and time, faults and workload come from one seed.
///
/// A run has a fault phase (workload and faults interleaved), then a liveness phase (every link
/// healed, every node up, clocks agreed) that must converge within a bound, then the invariants.
public actor Simulation {
    let options: SimulationOptions
    var random: SeededRandom
    var topology: Topology
    let keys: [NodeID: NodeKey]
    let calendar = DeadlineCalendar.standard
    var time: Date
    var skew: [NodeID: TimeInterval] = [:]
    let clocks: [NodeID: SimulatedClock]
    var stores: [NodeID: NodeDatabase] = [:]
    /// The production sync loop of every live node towards each neighbour, keyed `node>peer`:
    /// the simulation is its scheduler, running a due loop's step at a delivery step.
    var loops: [String: PeerLoop] = [:]
    let signalled = SignalledNodes()
    var partitioned: Set<String> = []
    var itemsBlocked: Set<String> = []
    var stash: [(body: Data, signature: String, from: NodeID, to: NodeID)] = []
    /// Every event a node acknowledged to its user (its hash), and the node.
    var acknowledged: [(node: NodeID, caseNumber: CaseNumber, hash: String)] = []
    var trace: [String] = []
    /// When each node's reconciliation job last ran, and when each down node went down.
    var reconciledAt: [NodeID: Date] = [:]
    var downSince: [NodeID: Date] = [:]
    /// How many times each node was started (each start draws its 查询码 from its own seed).
    var starts: [NodeID: UInt64] = [:]
    /// The simulation's thresholds: a node reconciles every 5 minutes and a silent child is
    /// flagged after 10, so a run of a few hours sees many.
    static let limits: ReconciliationLimits = {
        var limits = ReconciliationLimits()
        limits.intervalSeconds = 300
        limits.peerUnreachableSeconds = 600
        limits.replicaSeconds = 600
        return limits
    }()
    /// In the liveness phase the network is perfect.
    var healing = false
    /// Petitioners registered so far (their number); a registration is a new person, or sometimes
    /// one of these again (重复信访, 越级访 or 不再受理 at intake).
    var persons = 0
    var counts: [String: Int] = [:]
    /// The peer protocol each node speaks (this build's when absent), and the county that is one
    /// release behind until the step it is upgraded at (drawn apart from the run's other choices).
    var speaks: [NodeID: PeerProtocol] = [:]
    let upgrade: (node: NodeID, step: Int)?
    /// The step, at or after the upgrade, at which the hierarchy starts writing this build's event
    /// and command formats (`Topology.formats`), every node restarted on the new topology.
    let formatsRaisedAt: Int?
    let logger = Logger(label: "xinfang.simulation", factory: { _ in SwiftLogNoOpLogHandler() })

    static let traceLength = 40
    static let start = Date(timeIntervalSince1970: 1_793_581_200)  // 2026-11-02 09:00 +08:00

    init(options: SimulationOptions) {
        self.options = options
        var random = SeededRandom(seed: options.seed)
        let seeds = ExampleHierarchy.nodes.map { _ in Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &random) }) }
        let byNode = Dictionary(uniqueKeysWithValues: zip(ExampleHierarchy.nodes.map(\.0), seeds))
        (topology, keys) = ExampleHierarchy.topology(
            baseURL: { "sim://\($0)" },
            key: { try! NodeKey(privateKeyBase64: byNode[$0]!.base64EncodedString()) }
        )
        self.random = random
        if options.mixedVersions {
            var draw = SeededRandom(seed: options.seed ^ 0x5EED_0F_0E1D)
            let counties = ExampleHierarchy.nodes.filter { $0.2 == .county }.map(\.0)
            upgrade = (counties[Int.random(in: 0..<counties.count, using: &draw)], Int.random(in: 1...max(1, options.steps), using: &draw))
            speaks[upgrade!.node] = .previousRelease
            formatsRaisedAt = Int.random(in: upgrade!.step...max(1, options.steps), using: &draw)
            topology.formats = nil
        } else {
            upgrade = nil
            formatsRaisedAt = nil
        }
        time = Self.start
        clocks = Dictionary(uniqueKeysWithValues: topology.nodes.map { ($0.id, SimulatedClock(Self.start)) })
    }

    /// Runs one seed from a fresh directory and checks every invariant.
    public static func run(_ options: SimulationOptions) async -> SimulationResult {
        let simulation = Simulation(options: options)
        return await simulation.execute()
    }

    func execute() async -> SimulationResult {
        var failures: [String] = []
        var rounds = 0
        do {
            try? FileManager.default.removeItem(at: options.directory)
            for node in topology.nodes { try await restart(node.id) }
            for step in 1...max(1, options.steps) {
                if let upgrade, upgrade.step == step { try await self.upgrade(upgrade.node) }
                if formatsRaisedAt == step { try await raiseFormats() }
                try await self.step(step)
            }
            failures += try await checkDownNodesAreFlagged()
            rounds = try await heal()
            if rounds > options.livenessRoundsMax {
                failures.append("no convergence within \(options.livenessRoundsMax) sync rounds after healing")
            }
            failures += try await checkInvariants()
        } catch {
            failures.append("unexpected error: \(error)")
        }
        let (hash, cases, events, conflicts) = (try? await stateHash()) ?? ("", 0, 0, 0)
        stores.removeAll()
        if failures.isEmpty { try? FileManager.default.removeItem(at: options.directory) }
        return SimulationResult(
            seed: options.seed,
            stateHash: hash,
            cases: cases,
            events: events,
            conflicts: conflicts,
            counts: counts,
            livenessRounds: rounds,
            failures: failures,
            trace: trace
        )
    }

    // MARK: Time, trace

    func log(_ line: String) {
        trace.append("t+\(Int(time.timeIntervalSince(Self.start)))s \(line)")
        if trace.count > Self.traceLength { trace.removeFirst(trace.count - Self.traceLength) }
    }

    func count(_ key: String) { counts[key, default: 0] += 1 }

    func advance(seconds: Double) {
        time = time.addingTimeInterval(seconds)
        for (id, clock) in clocks { clock.set(time.addingTimeInterval(skew[id] ?? 0)) }
    }

    func now(_ node: NodeID) -> Date { clocks[node]!.now() }

    func pick<T>(_ items: [T]) -> T? {
        items.isEmpty ? nil : items[Int.random(in: 0..<items.count, using: &random)]
    }

    var liveNodes: [NodeID] { topology.nodes.map(\.id).filter { stores[$0] != nil } }

    func peers(of node: NodeID) -> [NodeID] {
        [topology.parent(of: node)].compactMap { $0 } + topology.children(of: node)
    }

    static func link(_ a: NodeID, _ b: NodeID) -> String { a.rawValue < b.rawValue ? "\(a)|\(b)" : "\(b)|\(a)" }

    // MARK: Nodes

    func restart(_ node: NodeID) async throws {
        let directory = options.directory.appendingPathComponent(node.rawValue)
        let hierarchy = Hierarchy(topology: topology, key: keys[node]!)
        let database =
            if let server = options.serverStores[node] {
                try await NodeDatabase.open(
                    server: server(),
                    node: node,
                    calendar: calendar,
                    hierarchy: hierarchy,
                    blobDirectory: directory.appendingPathComponent("blobs")
                )
            } else {
                try NodeDatabase.open(directory: directory, node: node, calendar: calendar, hierarchy: hierarchy, durability: .processCrashOnly)
            }
        try await database.resetInFlight(now: now(node))
        // 查询码 from the run's seed, a new stream at each start of the node.
        starts[node, default: 0] += 1
        database.lookupCodes.useSeed(options.seed &* 1_000_003 &+ (UInt64(node.rawValue) ?? 0) &* 7_919 &+ starts[node]!)
        let signalled = signalled
        database.outboxSignal.subscribe { signalled.mark(node) }
        stores[node] = database
        for peer in peers(of: node) { loops[Self.loopKey(node, peer)] = PeerLoop() }
        downSince[node] = nil
        reconciledAt[node] = try await database.lastReconciledAt()
    }

    /// The node moves to this build: stopped if it runs, and started again on it.
    func upgrade(_ node: NodeID) async throws {
        let running = stores[node] != nil
        if running { crash(node) }
        speaks[node] = nil
        log("UPGRADE \(node) to peer protocol \(PeerProtocol.build.current)")
        count("upgrades")
        if running { try await restart(node) }
    }

    /// Every node upgraded, the operator raises the formats the hierarchy writes and restarts each
    /// running node on the new topology: from here events and commands are written in format 2,
    /// beside the format-1 events of the same chains.
    func raiseFormats() async throws {
        topology.formats = .newest
        log("FORMATS raised to events \(DataFormats.newest.event), commands \(DataFormats.newest.command)")
        count("formatsRaised")
        for node in liveNodes {
            stores[node] = nil
            try await restart(node)
        }
    }

    /// The node's application layer: every workload step goes through it, as a user's request would.
    func service(_ node: NodeID) -> CaseService { CaseService(database: stores[node]!, clock: clocks[node]!) }

    func crash(_ node: NodeID) {
        stores[node] = nil
        for peer in peers(of: node) { loops[Self.loopKey(node, peer)] = nil }
        downSince[node] = time
        count("crashes")
        log("CRASH \(node)")
    }

    // MARK: The network

    func carry(_ body: Data, signature: String, from: NodeID, to: NodeID) async -> TransportResult {
        count("packets")
        guard !partitioned.contains(Self.link(from, to)) else { return .unreachable("partitioned") }
        guard let database = stores[to] else { return .unreachable("\(to) is down") }
        if itemsBlocked.contains(Self.link(from, to)), let packet = try? CanonicalJSON.decoder.decode(Packet.self, from: body),
            !packet.chains.isEmpty || !packet.commands.isEmpty
        {
            return .unreachable("large packet lost")
        }
        let faulty = options.faults && !healing
        if faulty, random.chance(3) {
            log("drop packet \(from)→\(to)")
            return .unreachable("dropped")
        }
        if faulty, random.chance(3) { stash.append((body, signature, from, to)) }
        let receiver = PacketReceiver(database: database, clock: clocks[to]!, speaks: speaks[to] ?? .build)
        if speaks[to] != nil || speaks[from] != nil { count("previousReleasePackets") }
        do {
            let response = try await receiver.receive(body: body, from: from.rawValue, signature: signature)
            if faulty, random.chance(3) {
                log("lose answer \(to)→\(from)")
                if random.chance(30) { crash(to) }  // between commit and acknowledgement
                return .unreachable("answer lost")
            }
            return .delivered(response)
        } catch let refusal as PacketRefusal {
            if refusal.code == DeliveryFailure.unsupportedVersion { count("version-refused") }
            return .refused(status: refusal.status, code: refusal.code, detail: refusal.detail)
        } catch {
            return .unreachable("\(error)")
        }
    }

    func reconciliationService(_ node: NodeID, limits: ReconciliationLimits) -> ReconciliationService {
        ReconciliationService(
            database: stores[node]!,
            transport: SimulatedTransport(simulation: self),
            clock: clocks[node]!,
            limits: limits,
            logger: logger,
            speaks: speaks[node] ?? .build
        )
    }

    static func loopKey(_ node: NodeID, _ peer: NodeID) -> String { "\(node)>\(peer)" }

    /// Wakes the loops of every node whose store signalled since the last step.
    func wakeSignalledLoops() {
        for node in signalled.drain() {
            for peer in peers(of: node) { loops[Self.loopKey(node, peer)]?.wake() }
        }
    }

    /// The loops (node, peer) that have a step to run now: woken, or their timer has come.
    func dueLoops() -> [(NodeID, NodeID)] {
        wakeSignalledLoops()
        return liveNodes.flatMap { node in
            peers(of: node).filter { loops[Self.loopKey(node, $0)]?.isDue(at: now(node)) ?? false }.map { (node, $0) }
        }
    }

    /// One step of `node`'s production sync loop towards `peer` (a greeting or a delivery
    /// attempt), run by the real `PeerDispatcher`; true when a packet was delivered.
    @discardableResult
    func runLoop(_ node: NodeID, to peer: NodeID) async -> Bool {
        let key = Self.loopKey(node, peer)
        guard let database = stores[node], let target = topology.node(peer), var loop = loops[key] else { return false }
        loop.wake()  // its timer has come (the scheduler only runs due loops)
        let dispatcher = PeerDispatcher(
            database: database,
            transport: SimulatedTransport(simulation: self),
            clock: clocks[node]!,
            peer: target,
            logger: logger,
            speaks: speaks[node] ?? .build
        )
        let outcome = await dispatcher.perform(loop.step, jitter: Double.random(in: 0..<1, using: &random))
        // A crash during the step (the receiver's answer lost) removed the loop: it stays removed.
        guard loops[key] != nil, stores[node] != nil else { return false }
        loop.record(outcome, now: now(node))
        loops[key] = loop
        return outcome == .delivered
    }

    /// A round of the scheduler: every due loop runs until it waits (bounded); the packets delivered.
    func runDueLoops() async -> Int {
        var delivered = 0
        for (node, peer) in dueLoops() {
            var steps = 0
            while loops[Self.loopKey(node, peer)]?.isDue(at: now(node)) ?? false, steps < 100 {
                if await runLoop(node, to: peer) { delivered += 1 }
                wakeSignalledLoops()
                steps += 1
            }
        }
        return delivered
    }

    /// A delivery step: one due loop, chosen by the seed, runs its step.
    func deliverSomething() async {
        if let (node, peer) = pick(dueLoops()) { await runLoop(node, to: peer) }
    }

    // MARK: The fault phase

    /// Each live node's reconciliation job, on its schedule (and at once after a restart, since
    /// its last run is older than the interval).
    func runDueReconciliations() async throws {
        for node in liveNodes where time.timeIntervalSince(reconciledAt[node] ?? .distantPast) >= Self.limits.intervalSeconds {
            let round = try await reconciliationService(node, limits: Self.limits).runOnce()
            reconciledAt[node] = time
            count("reconciliations")
            if let ae = round.antiEntropy, ae.resent > 0 { count("antiEntropyRepairs") }
        }
    }

    func step(_ n: Int) async throws {
        advance(seconds: random.chance(1) ? 3 * 3600 : Double.random(in: 0...20, using: &random))
        try await runDueReconciliations()
        let roll = Double.random(in: 0..<100, using: &random)
        switch roll {
        case ..<14: try await register()
        case ..<40: try await holderActs()
        case ..<46: try await command()
        case ..<49: try await takeOver()
        case ..<51: try await resolve()
        case ..<88:
            await deliverSomething()
        default:
            if options.faults { try await fault() } else { await deliverSomething() }
        }
    }

    func fault() async throws {
        switch Int.random(in: 0..<6, using: &random) {
        case 0, 1:
            if let node = pick(topology.nodes.map(\.id)), let peer = pick(peers(of: node)) {
                let link = Self.link(node, peer)
                if partitioned.remove(link) == nil {
                    partitioned.insert(link)
                    log("PARTITION \(link)")
                } else {
                    log("heal \(link)")
                }
            }
        case 2:
            if let node = pick(topology.nodes.map(\.id)) {
                if stores[node] == nil {
                    try await restart(node)
                    log("restart \(node)")
                } else if random.chance(50), let database = stores[node], let peer = pick(peers(of: node)) {
                    // Crash between marking a packet sent and sending it.
                    _ = try await database.nextBatch(for: peer, now: now(node))
                    crash(node)
                } else {
                    crash(node)
                }
            }
        case 3:
            if let node = pick(topology.nodes.map(\.id)) {
                skew[node] = Double.random(in: -120...120, using: &random)
                advance(seconds: 0)
                log("skew \(node) \(Int(skew[node]!))s")
            }
        default:
            if !stash.isEmpty {
                let old = stash.remove(at: Int.random(in: 0..<stash.count, using: &random))
                log("replay old packet \(old.from)→\(old.to)")
                count("replays")
                _ = await carry(old.body, signature: old.signature, from: old.from, to: old.to)
            }
        }
    }

    // MARK: Workload

    static let regions = ["430102", "430104", "431202", "431221", "430100", "431200"]

    func register() async throws {
        guard let node = pick(liveNodes) else { return }
        let region = pick(Self.regions)!
        let again = persons > 0 && random.chance(12.5)
        let person = again ? Int(random.next() % UInt64(persons)) + 1 : nextPerson()
        let registration = Self.registration(region: region, at: now(node), person: person)
        let (state, _) = try await service(node).register(registration, by: .officer("登记员"))
        acknowledged.append((node, state.caseNumber, state.headHash))
        count("registrations")
        let intake = state.registration.intake.map { " \($0.kind.rawValue) of \($0.earlierCase)" } ?? ""
        log("\(node) register \(state.caseNumber) (\(region)) person \(person)\(intake) → \(state.status.rawValue)")
    }

    func cases(at node: NodeID) async throws -> [CaseState] {
        guard let database = stores[node] else { return [] }
        var query = CaseQuery()
        query.limit = CaseQuery.limitMax
        return try await database.cases(matching: query, now: now(node)).items
    }

    func holderActs() async throws {
        guard let node = pick(liveNodes) else { return }
        let held = try await cases(at: node).filter { $0.holder == node }
        guard let state = pick(held) else { return }
        let names = Lifecycle.availableActions(on: state, context: ActionContext(node: node, now: now(node), calendar: calendar, topology: topology))
            .filter { $0 != .comment || random.chance(20) }
        guard let name = pick(names), let action = makeAction(name, at: node, state: state) else { return }
        do {
            let after = try await applied(at: node, state.caseNumber, action, by: "承办人")
            count("actions")
            log("\(node) \(name.rawValue) \(state.caseNumber) → \(after.status.rawValue), holder \(after.holder)")
        } catch let error as StoreError {
            log("\(node) \(name.rawValue) \(state.caseNumber) refused: \(error)")
        }
    }

    func makeAction(_ name: ActionName, at node: NodeID, state: CaseState) -> CaseAction? {
        let due = now(node).addingTimeInterval(30 * 86_400)
        switch name {
        case .offer:
            guard let child = pick(topology.children(of: node)) else { return nil }
            return .offer(to: child, mode: random.chance(50) ? .assign : .transfer, dueAt: due, note: nil)
        case .accept: return .accept
        case .decline: return .decline(reason: "不属本机关管辖")
        case .notify: return .notify(note: nil)
        case .reject: return random.chance(20) ? .reject(reason: "不符合受理条件") : nil
        case .routeOut: return random.chance(20) ? .routeOut(channel: .laborArbitration, note: nil) : nil
        case .refuseRepeat: return nil
        case .extend: return .extend(days: 30, approver: "局长", reason: "情况复杂")
        case .reply: return .reply(outcome: pick(ReplyOutcome.allCases)!, opinion: "处理意见")
        case .close: return .close(report: "办结报告")
        case .verifyClosure: return .verifyClosure(note: nil)
        case .returnClosure: return random.chance(30) ? .returnClosure(reason: "事实不清") : nil
        case .evaluate: return .evaluate(office: pick(Rating.allCases)!, unit: pick(Rating.allCases)!, comment: nil)
        case .requestReview: return .requestReview(reason: "不服处理意见", reviewer: nil)
        case .decideReview: return .decideReview(outcome: .supported, opinion: "复查意见")
        case .requestReReview: return .requestReReview(reason: "不服复查意见", reviewer: nil)
        case .decideReReview: return .decideReReview(outcome: .notSupported, opinion: "复核意见")
        case .terminate: return .terminate(reason: "程序终结")
        case .comment: return .comment(text: "备注")
        case .escalate:
            guard let parent = topology.parent(of: node) else { return nil }
            return .escalate(to: parent, reason: "需上级协调")
        case .supervisionFeedback: return .supervisionFeedback(text: "已督促落实")
        case .deliver:
            return .deliver(on: calendar.civilDate(of: now(node)), method: pick(DeliveryMethod.allCases)!, signed: random.chance(90), note: nil)
        case .hearing:
            guard let stage = state.status == .reReviewRequested ? state.reReview : state.review else { return nil }
            let today = calendar.civilDate(of: now(node))
            return .hearing(from: max(calendar.civilDate(of: stage.requestedAt), today.adding(days: -2)), to: today, note: "听证会")
        case .recall, .supervise, .repeatPetition, .takeOver, .resolveConflict, .attach, .withdrawAttachment, .issueNotice, .serveNotice,
            .reissueLookupCode, .returnToSender:
            return nil
        }
    }

    func command() async throws {
        guard let node = pick(liveNodes) else { return }
        let others = try await cases(at: node).filter { $0.holder != node }
        guard let state = pick(others) else { return }
        let candidates: [CaseAction] = [
            .recall(by: node, reason: "上级提办"),
            .supervise(by: node, dueAt: now(node).addingTimeInterval(7 * 86_400), note: "请加快办理"),
            .comment(text: "上级备注"),
        ].filter {
            CommandPolicy.mayRequest($0.name, from: node, holder: state.holder, topology: topology)
                && (Lifecycle.allowedFrom[$0.name]?.contains(state.status) ?? false)
        }
        guard let action = pick(candidates) else { return }
        let command = try await self.command(at: node, state.caseNumber, action)
        count("commands")
        log("\(node) command \(action.name.rawValue) \(state.caseNumber) → holder \(state.holder) (\(command.id))")
    }

    func takeOver() async throws {
        guard let node = pick(liveNodes) else { return }
        let below = try await cases(at: node).filter {
            CommandPolicy.mayTakeOver(node: node, holder: $0.holder, topology: topology)
                && (Lifecycle.allowedFrom[.takeOver]?.contains($0.status) ?? false)
        }
        guard let state = pick(below) else { return }
        let after = try await applied(at: node, state.caseNumber, .takeOver(by: node, reason: "持有节点长期无响应"), by: "督查员")
        count("takeovers")
        log("\(node) TAKEOVER \(state.caseNumber) from \(state.holder) at seq \(after.headSeq), epoch \(after.epoch)")
    }

    func resolve() async throws {
        guard let node = pick(liveNodes), let database = stores[node] else { return }
        guard let conflict = pick(try await database.openConflictsHeldHere()) else { return }
        let decision: ConflictDecision = random.chance(50) ? .adopt : .dismiss
        let action = CaseAction.resolveConflict(branch: conflict.branch, decision: decision, reason: "核实后处理")
        _ = try await applied(at: node, conflict.caseNumber, action, by: "领导")
        count("resolutions")
        log("\(node) resolve \(conflict.caseNumber) \(decision.rawValue) \(conflict.branch.prefix(8))")
    }

    // MARK: Liveness

    /// Heals every link, restarts every node, agrees the clocks, and runs sync rounds until nothing
    /// is left to send. Returns the rounds it took (more than the bound when it did not converge).
    func heal() async throws -> Int {
        log("HEAL everything")
        partitioned.removeAll()
        itemsBlocked.removeAll()
        stash.removeAll()
        skew.removeAll()
        advance(seconds: 0)
        for node in topology.nodes.map(\.id) where stores[node] == nil { try await restart(node) }
        healing = true
        for round in 1...(options.livenessRoundsMax + 1) {
            advance(seconds: 6)
            let delivered = await runDueLoops()
            if delivered == 0, try await outboxesAreEmpty() { return round }
        }
        return options.livenessRoundsMax + 1
    }

    func outboxesAreEmpty() async throws -> Bool {
        for database in stores.values {
            for peer in try await database.outboxSummary() {
                let waiting = (peer.counts["pending"] ?? 0) + (peer.counts["sent"] ?? 0) + (peer.counts["failed"] ?? 0)
                if waiting > 0 { return false }
            }
        }
        return true
    }
}
