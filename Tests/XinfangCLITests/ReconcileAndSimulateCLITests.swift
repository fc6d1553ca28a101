import Foundation
import Testing

/// `xinfang reconcile`, `xinfang simulate` and `xinfang bench anti-entropy` as a user runs them.
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

    @Test func theAntiEntropyBenchmarkPrintsItsFigures() async throws {
        let dir = try temporaryDirectory("bench")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bench = try NodeProcess(arguments: ["bench", "anti-entropy", "--cases", "3000", "--differ", "3", "--repeats", "1"], workDirectory: dir)
        #expect(try await bench.waitForExit(timeout: 120) == 0)
        #expect(bench.log.contains("cases found 3") && bench.log.contains("bytes exchanged:"))
    }

    @Test func theSupervisionBenchmarkPrintsItsFigures() async throws {
        let dir = try temporaryDirectory("bench-supervision")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bench = try NodeProcess(arguments: ["bench", "supervision", "--cases", "3000", "--repeats", "2"], workDirectory: dir)
        #expect(try await bench.waitForExit(timeout: 120) == 0)
        #expect(bench.log.contains("loading 3000 cases") && bench.log.contains("GET /api/v1/backlog (province, whole subtree): p50"))
        #expect(bench.log.contains("peak memory"))
    }

    @Test func theIngestBenchmarkPushesEveryEventAndPrintsItsLimits() async throws {
        let dir = try temporaryDirectory("bench-ingest")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bench = try NodeProcess(arguments: ["bench", "ingest", "--cases", "60"], workDirectory: dir)
        #expect(try await bench.waitForExit(timeout: 120) == 0, "\(bench.log)")
        #expect(bench.log.contains("pushed 120 events") && bench.log.contains("applied durably, over HTTP:"))
        #expect(bench.log.contains("raw SQLite insert, same batches:") && bench.log.contains("Ed25519 verify ×"))
    }
}
