import ArgumentParser
import Foundation
import Synchronization
import XinfangCore
import XinfangSimulation
import XinfangStore

/// Upgrading a large store (issue 20): a county-sized or province-sized store of `--cases` real
/// chains (signed registration events with their materialised rows) is made, taken back to the
/// previous release's schema, and opened by this build, which applies the pending migration and
/// says so in the log; then the heaviest kind of migration, one that asks for every materialised
/// case to be rewritten from its chain (as five earlier migrations did), is timed with its
/// progress lines. The limit beside each is a plain `SELECT count(*)` over the same cases.
struct MigrationBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Schema upgrade of a large store: the pending migration, then a rewrite of every case, with progress."
    )

    @Option(help: "Cases (each a signed chain) in the store.") var cases: Int = 1_000_000
    @Option(help: "Working directory (removed first).") var dir: String = ".xinfang-bench/migrate"

    func validate() throws {
        guard (1...5_000_000).contains(cases) else { throw ValidationError("--cases 1…5000000") }
    }

    func run() async throws {
        print(BenchTable.render(try await MigrationScenario.run(cases: cases, directory: URL(fileURLWithPath: dir, isDirectory: true))))
    }
}

enum MigrationScenario {
    /// The migrations `rewindToPreviousSchema` takes back, which the opening applies again.
    static let rewound = ["018-event-format", "019-daily-counts-staged", "020-open-index-by-kind", "021-events-by-case"]

    static func run(cases: Int, directory root: URL) async throws -> [BenchRow] {
        try? FileManager.default.removeItem(at: root)
        var (topology, keys) = ExampleHierarchy.topology(baseURL: { "direct://\($0)" })
        topology.formats = nil  // the hierarchy still writes the previous formats
        let province = ExampleHierarchy.province
        func open(_ report: ProgressReport? = nil) throws -> NodeDatabase {
            try NodeDatabase.open(
                directory: root,
                node: province,
                calendar: .standard,
                hierarchy: Hierarchy(topology: topology, key: keys[province]!),
                durability: .full,
                report: report
            )
        }
        progress("migrate: loading \(grouped(Double(cases))) cases (signed chains) …")
        let loadStarted = Date()
        do {
            let database = try open()
            try await database.loadSyntheticChains(count: cases, now: Date()) { done in
                if done % 131_072 < 8_192 { progress("migrate: \(grouped(Double(done))) cases stored") }
            }
            try await database.rewindToPreviousSchema()
            progress(
                String(
                    format: "migrate: loaded in %.1f s, store %.0f MB",
                    Date().timeIntervalSince(loadStarted),
                    Double(try await database.fileSize()) / 1_048_576
                )
            )
        }
        let lines = Mutex<[String]>([])
        let log: ProgressReport = { line in
            progress("log: \(line)")
            lines.withLock { $0.append(line) }
        }
        func logged(_ needle: String) -> Bool { lines.withLock { $0.contains { $0.contains(needle) } } }

        // This release's migrations, on an earlier release's store.
        var started = Date()
        let upgraded = try open(log)
        let migration = Date().timeIntervalSince(started)
        let floorStarted = DispatchTime.now().uptimeNanoseconds
        let counted = try await upgraded.countAllCases()
        let floorMs = milliseconds(since: floorStarted)
        precondition(counted == cases, "the store holds \(counted) cases, not \(cases)")
        // A migration that asks for every case to be rewritten from its chain.
        try await upgraded.requestMaterialisedRewrite()
        started = Date()
        _ = try open(log)
        let rewrite = Date().timeIntervalSince(started)
        // The goal is that the log says what happens and how far it is: the migration by name, the
        // rewrite's running count (when it lasts past one interval) and its total.
        let namedMigration = Self.rewound.allSatisfy { logged("schema: \($0) applied") }
        let rewroteAll = logged("rewriting the materialised cases: \(cases) cases in")
        let sawProgress = rewrite < 10 || logged(" s left")
        try? FileManager.default.removeItem(at: root)
        let scale = "\(grouped(Double(cases))) cases"
        return [
            BenchRow(
                id: "M1",
                scenario:
                    "opening an earlier release's store: migrations 018 (event format), 019 (daily counts staged, recounted), 020 (the open cases' index) and 021 (the events copied under their case), \(scale)",
                figure: String(format: "%.2f s", migration),
                limit: String(format: "SELECT count(*) %.1f ms", floorMs),
                ratio: nil,
                goal: "the migrations named in the log",
                met: namedMigration
            ),
            BenchRow(
                id: "M2",
                scenario: "a migration that rewrites every materialised case from its chain, \(scale)",
                figure: String(format: "%.1f s (%@ cases/s)", rewrite, grouped(Double(cases) / rewrite)),
                limit: String(format: "SELECT count(*) %.1f ms", floorMs),
                ratio: nil,
                goal: "progress in the log",
                met: rewroteAll && sawProgress
            ),
        ]
    }
}
