import ArgumentParser
import Foundation
import Logging
import XinfangCore
import XinfangHTTP
import XinfangSimulation
import XinfangStore
import XinfangSync

/// `xinfang bench …`: benchmarks that print figures (never run by the test command).
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a benchmark and print its figures.",
        subcommands: [IngestBench.self, AntiEntropyBench.self, SupervisionBench.self]
    )
}

/// Anti-entropy between a county and its city holding `--cases` shared case heads of which
/// `--differ` differ: bytes exchanged and time, against the goal of 64 KB and 1 s.
struct AntiEntropyBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "anti-entropy",
        abstract: "Digest exchange between a child and its parent sharing many cases, a few of them different."
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
        let root = URL(fileURLWithPath: dir, isDirectory: true)
        try? FileManager.default.removeItem(at: root)
        let (topology, keys) = ExampleHierarchy.topology(baseURL: { "direct://\($0)" })
        let child = ExampleHierarchy.furong
        let parent = ExampleHierarchy.changsha
        func open(_ node: NodeID) throws -> NodeDatabase {
            try NodeDatabase.open(
                directory: root.appendingPathComponent(node.rawValue),
                node: node,
                calendar: .standard,
                hierarchy: Hierarchy(topology: topology, key: keys[node]!),
                durability: .processCrashOnly
            )
        }
        let childStore = try open(child)
        let parentStore = try open(parent)
        // The same cases at both (numbered as the child's), a few with another head at the child.
        let stride = max(1, cases / max(1, differ))
        let differing = Set((0..<differ).map { $0 * stride })
        let loadStarted = Date()
        print("loading \(cases) shared case heads into each store …")
        try await childStore.loadSyntheticHeads(count: cases, sharedWith: parent) { differing.contains($0) ? 2 : 1 }
        try await parentStore.loadSyntheticHeadsAs(child, count: cases, sharedWith: child)
        print(String(format: "loaded in %.1f s", Date().timeIntervalSince(loadStarted)))
        let transport = DirectTransport(databases: [childStore, parentStore], clock: SystemClockForBench())
        let job = ReconciliationService(
            database: childStore,
            transport: transport,
            clock: SystemClockForBench(),
            limits: ReconciliationLimits(),
            logger: Logger(label: "bench")
        )
        let parentNode = topology.node(parent)!
        var reports: [AntiEntropyReport] = []
        for _ in 0...repeats { reports.append(try await job.exchangeDigests(with: parentNode)) }
        let first = reports[0]
        let timed = reports.dropFirst().map(\.milliseconds).sorted()
        let bytes = first.bytesSent + first.bytesReceived
        print("anti-entropy, \(cases) shared cases, \(differ) differing (in process, real packet code, no HTTP):")
        print("  differing tops \(first.differingTops), leaves \(first.differingLeaves), cases found \(first.resent)")
        print("  bytes exchanged: \(bytes) (sent \(first.bytesSent), received \(first.bytesReceived)); goal ≤ 65536")
        print(
            String(
                format: "  time: first %.1f ms; next %d: median %.1f ms, max %.1f ms; goal ≤ 1000 ms",
                first.milliseconds,
                timed.count,
                timed[timed.count / 2],
                timed.last!
            )
        )
        if first.resent != differ { print("  WARNING: expected \(differ) differing cases, found \(first.resent)") }
    }
}

struct SystemClockForBench: NodeClock {
    func now() -> Date { Date() }
}

/// The supervision views of a province holding `--cases` cases in its subtree: the backlog summary
/// and the indicators, each timed `--repeats` times, beside a `SELECT count(*)` over the same table,
/// and the process's peak memory.
struct SupervisionBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "supervision",
        abstract: "Backlog and stats response times at a province holding many cases (goal: backlog p50 ≤ 50 ms)."
    )

    @Option(help: "Cases in the province's store.") var cases: Int = 1_000_000
    @Option(help: "Requests to time per view.") var repeats: Int = 20
    @Option(help: "Working directory (removed first).") var dir: String = ".xinfang-bench/supervision"

    func validate() throws {
        guard (1...20_000_000).contains(cases), (1...1000).contains(repeats) else { throw ValidationError("--cases 1…20000000, --repeats 1…1000") }
    }

    func run() async throws {
        let root = URL(fileURLWithPath: dir, isDirectory: true)
        try? FileManager.default.removeItem(at: root)
        let (topology, keys) = ExampleHierarchy.topology(baseURL: { "direct://\($0)" })
        let province = ExampleHierarchy.province
        let database = try NodeDatabase.open(
            directory: root,
            node: province,
            calendar: .standard,
            hierarchy: Hierarchy(topology: topology, key: keys[province]!),
            durability: .processCrashOnly
        )
        let now = Date()
        let units = [
            ExampleHierarchy.furong, ExampleHierarchy.yuelu, ExampleHierarchy.hecheng, ExampleHierarchy.zhongfang,
            ExampleHierarchy.changsha, ExampleHierarchy.huaihua, province,
        ]
        print("loading \(cases) cases (3 years of a province's subtree) …")
        let loadStarted = Date()
        try await database.loadSyntheticCases(count: cases, units: units, now: now)
        print(
            String(
                format: "loaded in %.1f s; store %.0f MB; peak memory so far %.0f MB",
                Date().timeIntervalSince(loadStarted),
                Double(try await database.fileSize()) / 1_048_576,
                PeakMemory.megabytes()
            )
        )
        let services = NodeServices(
            identity: NodeIdentity(id: province, name: "湖南省人社厅", level: .province),
            database: database
        )
        let today = database.calendar.civilDate(of: now)
        let yearStart = CivilDate(year: today.year, month: 1, day: 1)!
        func time(_ label: String, unit: String = "bytes", _ body: () async throws -> Int) async throws -> [Double] {
            _ = try await body()  // warm the page cache once
            var ms: [Double] = []
            var bytes = 0
            for _ in 0..<repeats {
                let started = DispatchTime.now().uptimeNanoseconds
                bytes = try await body()
                ms.append(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6)
            }
            ms.sort()
            let p50 = ms[ms.count / 2]
            let p99 = ms[min(ms.count - 1, Int((Double(ms.count) * 0.99).rounded(.up)) - 1)]
            print(String(format: "  %@: p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d %@)", label, p50, p99, ms.last!, bytes, unit))
            return ms
        }
        print("\(repeats) requests each, \(cases) cases:")
        let count = try await time("SELECT count(*) FROM cases (the floor)", unit: "rows") { try await database.countAllCases() }
        let backlog = try await time("GET /api/v1/backlog (province, whole subtree)") { try await SupervisionBodies.backlog(services).count }
        _ = try await time("GET /api/v1/backlog?node=430100 (a city)") {
            try await SupervisionBodies.backlog(services, node: ExampleHierarchy.changsha).count
        }
        let stats = try await time("GET /api/v1/stats (this year to date)") {
            try await SupervisionBodies.stats(services, from: yearStart, to: today).count
        }
        _ = try await time("GET /api/v1/stats (the last 3 years)") {
            try await SupervisionBodies.stats(services, from: today.adding(days: -3 * 365), to: today).count
        }
        print(
            String(
                format: "backlog p50 %.1f ms (goal ≤ 50 ms), %.2f× count(*); stats p50 %.1f ms, %.2f× count(*); peak memory %.0f MB",
                backlog[backlog.count / 2],
                backlog[backlog.count / 2] / count[count.count / 2],
                stats[stats.count / 2],
                stats[stats.count / 2] / count[count.count / 2],
                PeakMemory.megabytes()
            )
        )
    }
}

/// The process's peak resident memory (VmHWM), from /proc on Linux; 0 where it cannot be read.
enum PeakMemory {
    static func megabytes() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kb = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return 0 }
        return kb / 1024
    }
}
