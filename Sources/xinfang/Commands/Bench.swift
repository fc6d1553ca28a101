import ArgumentParser
import Foundation
import Logging
import XinfangCore
import XinfangSimulation
import XinfangStore
import XinfangSync

/// `xinfang bench …`: benchmarks that print figures (never run by the test command).
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a benchmark and print its figures.",
        subcommands: [AntiEntropyBench.self]
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
