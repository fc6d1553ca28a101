import Foundation
import Testing

/// `xinfang reconcile`, `xinfang simulate` and `xinfang bench` as a user runs them.
struct ReconcileAndSimulateCLITests {
    @Test func reconcileRunsOverAStoreAndRefusesBadLimits() async throws {
        let dir = try temporaryDirectory("reconcile")
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = try await writeConfig(in: dir)
        let run = try NodeProcess(arguments: ["reconcile", "--config", config.path], workDirectory: dir)
        #expect(try await run.waitForExit() == 0)
        #expect(run.log.contains("node 430102: scanned 0 open cases") && run.log.contains("previous run: none"))
        let again = try NodeProcess(arguments: ["reconcile", "--config", config.path, "--json"], workDirectory: dir)
        #expect(try await again.waitForExit() == 0)
        #expect(again.log.contains("\"previousRunAt\""), "the second run knows the first")
        try
            #"{"nodeId": "430102", "name": "x", "level": "county", "dataDirectory": "data", "listen": "127.0.0.1:0", "reconciliation": {"intervalSeconds": 0}}"#
            .write(to: config, atomically: true, encoding: .utf8)
        let bad = try NodeProcess(arguments: ["reconcile", "--config", config.path], workDirectory: dir)
        #expect(try await bad.waitForExit() != 0)
        #expect(bad.log.contains("reconciliation.intervalSeconds"))
    }

    @Test func simulateReplaysASeedAndASoakReportsItsRate() async throws {
        let dir = try temporaryDirectory("simulate")
        defer { try? FileManager.default.removeItem(at: dir) }
        let one = try NodeProcess(arguments: ["simulate", "--seed", "11", "--steps", "80", "--dir", "sim"], workDirectory: dir)
        #expect(try await one.waitForExit(timeout: 120) == 0)
        #expect(one.log.contains("seed 11 passed") && one.log.contains("state "))
        let soak = try NodeProcess(arguments: ["simulate", "--seeds", "4", "--steps", "40", "--dir", "sim"], workDirectory: dir)
        #expect(try await soak.waitForExit(timeout: 120) == 0)
        #expect(soak.log.contains("4 seeds in") && soak.log.contains("seeds/s); 0 failed"))
        let refused = try NodeProcess(arguments: ["simulate", "--seeds", "0"], workDirectory: dir)
        #expect(try await refused.waitForExit() != 0)
    }

    /// The whole benchmark suite at a tiny size (the figures mean nothing here; the code runs):
    /// every scenario prints its row, the pushed and queued events all arrive, the differing cases
    /// are all found.
    @Test func theWholeBenchmarkSuiteRunsAtATinySizeAndPrintsOneTable() async throws {
        let dir = try temporaryDirectory("bench-all")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bench = try NodeProcess(
            arguments: [
                "bench", "all", "--ingest-cases", "30", "--latency-rounds", "3", "--latency-load", "100",
                "--supervision-cases", "2000", "--supervision-repeats", "2", "--catch-up-events", "60",
                "--anti-entropy-cases", "3000", "--anti-entropy-differ", "3", "--idle-settle", "0.5", "--idle-cpu-seconds", "1", "--blob-megabytes",
                "8",
            ],
            workDirectory: dir
        )
        #expect(try await bench.waitForExit(timeout: 600) == 0, "\(bench.log)")
        let rows = bench.log.split(separator: "\n").filter { $0.hasPrefix("| P") }
        #expect(
            rows.map { $0.prefix(5) } == [
                "| P1 ", "| P2 ", "| P2 ", "| P2 ", "| P2 ", "| P3 ", "| P3 ", "| P3 ", "| P4 ", "| P5 ", "| P6 ", "| P6 ", "| P7 ",
                "| P8 ", "| P8 ", "| P8 ", "| P9 ", "| P9 ", "| P9 ", "| P9 ", "| P10",
                "| P10", "| P10",
            ]
        )
        #expect(bench.log.components(separatedBy: "P1: pushed 60 events in").count == 3, "P1, then P9's P1, each stored every event")
        // Loading is not measured: P9's P1 and P4 start from a copy of the city P1 loaded.
        #expect(bench.log.contains("P1: the city's 30 cases for the county copied from P1's load"))
        #expect(bench.log.contains("P4: the city queues 30 cases (60 events) for the county, which is offline (the first 30 copied from P1's load)"))
        #expect(bench.log.contains("P1 with the county's store on PostgreSQL"), "P9 ran P1 on a cluster of its own")
        #expect(bench.log.contains("P3: the store holds 2,000 cases (PostgreSQL)"), "P9 loaded P3's cases into PostgreSQL")
        #expect(bench.log.contains("P3 stats, last 3 years with the province's store on PostgreSQL 15, 2,000 cases"))
        #expect(bench.log.contains("P2: closure under load right behind the case's accept, notice and reply (not a row): p50"))
        // Whether the background lasted the timing under load depends on the machine's speed at the
        // moment (the tests run side by side): the bench says so when it did not, a test cannot.
        #expect(bench.log.contains("P4: the county stored 60 events"))
        #expect(bench.log.contains("P4: the city's attempts failed while the county was offline: true"))
        #expect(bench.log.contains("3,000 replicated cases, 3 differing (3 found)"))
        #expect(bench.log.contains("MB resident (own"))
        #expect(bench.log.contains("dashboard, landing page (/), province, 2,000 cases"), "P10 timed the landing page over HTTP")
        #expect(bench.log.contains("P10: case list, 50 rows, overdue: server p50"))
        #expect(bench.log.contains("% of a core per node (mean"), "P7 measured the seeded demo's 7 nodes")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent(".xinfang-bench/all").path), "the stores are removed")
    }

    @Test func theIngestBenchmarkRunsAloneAndSizesAreBounded() async throws {
        let dir = try temporaryDirectory("bench-ingest")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bench = try NodeProcess(arguments: ["bench", "ingest", "--cases", "40", "--direct"], workDirectory: dir)
        #expect(try await bench.waitForExit(timeout: 120) == 0, "\(bench.log)")
        #expect(bench.log.contains("P1: pushed 80 events") && bench.log.contains("| P1 | 80 signed events"))
        for arguments in [["bench", "ingest", "--cases", "0"], ["bench", "all", "--catch-up-events", "1"], ["bench", "latency", "--rounds", "0"]] {
            let refused = try NodeProcess(arguments: arguments, workDirectory: dir)
            #expect(try await refused.waitForExit() != 0, "\(arguments)")
        }
    }
}
