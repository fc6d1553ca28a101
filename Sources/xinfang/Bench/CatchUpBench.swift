import ArgumentParser
import Foundation
import Logging
import XinfangCore
import XinfangHTTP
import XinfangSimulation
import XinfangStore
import XinfangSync

/// P4: a county offline while its city queues events for it, then back: how fast the real
/// dispatcher (greeting, packets, receipts) drains the queue over HTTP, against P1's rate.
struct CatchUpBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catch-up",
        abstract: "P4: a county offline while events queue for it, then back; catch-up rate against P1's."
    )

    @Option(help: "Events queued for the county (2 a case).") var events: Int = 100_000
    @Option(help: "P1's rate to compare with (events/s); 0 runs P1 first at 25,000 cases.") var ingestRate: Double = 0
    @Option(help: "Working directory (removed first).") var dir: String = ".xinfang-bench/catch-up"

    func validate() throws {
        guard (2...2_000_000).contains(events), ingestRate >= 0 else { throw ValidationError("--events 2…2000000, --ingest-rate ≥ 0") }
    }

    func run() async throws {
        let root = URL(fileURLWithPath: dir, isDirectory: true)
        var rate = ingestRate
        var loaded: LoadedCity?
        if rate == 0 {
            let ingest = try await IngestScenario.run(
                cases: 25_000,
                directory: root.appendingPathComponent("p1"),
                keepLoadedAt: root.appendingPathComponent("p1-city-loaded.sqlite")
            )
            (rate, loaded) = (ingest.rate, ingest.city)
        }
        let row = try await CatchUpScenario.run(events: events, ingestRate: rate, directory: root.appendingPathComponent("p4"), from: loaded)
        print(BenchTable.render([row]))
    }
}

enum CatchUpScenario {
    /// `loaded`: P1's city, whose cases (when no more than P4's) are the first of the queue,
    /// copied instead of loaded again.
    static func run(events: Int, ingestRate: Double, directory root: URL, from loaded: LoadedCity? = nil) async throws -> BenchRow {
        let cases = max(1, events / 2)
        let reused = loaded.flatMap { $0.cases <= cases ? $0 : nil }
        let hierarchy = try BenchHierarchy.make(at: root, keys: reused?.keys)
        let city = ExampleHierarchy.changsha
        let county = ExampleHierarchy.furong
        // Queue the cases at the city with a fast store (loading is not what is measured), then
        // open it again as a node runs it (durable).
        do {
            let loading = root.appendingPathComponent("loading")
            if let reused { try reused.copy(into: loading) }
            let loader = try openBenchStore(city, at: loading, topology: hierarchy.topology, keys: hierarchy.keys, durability: .processCrashOnly)
            let copied = reused?.cases ?? 0
            progress(
                "P4: the city queues \(cases) cases (\(2 * cases) events) for the county, which is offline"
                    + (copied > 0 ? " (the first \(copied) copied from P1's load) …" : " …")
            )
            let started = Date()
            try await IngestScenario.registerAndOffer(cases - copied, at: loader, to: county, mode: .transfer, from: copied)
            progress(String(format: "P4: queued in %.1f s", Date().timeIntervalSince(started)))
        }
        let cityDirectory = root.appendingPathComponent(city.rawValue)
        try FileManager.default.removeItem(at: cityDirectory)
        try FileManager.default.moveItem(at: root.appendingPathComponent("loading"), to: cityDirectory)
        let cityStore = try openBenchStore(city, at: cityDirectory, topology: hierarchy.topology, keys: hierarchy.keys, durability: .full)
        let running = BenchHierarchy(
            topology: hierarchy.topology,
            keys: hierarchy.keys,
            stores: hierarchy.stores.merging([city: cityStore]) { $1 },
            ports: hierarchy.ports
        )
        let countyStore = hierarchy.stores[county]!
        return try await withThrowingTaskGroup(of: Void.self) { group in
            await running.serve(city, in: &group)
            // The city tries, fails (nobody listens) and backs off. A node opened on a store never
            // reconciled runs its first round at start (it reads every case); the city of this
            // scenario has been running all along, so the county comes back after that round.
            try await Task.sleep(nanoseconds: 1_500_000_000)
            let opened = DispatchTime.now().uptimeNanoseconds
            while try await cityStore.lastReconciledAt() == nil {
                guard milliseconds(since: opened) < 300_000 else {
                    progress("P4: the city's first reconciliation round did not end within 5 minutes; the county comes back beside it")
                    break
                }
                try await Task.sleep(nanoseconds: 100_000_000)
            }
            let failed = try await cityStore.outboxSummary().first { $0.peer == county.rawValue }?.lastFailureAt != nil
            progress("P4: the city's attempts failed while the county was offline: \(failed)")
            let started = DispatchTime.now().uptimeNanoseconds
            await running.serve(county, in: &group)
            var stored = 0
            // Counting the county's events scans an index: every 50 ms keeps that small beside
            // what is measured, within 50 ms of the end.
            while stored < 2 * cases {
                try await Task.sleep(nanoseconds: 50_000_000)
                let before = stored
                stored = try await countyStore.counts().events
                if before == 0, stored > 0 {
                    progress(String(format: "P4: the first events stored %.2f s after the county came back", milliseconds(since: started) / 1000))
                }
                if milliseconds(since: started) > 3_600_000 { throw ValidationError("the county did not catch up within an hour") }
            }
            let seconds = milliseconds(since: started) / 1000
            group.cancelAll()
            let rate = Double(stored) / seconds
            progress(String(format: "P4: the county stored %d events %.1f s after it came back", stored, seconds))
            return BenchRow(
                id: "P4",
                scenario: "county back after \(grouped(Double(2 * cases))) events queued for it (real dispatcher)",
                figure: String(format: "%@ events/s (%.1f s)", grouped(rate), seconds),
                limit: "P1 \(grouped(ingestRate)) events/s",
                ratio: rate / ingestRate,
                goal: "≥ P1's rate",
                met: rate >= ingestRate && failed
            )
        }
    }
}
