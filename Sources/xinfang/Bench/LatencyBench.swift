import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Synchronization
import XinfangCore
import XinfangHTTP
import XinfangSimulation
import XinfangStore
import XinfangSync

/// P2: how long an assignment takes from the province to a county (two hops, through the city)
/// and a closure from the county back to the province, with the nodes idle and under a
/// background load, against a loopback HTTP round trip plus one fsync per hop.
struct LatencyBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "latency",
        abstract: "P2: assignment province → county and closure county → province, idle and under load (goal p50 ≤ 20 ms, p99 ≤ 100 ms)."
    )

    @Option(help: "Assignments (and closures) timed in each condition.") var rounds: Int = 100
    @Option(help: "Background load in events per second: 岳麓区's registrations pushed to the city, which replicates them to the province.") var load:
        Int = 1000
    @Option(help: "Working directory (removed first).") var dir: String = ".xinfang-bench/latency"

    func validate() throws {
        guard (1...10_000).contains(rounds), (0...20_000).contains(load) else { throw ValidationError("--rounds 1…10000, --load 0…20000") }
    }

    func run() async throws {
        let rows = try await LatencyScenario.run(rounds: rounds, load: load, directory: URL(fileURLWithPath: dir, isDirectory: true))
        print(BenchTable.render(rows))
    }
}

/// Three nodes of the example hierarchy (province, 长沙市, 芙蓉区), each with its durable store, its
/// real application on a loopback port and its sync dispatcher, in this process.
struct BenchHierarchy {
    let topology: Topology
    let keys: [NodeID: NodeKey]
    let stores: [NodeID: NodeDatabase]
    let ports: [NodeID: Int]

    static let nodes = [ExampleHierarchy.province, ExampleHierarchy.changsha, ExampleHierarchy.furong]

    /// `keys`: the nodes' keys when their stores are copies of stores signed with them.
    static func make(at root: URL, keys given: [NodeID: NodeKey]? = nil) throws -> BenchHierarchy {
        try? FileManager.default.removeItem(at: root)
        var ports: [NodeID: Int] = [:]
        for node in nodes { ports[node] = try freeLoopbackPort() }
        // The other nodes of the example tree are absent: sending to them fails at once.
        let (topology, keys) = ExampleHierarchy.topology(
            baseURL: { id in ports[id].map { "http://127.0.0.1:\($0)" } ?? "http://127.0.0.1:9" },
            key: { given?[$0] ?? NodeKey() }
        )
        var stores: [NodeID: NodeDatabase] = [:]
        for node in nodes {
            stores[node] = try openBenchStore(node, at: root.appendingPathComponent(node.rawValue), topology: topology, keys: keys, durability: .full)
        }
        return BenchHierarchy(topology: topology, keys: keys, stores: stores, ports: ports)
    }

    /// Serves `node` until the surrounding task is cancelled; returns once it listens.
    func serve(_ node: NodeID, in group: inout ThrowingTaskGroup<Void, any Error>) async {
        var logger = Logger(label: "xinfang.bench.\(node)")
        logger.logLevel = ProcessInfo.processInfo.environment["XINFANG_BENCH_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        let services = NodeServices(
            identity: NodeIdentity(id: node, name: topology.node(node)!.name, level: topology.node(node)!.level),
            database: stores[node]!
        )
        let (started, signal) = AsyncStream<Void>.makeStream()
        let app = NodeApplication.application(services: services, host: "127.0.0.1", port: ports[node]!, logger: logger) { _ in signal.yield() }
        group.addTask { try await app.runService() }
        for await _ in started { break }
    }

    /// Looks at `store` after each of its commits until `ready` holds for `number`; the
    /// milliseconds since `start`. `commits` is signalled at each commit that stores a received
    /// packet or an action (`commitWakeup(of:)`); a poll every half millisecond read and decoded
    /// the case 2,000 times a second beside what it measured, and saw a commit up to a poll late.
    /// A signal that comes while the case is read is kept for the next wait, and a wait also ends
    /// after 5 ms, so a commit that did not signal is still seen.
    static func wait(
        at store: NodeDatabase,
        _ commits: Wakeup,
        for number: CaseNumber,
        since start: UInt64,
        timeoutSeconds: Double = 30,
        until ready: (CaseState) -> Bool
    ) async throws -> Double {
        while true {
            if let state = try await store.caseState(number), ready(state) { return milliseconds(since: start) }
            if milliseconds(since: start) > timeoutSeconds * 1000 { throw ValidationError("case \(number) did not arrive in \(timeoutSeconds) s") }
            await commits.wait(upTo: 0.005)
        }
    }

    /// A wake-up signalled after each commit of `store` that signals its dispatcher (`OutboxSignal`).
    static func commitWakeup(of store: NodeDatabase) -> Wakeup {
        let wakeup = Wakeup()
        store.outboxSignal.subscribe { wakeup.signal() }
        return wakeup
    }
}

enum LatencyScenario {
    static func run(rounds: Int, load: Int, directory root: URL) async throws -> [BenchRow] {
        let hierarchy = try BenchHierarchy.make(at: root)
        let province = hierarchy.stores[ExampleHierarchy.province]!
        let county = hierarchy.stores[ExampleHierarchy.furong]!
        // The background: cases 岳麓区 registered (prepared now, in a fast store), pushed to the
        // city as 岳麓区's dispatcher would while the assignments are timed; the city stores them
        // and replicates them to the province, so both carry the load on the timed path.
        let background = try await BackgroundPackets.prepare(
            // About 0.3 s a round under load (the assignment, three actions, the closure twice
            // waited for), so the background lasts the whole timing; a warning says when it did not.
            events: max(0, load) * max(4, rounds * 3 / 10),
            hierarchy: hierarchy,
            directory: root.appendingPathComponent("yuelu")
        )
        return try await withThrowingTaskGroup(of: Void.self) { group in
            for node in BenchHierarchy.nodes { await hierarchy.serve(node, in: &group) }
            let limit = try await Self.limit(port: hierarchy.ports[ExampleHierarchy.furong]!, directory: root)
            progress(String(format: "P2: limit: loopback round trip + fsync = %.2f ms a hop", limit))
            progress("P2: \(rounds) assignments and closures, idle …")
            let idle = try await measure(rounds: rounds, province: province, county: county, label: "idle")
            progress("P2: \(rounds) assignments and closures under \(load) events/s …")
            let stop = StopFlag()
            async let pushed = background.push(eventsPerSecond: load, until: stop)
            let loaded = try await measure(rounds: rounds, province: province, county: county, label: "load")
            stop.set()
            let (achieved, ranOut) = try await pushed
            if ranOut { progress("P2: WARNING: the background ran out before the timing under load ended: its last rounds were idle") }
            group.cancelAll()
            for (condition, burst) in [("idle", idle.burst), ("under load", loaded.burst)] where !burst.isEmpty {
                progress(
                    String(
                        format: "P2: closure %@ right behind the case's accept, notice and reply (not a row): p50 %.1f ms, p99 %.1f ms",
                        condition,
                        percentile(burst, 0.5),
                        percentile(burst, 0.99)
                    )
                )
            }
            func row(_ label: String, _ ms: [Double]) -> BenchRow {
                let p50 = percentile(ms, 0.5)
                let p99 = percentile(ms, 0.99)
                return BenchRow(
                    id: "P2",
                    scenario: label,
                    figure: String(format: "p50 %.1f ms, p99 %.1f ms", p50, p99),
                    limit: String(format: "2 hops × (round trip + fsync) %.1f ms", 2 * limit),
                    ratio: p50 / (2 * limit),
                    goal: "p50 ≤ 20 ms, p99 ≤ 100 ms",
                    met: p50 <= 20 && p99 <= 100
                )
            }
            let rate = "\(grouped(achieved)) events/s through city and province"
            return [
                row("assignment province → county (2 hops), idle", idle.assign),
                row("closure county → province (2 hops, the reply arrived before), idle", idle.close),
                row("assignment province → county, background \(rate)", loaded.assign),
                row("closure county → province (the reply arrived before), background \(rate)", loaded.close),
            ]
        }
    }

    /// Assigns `rounds` cases from the province to 芙蓉区 and times each until the county stores it;
    /// then the county accepts, notifies (受理告知), replies and closes each, timing the closure
    /// until the province has it.
    ///
    /// In even rounds the closure is made once the province has the reply (`close`): an officer
    /// closes days after replying, so the closure travels alone, which is the latency the row is
    /// about. In odd rounds it is made at once (`burst`), milliseconds after the case's three
    /// earlier actions, so it also waits for the packets that carry them (one in flight a peer).
    static func measure(
        rounds: Int,
        province: NodeDatabase,
        county: NodeDatabase,
        label: String
    ) async throws -> (assign: [Double], close: [Double], burst: [Double]) {
        let (provinceCommits, countyCommits) = (BenchHierarchy.commitWakeup(of: province), BenchHierarchy.commitWakeup(of: county))
        var assign: [Double] = []
        var close: [Double] = []
        var burst: [Double] = []
        for i in 0..<rounds {
            let now = Date()
            let registration = IngestScenario.registration(50_000_000 + i, region: ExampleHierarchy.furong, at: now, summary: "反映拖欠工资（\(label)）")
            let (state, _) = try await province.register(registration, actor: "bench", now: now)
            let number = state.caseNumber
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = try await province.act(
                on: number,
                action: .offer(to: ExampleHierarchy.furong, mode: .assign, dueAt: Date().addingTimeInterval(60 * 86_400), note: nil),
                actor: "bench",
                now: Date()
            )
            assign.append(try await BenchHierarchy.wait(at: county, countyCommits, for: number, since: t0) { _ in true })
            _ = try await county.act(on: number, action: .accept, actor: "bench", now: Date())
            _ = try await county.act(on: number, action: .notify(note: nil), actor: "bench", now: Date())
            let replied = try await county.act(on: number, action: .reply(outcome: .supported, opinion: "已责令支付"), actor: "bench", now: Date())
            let alone = i % 2 == 0
            if alone {
                _ = try await BenchHierarchy.wait(at: province, provinceCommits, for: number, since: DispatchTime.now().uptimeNanoseconds) {
                    $0.headSeq >= replied.headSeq
                }
            }
            let t1 = DispatchTime.now().uptimeNanoseconds
            let closed = try await county.act(on: number, action: .close(report: "已办结"), actor: "bench", now: Date())
            let ms = try await BenchHierarchy.wait(at: province, provinceCommits, for: number, since: t1) { $0.headSeq >= closed.headSeq }
            if alone { close.append(ms) } else { burst.append(ms) }
        }
        return (assign.sorted(), close.sorted(), burst.sorted())
    }

    /// One hop's floor: the median of a loopback HTTP round trip to the node and of a 4 KB write
    /// with fsync in the benchmark's directory.
    static func limit(port: Int, directory: URL) async throws -> Double {
        let exchange = HTTPExchange()
        let url = URL(string: "http://127.0.0.1:\(port)/healthz")!
        var trips: [Double] = []
        for _ in 0..<50 {
            let started = DispatchTime.now().uptimeNanoseconds
            _ = await exchange.send("GET", url)
            trips.append(milliseconds(since: started))
        }
        let path = directory.appendingPathComponent("fsync.probe").path
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw ValidationError("cannot open \(path)") }
        defer { close(fd) }
        let block = [UInt8](repeating: 7, count: 4096)
        var syncs: [Double] = []
        for i in 0..<50 {
            let started = DispatchTime.now().uptimeNanoseconds
            _ = block.withUnsafeBytes { pwrite(fd, $0.baseAddress, 4096, off_t(i * 4096)) }
            fsync(fd)
            syncs.append(milliseconds(since: started))
        }
        return percentile(trips.sorted(), 0.5) + percentile(syncs.sorted(), 0.5)
    }
}

/// Signed packets of 岳麓区's registrations, sent to 长沙市 over HTTP at a set rate.
struct BackgroundPackets {
    let chains: [[CaseEvent]]
    let key: NodeKey
    let city: TopologyNode

    static let casesPerPacket = 10

    /// Registers `events / 2` cases at a fast store of 岳麓区 and keeps their chains.
    static func prepare(events: Int, hierarchy: BenchHierarchy, directory: URL) async throws -> BackgroundPackets {
        let yuelu = ExampleHierarchy.yuelu
        let store = try openBenchStore(yuelu, at: directory, topology: hierarchy.topology, keys: hierarchy.keys, durability: .processCrashOnly)
        var chains: [[CaseEvent]] = []
        if events > 0 {
            progress("P2: 岳麓区 registers \(events / 2) background cases …")
            for i in 0..<max(1, events / 2) {
                let now = Date()
                let registration = IngestScenario.registration(60_000_000 + i, region: yuelu, at: now, channel: .visit, summary: "反映拖欠工资（背景）")
                let (state, _) = try await store.register(registration, actor: "bench", now: now)
                _ = try await store.act(on: state.caseNumber, action: .notify(note: nil), actor: "bench", now: now)
            }
            while let batch = try await store.nextBatch(for: ExampleHierarchy.changsha, now: Date()) { chains += try batch.chains() }
        }
        return BackgroundPackets(chains: chains, key: hierarchy.keys[yuelu]!, city: hierarchy.topology.node(ExampleHierarchy.changsha)!)
    }

    /// Sends the chains, `casesPerPacket` a packet, paced at `eventsPerSecond`, until cancelled or
    /// done; returns the rate reached, and whether every chain was sent before `stop` was set.
    func push(eventsPerSecond: Int, until stop: StopFlag) async throws -> (rate: Double, ranOut: Bool) {
        guard eventsPerSecond > 0, !chains.isEmpty else { return (0, false) }
        let transport = HTTPPacketTransport()
        let started = DispatchTime.now().uptimeNanoseconds
        var sent = 0
        var seq = 0
        let hello = Packet.greeting(from: ExampleHierarchy.yuelu, to: city.id, sentAt: Date()).encoded()
        guard case .delivered(let greeted) = await transport.send(hello, signature: key.sign(hello), from: ExampleHierarchy.yuelu, to: city),
            let session = greeted.session
        else { throw ValidationError("the city did not answer the background sender's greeting") }
        for start in stride(from: 0, to: chains.count, by: Self.casesPerPacket) {
            if Task.isCancelled || stop.isSet { break }
            let slice = Array(chains[start..<min(chains.count, start + Self.casesPerPacket)])
            seq += 1
            let body = Packet(
                from: ExampleHierarchy.yuelu,
                to: city.id,
                number: PacketNumber(session: session, number: seq),
                sentAt: Date(),
                chains: slice,
                commands: []
            ).encoded()
            guard case .delivered = await transport.send(body, signature: key.sign(body), from: ExampleHierarchy.yuelu, to: city) else {
                throw ValidationError("a background packet was not delivered")
            }
            sent += slice.reduce(0) { $0 + $1.count }
            let due = Double(sent) / Double(eventsPerSecond) * 1000
            let ahead = due - milliseconds(since: started)
            if ahead > 0 { try? await Task.sleep(nanoseconds: UInt64(ahead * 1e6)) }
        }
        return (Double(sent) / (milliseconds(since: started) / 1000), !stop.isSet)
    }
}

/// A flag one task sets and another polls (the background load stops when the timing is done).
final class StopFlag: Sendable {
    private let flag = Mutex(false)
    func set() { flag.withLock { $0 = true } }
    var isSet: Bool { flag.withLock { $0 } }
}
