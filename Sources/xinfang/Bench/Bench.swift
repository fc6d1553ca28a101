import ArgumentParser
import Foundation
import Logging
import XinfangCore
import XinfangHTTP
import XinfangPostgres
import XinfangSimulation
import XinfangStore
import XinfangSync

/// `xinfang bench …`: benchmarks that print figures (never run by the test command).
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a benchmark and print its figures.",
        subcommands: [
            BenchAll.self, IngestBench.self, LatencyBench.self, SupervisionBench.self, CatchUpBench.self, AntiEntropyBench.self, IdleMemoryBench.self,
            IdleCPUBench.self, BlobBench.self, MigrationBench.self,
        ]
    )
}

/// A node's store on PostgreSQL for a benchmark (P9): the database `server` reaches, its blobs in
/// `directory`.
func openBenchStore(
    _ node: NodeID,
    on server: PostgresTransactions,
    blobs directory: URL,
    topology: Topology,
    keys: [NodeID: NodeKey]
)
    async throws -> NodeDatabase
{
    try await NodeDatabase.open(
        server: server,
        node: node,
        calendar: .standard,
        hierarchy: Hierarchy(topology: topology, key: keys[node]!),
        blobDirectory: directory.appendingPathComponent("blobs")
    )
}

/// Runs `body` with a migrated database on a throwaway cluster that `deploy/postgres.sh` starts in
/// `root` (a socket, PostgreSQL's defaults, durable commits), stopped and removed after (P9).
func withBenchPostgres<Result>(root: URL, _ body: (PostgresLocation) async throws -> Result) async throws -> Result {
    try? FileManager.default.removeItem(at: root)
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    guard let cluster = try DemoPostgres.start(provinceStore: "postgres", socket: nil, root: root) else { throw ValidationError("no cluster") }
    defer {
        cluster.stop()
        if let folder = cluster.startedIn {
            for path in [folder.path, folder.path + "-start.log", folder.path + "-stop.log"] { try? FileManager.default.removeItem(atPath: path) }
        }
    }
    let location = PostgresLocation(endpoint: .socket(path: cluster.socket), username: "xinfang", database: "xinfang")
    _ = try await PostgresStore.withClient(location) { try await PostgresSchema.upgrade($0) }
    return try await body(location)
}

/// Opens a store of the example hierarchy for a benchmark.
func openBenchStore(
    _ node: NodeID,
    at directory: URL,
    topology: Topology,
    keys: [NodeID: NodeKey],
    durability: NodeDatabase.Durability
)
    throws -> NodeDatabase
{
    try NodeDatabase.open(
        directory: directory,
        node: node,
        calendar: .standard,
        hierarchy: Hierarchy(topology: topology, key: keys[node]!),
        durability: durability
    )
}

// MARK: - P5

/// P5: anti-entropy between a county and its city holding `--cases` shared case heads of which
/// `--differ` differ: bytes exchanged and time, against the bytes of the differing cases' events.
struct AntiEntropyBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "anti-entropy",
        abstract: "P5: digest exchange between a child and its parent sharing many cases, a few of them different."
    )

    @Option(help: "Shared cases.") var cases: Int = 1_000_000
    @Option(help: "Cases whose heads differ.") var differ: Int = 10
    @Option(help: "Exchanges to time (after the first).") var repeats: Int = 5
    @Option(help: "Working directory (removed first).") var dir: String = ".xinfang-bench/anti-entropy"

    func validate() throws {
        guard (1...20_000_000).contains(cases), (0...cases).contains(differ), (1...100).contains(repeats) else {
            throw ValidationError("--cases 1…20000000, --differ 0…cases, --repeats 1…100")
        }
    }

    func run() async throws {
        let row = try await AntiEntropyScenario.run(
            cases: cases,
            differ: differ,
            repeats: repeats,
            directory: URL(fileURLWithPath: dir, isDirectory: true)
        )
        print(BenchTable.render([row]))
    }
}

enum AntiEntropyScenario {
    static func run(cases: Int, differ: Int, repeats: Int, directory root: URL) async throws -> BenchRow {
        try? FileManager.default.removeItem(at: root)
        let (topology, keys) = ExampleHierarchy.topology(baseURL: { "direct://\($0)" })
        let child = ExampleHierarchy.furong
        let parent = ExampleHierarchy.changsha
        let childStore = try openBenchStore(
            child,
            at: root.appendingPathComponent(child.rawValue),
            topology: topology,
            keys: keys,
            durability: .processCrashOnly
        )
        let parentStore = try openBenchStore(
            parent,
            at: root.appendingPathComponent(parent.rawValue),
            topology: topology,
            keys: keys,
            durability: .processCrashOnly
        )
        // The same cases at both (numbered as the child's), a few with another head at the child.
        let stride = max(1, cases / max(1, differ))
        let differing = Set((0..<differ).map { $0 * stride })
        let loadStarted = Date()
        progress("P5: loading \(cases) shared case heads into each store …")
        try await childStore.loadSyntheticHeads(count: cases, sharedWith: parent) { differing.contains($0) ? 2 : 1 }
        try await parentStore.loadSyntheticHeadsAs(child, count: cases, sharedWith: child)
        progress(String(format: "P5: loaded in %.1f s", Date().timeIntervalSince(loadStarted)))
        let transport = DirectTransport(databases: [childStore, parentStore], clock: SystemClock())
        let job = ReconciliationService(
            database: childStore,
            transport: transport,
            clock: SystemClock(),
            limits: ReconciliationLimits(),
            logger: Logger(label: "bench")
        )
        let parentNode = topology.node(parent)!
        var reports: [AntiEntropyReport] = []
        for _ in 0...repeats { reports.append(try await job.exchangeDigests(with: parentNode)) }
        let first = reports[0]
        let times = reports.map(\.milliseconds).sorted()
        let bytes = first.bytesSent + first.bytesReceived
        if first.resent != differ { progress("P5: WARNING: expected \(differ) differing cases, found \(first.resent)") }
        // The limit: what the differing cases' events weigh in a packet (2 events a case, as P1's).
        let eventBytes = differ > 0 ? try await Self.eventBytes(cases: differ) : 0
        let p50 = percentile(times, 0.5)
        return BenchRow(
            id: "P5",
            scenario: "anti-entropy, \(grouped(Double(cases))) replicated cases, \(differ) differing (\(first.resent) found)",
            figure: String(format: "%@ bytes; p50 %.0f ms, max %.0f ms", grouped(Double(bytes)), p50, times.last!),
            limit: "the \(differ) cases' events: \(grouped(Double(eventBytes))) bytes",
            ratio: eventBytes > 0 ? Double(bytes) / Double(eventBytes) : nil,
            goal: "≤ 65,536 bytes, ≤ 1,000 ms",
            met: bytes <= 65_536 && times.last! <= 1000 && first.resent == differ
        )
    }

    /// The bytes of `cases` cases' events as a packet carries them (registered and transferred).
    static func eventBytes(cases: Int) async throws -> Int {
        let (topology, keys) = ExampleHierarchy.topology(baseURL: { "direct://\($0)" })
        let store = try NodeDatabase.inMemory(
            node: ExampleHierarchy.changsha,
            calendar: .standard,
            hierarchy: Hierarchy(topology: topology, key: keys[ExampleHierarchy.changsha]!)
        )
        try await IngestScenario.registerAndOffer(cases, at: store, to: ExampleHierarchy.furong, mode: .transfer)
        var bytes = 0
        while let batch = try await store.nextBatch(for: ExampleHierarchy.furong, now: Date()) {
            bytes += try CanonicalJSON.encoder.encode(try batch.chains()).count
        }
        return bytes
    }
}

// MARK: - P3 and P6 (province)

/// P3: the supervision views of a province holding `--cases` cases in its subtree: the backlog
/// summary and the indicators, each timed `--repeats` times, beside a `SELECT count(*)` over the
/// same table, and the process's resident memory while it answers (P6, the province's share).
struct SupervisionBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "supervision",
        abstract: "P3: backlog and stats response times at a province holding many cases (goal: p50 ≤ 50 ms)."
    )

    @Option(help: "Cases in the province's store.") var cases: Int = 1_000_000
    @Option(help: "Requests to time per view.") var repeats: Int = 20
    @Option(help: "Working directory (removed first).") var dir: String = ".xinfang-bench/supervision"
    @Option(help: "The province's store: sqlite, or postgres (a local cluster started in the working directory with deploy/postgres.sh; P9).")
    var store: String = "sqlite"

    func validate() throws {
        guard (1...20_000_000).contains(cases), (1...1000).contains(repeats) else { throw ValidationError("--cases 1…20000000, --repeats 1…1000") }
        guard ["sqlite", "postgres"].contains(store) else { throw ValidationError("--store sqlite or postgres") }
    }

    func run() async throws {
        let root = URL(fileURLWithPath: dir, isDirectory: true)
        guard store == "postgres" else {
            print(BenchTable.render(try await SupervisionScenario.run(cases: cases, repeats: repeats, directory: root).rows))
            return
        }
        let rows = try await withBenchPostgres(root: root) { location in
            try await SupervisionScenario.run(cases: cases, repeats: repeats, directory: root, postgres: location).rows
        }
        print(BenchTable.render(rows))
    }
}

/// P3's figures: its rows, and each view's median in milliseconds by the view's label.
struct SupervisionResult {
    var rows: [BenchRow]
    var medians: [String: Double]
}

/// P9's rows for P3: each view's median with the province on PostgreSQL against the same view's on
/// SQLite in the same run; the goal is within 2× (ratio SQLite / PostgreSQL ≥ 0.5).
func postgresRows(_ postgres: SupervisionResult, sqlite: SupervisionResult, cases: Int) -> [BenchRow] {
    SupervisionScenario.views.compactMap { view in
        guard let pg = postgres.medians[view], let lite = sqlite.medians[view] else { return nil }
        return BenchRow(
            id: "P9",
            scenario: "P3 \(view) with the province's store on PostgreSQL 15, \(grouped(Double(cases))) cases",
            figure: String(format: "p50 %.1f ms", pg),
            limit: String(format: "P3 on SQLite in this run p50 %.1f ms", lite),
            ratio: lite / pg,
            goal: "≥ 0.5 × SQLite (within 2×)",
            met: pg <= 2 * lite
        )
    }
}

enum SupervisionScenario {
    /// The views P3 times, by the labels of their rows.
    static let views = ["backlog summary", "stats, year to date", "stats, last 3 years"]

    /// The province's store (SQLite in `root`, or the database at `postgres`) with `cases` synthetic
    /// cases and fresh planner statistics, the load's time and size reported.
    static func loaded(cases: Int, now: Date, directory root: URL, postgres: PostgresLocation?) async throws -> NodeDatabase {
        let (topology, keys) = ExampleHierarchy.topology(baseURL: { "direct://\($0)" })
        let province = ExampleHierarchy.province
        let database: NodeDatabase
        let server = postgres.map { PostgresTransactions($0) }
        if let server {
            database = try await openBenchStore(province, on: server, blobs: root, topology: topology, keys: keys)
        } else {
            try? FileManager.default.removeItem(at: root)
            database = try openBenchStore(province, at: root, topology: topology, keys: keys, durability: .processCrashOnly)
        }
        let units = [
            ExampleHierarchy.furong, ExampleHierarchy.yuelu, ExampleHierarchy.hecheng, ExampleHierarchy.zhongfang,
            ExampleHierarchy.changsha, ExampleHierarchy.huaihua, province,
        ]
        progress("P3: loading \(cases) cases (3 years of a province's subtree) …")
        let loadStarted = Date()
        try await database.loadSyntheticCases(count: cases, units: units, now: now)
        // As the reconciliation round would after such growth: the planner's statistics; on
        // PostgreSQL what autovacuum does after a large load (statistics and the visibility map).
        let analyzeStarted = Date()
        if let server { try await server.vacuumAnalyze() } else { _ = try await database.refreshPlannerStatistics() }
        progress(
            String(
                format: "P3: planner statistics taken in %.1f s%@",
                Date().timeIntervalSince(analyzeStarted),
                server == nil ? "" : " (VACUUM ANALYZE)"
            )
        )
        progress(
            String(
                format: "P3: loaded in %.1f s; store %.0f MB",
                Date().timeIntervalSince(loadStarted),
                Double(try await database.fileSize()) / 1_048_576
            )
        )
        progress("P3: the store holds \(grouped(Double(try await database.countAllCases()))) cases\(postgres == nil ? "" : " (PostgreSQL)")")
        return database
    }

    /// Rows P3 (backlog), P3 (stats), P6 (the province's memory while answering) and P10 (the
    /// dashboard over HTTP on the same store). With `postgres`, the province's store is that
    /// database (P9), and the rows are P3's and P10's on it.
    static func run(cases: Int, repeats: Int, directory root: URL, postgres: PostgresLocation? = nil) async throws -> SupervisionResult {
        let province = ExampleHierarchy.province
        let now = Date()
        let database = try await loaded(cases: cases, now: now, directory: root, postgres: postgres)
        let services = NodeServices(identity: NodeIdentity(id: province, name: "湖南省人社厅", level: .province), database: database)
        let today = database.calendar.civilDate(of: now)
        let yearStart = CivilDate(year: today.year, month: 1, day: 1)!
        func time(_ label: String, _ body: () async throws -> Int) async throws -> [Double] {
            _ = try await body()  // warm the page cache once
            var ms: [Double] = []
            for _ in 0..<repeats {
                let started = DispatchTime.now().uptimeNanoseconds
                _ = try await body()
                ms.append(milliseconds(since: started))
            }
            ms.sort()
            progress(String(format: "P3: %@: p50 %.1f ms, p99 %.1f ms", label, percentile(ms, 0.5), percentile(ms, 0.99)))
            return ms
        }
        let floor = try await time("SELECT count(*) FROM cases") { try await database.countAllCases() }
        let backlog = try await time("backlog, whole subtree") { try await SupervisionBodies.backlog(services).count }
        _ = try await time("backlog of a city") { try await SupervisionBodies.backlog(services, node: ExampleHierarchy.changsha).count }
        let stats = try await time("stats, this year to date") { try await SupervisionBodies.stats(services, from: yearStart, to: today).count }
        let stats3 = try await time("stats, the last 3 years") {
            try await SupervisionBodies.stats(services, from: today.adding(days: -3 * 365), to: today).count
        }
        let resident = ProcessMemory.megabytes("VmRSS")
        let peak = ProcessMemory.megabytes("VmHWM")
        let dashboard = try await DashboardScenario.run(services: services, cases: cases, repeats: repeats)
        let count = percentile(floor, 0.5)
        let note = postgres == nil ? "" : ", the province on PostgreSQL"
        func row(_ label: String, _ ms: [Double]) -> BenchRow {
            BenchRow(
                id: "P3",
                scenario: "\(label), province, \(grouped(Double(cases))) cases in its subtree\(note)",
                figure: String(format: "p50 %.1f ms, p99 %.1f ms", percentile(ms, 0.5), percentile(ms, 0.99)),
                limit: String(format: "SELECT count(*) %.1f ms", count),
                ratio: percentile(ms, 0.5) / count,
                goal: "p50 ≤ 50 ms",
                met: percentile(ms, 0.5) <= 50
            )
        }
        let timed = zip(views, [backlog, stats, stats3])
        var rows = timed.map { row($0, $1) }
        if postgres == nil {
            rows.append(
                BenchRow(
                    id: "P6",
                    scenario: "resident memory, province answering P3",
                    figure: String(format: "%.0f MB (peak with the load %.0f MB)", resident, peak),
                    limit: "—",
                    ratio: nil,
                    goal: "≤ 300 MB",
                    met: resident <= 300
                )
            )
        }
        for var board in dashboard {
            board.scenario += note
            rows.append(board)
        }
        return SupervisionResult(
            rows: rows,
            medians: Dictionary(uniqueKeysWithValues: timed.map { ($0, percentile($1, 0.5)) })
        )
    }
}
