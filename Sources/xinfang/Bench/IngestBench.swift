import ArgumentParser
import Foundation
import Hummingbird
import Logging
import XinfangCore
import XinfangHTTP
import XinfangPostgres
import XinfangSimulation
import XinfangStore
import XinfangSync

/// P1 of the benchmark suite: signed events applied durably at a county, pushed by its city over
/// HTTP on loopback with the real packet code (two packets in flight, as the dispatcher sends), beside
/// two limits measured in the same run: the same rows inserted raw into SQLite in the same batches,
/// and Ed25519 verifications per second times the cores.
struct IngestBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "P1: events/s applied durably at a node pushed by a peer over HTTP, against raw SQLite inserts and Ed25519 verifications."
    )

    @Option(help: "Cases the city registers and transfers to the county (2 events each).") var cases: Int = 25_000
    @Option(help: "Working directory (removed first).") var dir: String = ".xinfang-bench/ingest"
    @ArgumentParser.Flag(help: "Hand the packets to the receiver in process (no HTTP), to see what the transport costs.") var direct = false
    @Option(help: "The county's store: sqlite, or postgres (a local cluster started in the working directory with deploy/postgres.sh; P9).")
    var store: String = "sqlite"

    func validate() throws {
        guard (1...1_000_000).contains(cases) else { throw ValidationError("--cases 1…1000000") }
        guard ["sqlite", "postgres"].contains(store) else { throw ValidationError("--store sqlite or postgres") }
    }

    func run() async throws {
        let root = URL(fileURLWithPath: dir, isDirectory: true)
        guard store == "postgres" else {
            print(BenchTable.render([try await IngestScenario.run(cases: cases, directory: root, direct: direct).row]))
            return
        }
        let result = try await IngestScenario.onPostgres(cases: cases, directory: root, direct: direct)
        print(BenchTable.render([result.row]))
    }
}

struct IngestResult {
    /// The county's store (SQLite unless P9 put it on PostgreSQL).
    var backend = "SQLite"
    /// The city as loaded, when the run was asked to keep it.
    var city: LoadedCity?
    var events: Int
    var packets: Int
    var seconds: Double
    var rate: Double { Double(events) / seconds }
    var raw: Double
    var crypto: Double
    var cores: Int

    var row: BenchRow {
        let lower = min(raw, crypto)
        return BenchRow(
            id: "P1",
            scenario: "\(grouped(Double(events))) signed events applied durably, pushed over HTTP in \(packets) packets"
                + (backend == "SQLite" ? "" : ", the county on \(backend)"),
            figure: "\(grouped(rate)) events/s",
            limit: "raw insert \(grouped(raw))/s; Ed25519 × \(cores) cores \(grouped(crypto))/s",
            ratio: rate / lower,
            goal: "≥ 25,000/s or ≥ 0.5 × lower limit",
            met: rate >= 25_000 || rate >= lower / 2
        )
    }
}

/// P9: P1 with the county on PostgreSQL beside P1 on SQLite, measured in the same run.
func postgresRow(_ postgres: IngestResult, sqlite: IngestResult) -> BenchRow {
    BenchRow(
        id: "P9",
        scenario: "P1 with the county's store on PostgreSQL 15 (local socket, durable commits)",
        figure: "\(grouped(postgres.rate)) events/s",
        limit: "P1 on SQLite in this run \(grouped(sqlite.rate))/s",
        ratio: postgres.rate / sqlite.rate,
        goal: "≥ 0.5 × SQLite (within 2×)",
        met: postgres.rate >= sqlite.rate / 2
    )
}

/// A copy of 长沙市's store as P1 loads it: `cases` cases registered and transferred to 芙蓉区 and
/// queued for it, signed with `keys`. Loading is not what the scenarios measure and takes a minute
/// for 25,000 cases, so P9's P1 and P4 start from a copy of it.
struct LoadedCity {
    var file: URL
    var keys: [NodeID: NodeKey]
    var cases: Int

    /// The copy as the city's store in `directory` (made).
    func copy(into directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: file, to: directory.appendingPathComponent(NodeDatabase.fileName))
    }
}

enum IngestScenario {
    /// The city registers and transfers `cases` cases to the county and prepares every packet
    /// (its share, timed apart); then the packets are pushed to the county's real application and
    /// each delivery recorded at the city, one packet in flight, as the dispatcher does.
    ///
    /// `loaded`, a city loaded before with as many cases, is copied instead of loading again;
    /// `keepLoadedAt` keeps a copy of the city as loaded there, for the scenarios after.
    static func run(
        cases: Int,
        directory root: URL,
        direct: Bool = false,
        postgres: PostgresLocation? = nil,
        from loaded: LoadedCity? = nil,
        keepLoadedAt keep: URL? = nil
    ) async throws -> IngestResult {
        if postgres == nil { try? FileManager.default.removeItem(at: root) }
        let city = ExampleHierarchy.changsha
        let county = ExampleHierarchy.furong
        let port = try freeLoopbackPort()
        let reused = loaded.flatMap { $0.cases == cases ? $0 : nil }
        let (topology, keys) = ExampleHierarchy.topology(
            baseURL: { $0 == county ? "http://127.0.0.1:\(port)" : "direct://\($0)" },
            key: { reused?.keys[$0] ?? NodeKey() }
        )
        let cityDirectory = root.appendingPathComponent(city.rawValue)
        if let reused { try reused.copy(into: cityDirectory) }
        let sender = try openBenchStore(city, at: cityDirectory, topology: topology, keys: keys, durability: .processCrashOnly)
        let receiver = try await openReceiver(county, root: root, topology: topology, keys: keys, postgres: postgres)
        let kept = try await load(cases, at: sender, to: county, copied: reused != nil, keys: keys, keepAt: keep)

        // The greeting's effect, without the wire: the county opens a session for the city.
        try await sender.startSending(to: county, session: try await receiver.openReceiving(from: city, now: Date()))
        let prepared = try await prepare(from: sender, city: city, county: county, key: keys[city]!)
        var logger = Logger(label: "xinfang.bench.county")
        logger.logLevel = .critical
        let services = NodeServices(identity: NodeIdentity(id: county, name: "芙蓉区", level: .county), database: receiver)
        let (started, signalStarted) = AsyncStream<Void>.makeStream()
        let app = NodeApplication.application(services: services, host: "127.0.0.1", port: port, logger: logger) { _ in
            signalStarted.yield()
        }
        let (events, seconds, cpu) = try await withThrowingTaskGroup(of: (Int, Double, Double)?.self) { group in
            group.addTask {
                try await app.runService()
                return nil
            }
            for await _ in started { break }
            let transport = HTTPPacketTransport()
            let to = topology.node(county)!
            let directReceiver = PacketReceiver(database: receiver, clock: SystemClock())
            let t0 = DispatchTime.now().uptimeNanoseconds
            let cpu0 = ProcessCPU.seconds(getpid())
            let events = try await push(prepared, recordingAt: sender) { body, signature in
                if direct { return try await directReceiver.receive(body: body, from: city.rawValue, signature: signature) }
                guard case .delivered(let answer) = await transport.send(body, signature: signature, from: city, to: to) else {
                    throw ValidationError("a packet was not delivered")
                }
                return answer
            }
            let seconds = milliseconds(since: t0) / 1000
            let cpu = ProcessCPU.seconds(getpid()) - cpu0
            group.cancelAll()
            return (events, seconds, cpu)
        }!
        let stored = try await receiver.counts()
        guard stored.events == events, events == 2 * cases else {
            throw ValidationError("the county stored \(stored.events) events of \(events) sent (\(2 * cases) made)")
        }
        progress(pushed(events, packets: prepared.count, seconds: seconds, cpu: cpu))
        let batches = try prepared.map { try $0.batch.chains().flatMap { $0 } }
        let raw = try await RawInsertBenchmark.eventsPerSecond(directory: root.appendingPathComponent("raw"), batches: batches)
        let crypto = try verificationsPerSecond(Array(batches.joined().prefix(5000)), publicKey: topology.node(city)!.publicKey)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        return IngestResult(
            city: kept,
            events: events,
            packets: prepared.count,
            seconds: seconds,
            raw: raw,
            crypto: crypto * Double(cores),
            cores: cores
        )
    }

    /// The push's progress line: its rate's parts, and the CPU time every thread of the process
    /// spent meanwhile (both ends and the transport), a steadier measure of its work than the rate.
    static func pushed(_ events: Int, packets: Int, seconds: Double, cpu: Double) -> String {
        String(
            format: "P1: pushed %d events in %d packets in %.2f s; CPU %.2f s, %.1f µs an event, %.2f cores busy",
            events,
            packets,
            seconds,
            cpu,
            cpu / Double(max(1, events)) * 1e6,
            cpu / seconds
        )
    }

    /// Sends the packets as the dispatcher does (`InOrderWindow`, up to
    /// `PeerDispatcher.packetsInFlightMax` on the wire) and records their answers at `sender` in
    /// the order they were sent; the events sent.
    static func push(
        _ prepared: [PreparedPacket],
        recordingAt sender: NodeDatabase,
        deliver: @escaping @Sendable (Data, String) async throws -> PacketResponse
    ) async throws -> Int {
        var packets = prepared.makeIterator()
        var events = 0
        try await InOrderWindow.run(
            width: PeerDispatcher.packetsInFlightMax,
            limit: prepared.count,
            next: { packets.next() },
            send: { packet in try await deliver(packet.body, packet.signature) },
            record: { packet, response in
                try await sender.recordDelivery(packet.batch, receipts: response.receipts, now: Date(), jitter: 0)
                events += packet.batch.runs.reduce(0) { $0 + $1.events.count }
                return true
            }
        )
        return events
    }

    /// The city's cases for the county: registered and transferred unless `copied` already holds
    /// them; a copy of the store as loaded kept at `keep` (named with its keys) when asked.
    static func load(
        _ cases: Int,
        at sender: NodeDatabase,
        to county: NodeID,
        copied: Bool,
        keys: [NodeID: NodeKey],
        keepAt keep: URL?
    ) async throws -> LoadedCity? {
        if copied {
            progress("P1: the city's \(cases) cases for the county copied from P1's load")
        } else {
            progress("P1: the city registers and transfers \(cases) cases to the county …")
            let loadStarted = Date()
            try await registerAndOffer(cases, at: sender, to: county, mode: .transfer)
            progress(String(format: "P1: loaded in %.1f s", Date().timeIntervalSince(loadStarted)))
        }
        guard let keep else { return nil }
        try await sender.copyDatabase(to: keep)
        return LoadedCity(file: keep, keys: keys, cases: cases)
    }

    /// The county's store: durable SQLite in `root`, or the PostgreSQL database at `postgres`.
    static func openReceiver(
        _ county: NodeID,
        root: URL,
        topology: Topology,
        keys: [NodeID: NodeKey],
        postgres: PostgresLocation?
    ) async throws -> NodeDatabase {
        guard let postgres else {
            return try openBenchStore(county, at: root.appendingPathComponent(county.rawValue), topology: topology, keys: keys, durability: .full)
        }
        return try await openBenchStore(
            county,
            on: PostgresTransactions(postgres),
            blobs: root.appendingPathComponent(county.rawValue),
            topology: topology,
            keys: keys
        )
    }

    /// P1 with the county's store on PostgreSQL: a cluster started in `root` (deploy/postgres.sh,
    /// a socket, durable commits as PostgreSQL's default), migrated, and stopped after.
    static func onPostgres(cases: Int, directory root: URL, direct: Bool = false, from loaded: LoadedCity? = nil) async throws -> IngestResult {
        var result = try await withBenchPostgres(root: root) { location in
            try await run(cases: cases, directory: root, direct: direct, postgres: location, from: loaded)
        }
        result.backend = "PostgreSQL"
        return result
    }

    /// The sender's share, timed apart: read the outbox, encode and sign every packet.
    static func prepare(from sender: NodeDatabase, city: NodeID, county: NodeID, key: NodeKey) async throws -> [PreparedPacket] {
        let prepareStarted = DispatchTime.now().uptimeNanoseconds
        var prepared: [PreparedPacket] = []
        while let batch = try await sender.nextBatch(for: county, now: Date()) {
            guard let number = batch.number else { throw ValidationError("the city has no session with the county") }
            // As the dispatcher does: the events as the city stores them.
            let body = Packet(from: city, to: county, number: number, sentAt: Date(), chains: [], commands: batch.commands)
                .encoded(wireChains: batch.runs.map(\.events))
            prepared.append((batch, body, key.sign(body)))
        }
        progress(
            String(format: "P1: the city prepared %d packets in %.2f s (not counted)", prepared.count, milliseconds(since: prepareStarted) / 1000)
        )

        return prepared
    }

    typealias PreparedPacket = (batch: OutboxBatch, body: Data, signature: String)

    /// Registers `count` letter cases at `store` and offers each to `peer` (2 events a case).
    static func registerAndOffer(_ count: Int, at store: NodeDatabase, to peer: NodeID, mode: HandoffMode, from first: Int = 0) async throws {
        for i in first..<(first + count) {
            let now = Date()
            let (state, _) = try await store.register(registration(i, region: peer, at: now), actor: "bench", now: now)
            let due = mode == .assign ? now.addingTimeInterval(60 * 86_400) : nil
            _ = try await store.act(on: state.caseNumber, action: .offer(to: peer, mode: mode, dueAt: due, note: nil), actor: "bench", now: now)
            if (i + 1 - first) % 10_000 == 0 { progress("  \(i + 1 - first) cases") }
        }
    }

    /// The benchmarks' petition number `i`: a letter about unpaid wages, its mobile number from `i`.
    static func registration(_ i: Int, region: NodeID, at now: Date, channel: Channel = .letter, summary: String = "反映拖欠工资") -> CaseRegistration {
        CaseRegistration(
            channel: channel,
            petitioners: [Petitioner(name: "张伟", mobile: String(format: "139%08d", i % 100_000_000), isLead: true)],
            purpose: .request,
            category: ContentCategory("劳动和社会保障", "劳动关系", "拖欠农民工工资"),
            issueRegion: RegionCode(rawValue: region.rawValue),
            summary: summary,
            text: "某公司拖欠本人三个月工资，请求督促支付。",
            receivedAt: now,
            registeredBy: "bench"
        )
    }

    /// Ed25519 verifications per second on one core, over real event signatures.
    static func verificationsPerSecond(_ sample: [CaseEvent], publicKey: String) throws -> Double {
        let started = DispatchTime.now().uptimeNanoseconds
        var verified = 0
        for event in sample where Signatures.verify(event, publicKey: publicKey) { verified += 1 }
        let seconds = milliseconds(since: started) / 1000
        guard verified == sample.count else { throw ValidationError("a sample signature did not verify") }
        return Double(sample.count) / seconds
    }
}
