import ArgumentParser
import Foundation

/// `xinfang bench all`: every scenario, one after the other, and one table.
struct BenchAll: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all",
        abstract: "Run the whole suite (P1–P10) and print one table: figure, the machine's limit in the same run, ratio, goal."
    )

    @Option(help: "P1: cases pushed (2 events each).") var ingestCases: Int = 25_000
    @Option(help: "P2: assignments and closures timed per condition.") var latencyRounds: Int = 100
    @Option(help: "P2: background load, events/s.") var latencyLoad: Int = 1000
    @Option(help: "P3 and P10: cases at the province.") var supervisionCases: Int = 1_000_000
    @Option(help: "P3 and P10: requests timed per view.") var supervisionRepeats: Int = 20
    @Option(help: "P4: events queued for the offline county.") var catchUpEvents: Int = 100_000
    @Option(help: "P5: replicated cases.") var antiEntropyCases: Int = 1_000_000
    @Option(help: "P5: cases that differ.") var antiEntropyDiffer: Int = 10
    @Option(help: "P6: seconds an idle node settles.") var idleSettle: Double = 5
    @Option(help: "P7: seconds the seeded demo is left idle and measured.") var idleCpuSeconds: Double = 60
    @Option(help: "P8: the attachment's size in MB.") var blobMegabytes: Int = 200
    @Option(help: "Working directory (removed first, and again at the end unless --keep).") var dir: String = ".xinfang-bench/all"
    @ArgumentParser.Flag(help: "Keep the working directory (the stores) after the run.") var keep = false
    @ArgumentParser.Flag(help: "Leave out P9 (P1 and P3 again on PostgreSQL: about 2.5 of the run's 9 minutes on 2 cores).")
    var skipPostgres = false

    func validate() throws {
        guard (1...1_000_000).contains(ingestCases), (1...10_000).contains(latencyRounds), (0...20_000).contains(latencyLoad),
            (1...20_000_000).contains(supervisionCases), (1...1000).contains(supervisionRepeats),
            (2...2_000_000).contains(catchUpEvents), (1...20_000_000).contains(antiEntropyCases),
            (0...antiEntropyCases).contains(antiEntropyDiffer), (0...600).contains(idleSettle),
            (1...3600).contains(idleCpuSeconds), (8...2000).contains(blobMegabytes)
        else { throw ValidationError("a size is out of range; see --help") }
    }

    func run() async throws {
        let root = URL(fileURLWithPath: dir, isDirectory: true)
        try? FileManager.default.removeItem(at: root)
        let started = Date()
        func directory(_ name: String) -> URL { root.appendingPathComponent(name) }
        var rows: [BenchRow] = []
        func step(_ name: String, _ body: () async throws -> [BenchRow]) async throws {
            let t0 = Date()
            progress("== \(name)")
            rows += try await body()
            progress(String(format: "== %@ done in %.0f s (%.0f s so far)", name, Date().timeIntervalSince(t0), Date().timeIntervalSince(started)))
        }
        // P3 first: its row of P6 is the memory of this process answering, before the other
        // scenarios' stores and servers have grown it.
        var supervision: SupervisionResult?
        try await step("P3 supervision") {
            supervision = try await SupervisionScenario.run(cases: supervisionCases, repeats: supervisionRepeats, directory: directory("p3"))
            return supervision!.rows
        }
        var ingest: IngestResult?
        try await step("P1 ingest") {
            ingest = try await IngestScenario.run(
                cases: ingestCases,
                directory: directory("p1"),
                keepLoadedAt: directory("p1-city-loaded.sqlite")
            )
            return [ingest!.row]
        }
        if !skipPostgres {
            try await step("P9 ingest on PostgreSQL") {
                let postgres = try await IngestScenario.onPostgres(cases: ingestCases, directory: directory("p9-ingest"), from: ingest!.city)
                return [postgresRow(postgres, sqlite: ingest!)]
            }
            try await step("P9 supervision on PostgreSQL") {
                let folder = directory("p9-supervision")
                let postgres = try await withBenchPostgres(root: folder) { location in
                    try await SupervisionScenario.run(cases: supervisionCases, repeats: supervisionRepeats, directory: folder, postgres: location)
                }
                return postgresRows(postgres, sqlite: supervision!, cases: supervisionCases)
            }
        }
        try await step("P2 latency") {
            try await LatencyScenario.run(rounds: latencyRounds, load: latencyLoad, directory: directory("p2"))
        }
        try await step("P4 catch-up") {
            [try await CatchUpScenario.run(events: catchUpEvents, ingestRate: ingest!.rate, directory: directory("p4"), from: ingest!.city)]
        }
        try await step("P5 anti-entropy") {
            [try await AntiEntropyScenario.run(cases: antiEntropyCases, differ: antiEntropyDiffer, repeats: 5, directory: directory("p5"))]
        }
        try await step("P6 idle node") { [try await IdleMemoryScenario.run(settleSeconds: idleSettle, directory: directory("p6"))] }
        try await step("P7 idle CPU") {
            [try await IdleCPUScenario.run(idleSeconds: idleCpuSeconds, settleSeconds: 5, directory: directory("p7"))]
        }
        try await step("P8 attachment over two hops") {
            try await BlobScenario.run(megabytes: blobMegabytes, directory: directory("p8"))
        }
        if !keep { try? FileManager.default.removeItem(at: root) }
        Self.printTable(rows, started: started)
    }

    /// The run's heading (when, the machine, how long) and the rows by the number of their id.
    static func printTable(_ rows: [BenchRow], started: Date) {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let memory = Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824
        print(
            String(
                format: "xinfang bench all, %@, %d cores, %.0f GiB, %.0f s",
                ISO8601DateFormatter().string(from: started),
                cores,
                memory,
                Date().timeIntervalSince(started)
            )
        )
        print("")
        // By the number of the id (P10 after P8), then in the order run.
        func number(_ row: BenchRow) -> Int { Int(row.id.dropFirst()) ?? 0 }
        print(BenchTable.render(rows.enumerated().sorted { (number($0.element), $0.offset) < (number($1.element), $1.offset) }.map(\.element)))
    }
}
