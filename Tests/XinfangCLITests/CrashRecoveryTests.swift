import Foundation
import Synchronization
import Testing
import XinfangCore
import XinfangHTTP
import XinfangStore
import XinfangTesting

/// The real executable: every acknowledged case and event survives `kill -9` in the middle of a
/// burst and a Ctrl-C, and the restarted node's state equals a rebuild from its events.
struct CrashRecoveryTests {
    let http = HTTP()

    @Test func everyAcknowledgedCaseAndEventSurvivesKillDashNine() async throws {
        let dir = try temporaryDirectory("kill9")
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = try await writeConfig(in: dir)
        let node = try NodeProcess(arguments: ["serve", "--config", config.path, "--log-level", "warning"], workDirectory: dir)
        let base = try await node.waitUntilListening()

        // Acknowledged writes: case number → number of events acknowledged (1 registration, 2 with notify).
        let acknowledged = Acknowledged()
        let http = self.http
        let killAfter = 150
        let workers = 8
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<workers {
                group.addTask {
                    for _ in 0..<200 {
                        guard
                            let created = try? await http.send(
                                "POST",
                                base.appendingPathComponent("api/v1/cases"),
                                json: Fixtures.registrationJSON()
                            ),
                            created.status == 201, let number = created.json["caseNumber"] as? String
                        else { return }  // the node is gone: stop this worker
                        acknowledged.state.withLock { $0[number] = 1 }
                        let url = base.appendingPathComponent("api/v1/cases/\(number)/actions")
                        guard let notified = try? await http.send("POST", url, json: #"{"action":"notify","actor":"周敏"}"#), notified.status == 200
                        else { return }
                        acknowledged.state.withLock { $0[number] = 2 }
                    }
                }
            }
            group.addTask {
                while acknowledged.state.withLock({ $0.count }) < killAfter { try? await Task.sleep(for: .milliseconds(5)) }
                node.kill9()
            }
        }
        _ = try await node.waitForExit()
        let acked = acknowledged.state.withLock { $0 }
        #expect(acked.count >= killAfter)

        let restarted = try NodeProcess(arguments: ["serve", "--config", config.path, "--log-level", "warning"], workDirectory: dir)
        let again = try await restarted.waitUntilListening()
        for (number, events) in acked {
            let reply = try await http.send("GET", again.appendingPathComponent("api/v1/cases/\(number)"))
            #expect(reply.status == 200, "acknowledged case \(number) is lost")
            let chain = reply.json["chain"] as? [Any] ?? []
            #expect(chain.count >= events, "case \(number): \(events) events acknowledged, \(chain.count) stored")
        }
        let status = try await restarted.interruptAndWait()
        #expect(status == 0)

        // The store's materialised state equals the fold of its events, for every case.
        let db = try NodeDatabase.open(directory: dir.appendingPathComponent("data"), node: NodeID("430102"), calendar: .standard)
        let report = try await db.rebuildMaterialisedState(repair: false)
        #expect(report.mismatched.isEmpty)
        #expect(report.cases >= acked.count)
    }

    @Test func ctrlCStopsCleanlyAndNothingIsLost() async throws {
        let dir = try temporaryDirectory("sigint")
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = try await writeConfig(in: dir)
        var numbers: [String] = []
        do {
            let node = try NodeProcess(arguments: ["serve", "--config", config.path], workDirectory: dir)
            let base = try await node.waitUntilListening()
            for _ in 0..<5 {
                let created = try await http.send("POST", base.appendingPathComponent("api/v1/cases"), json: Fixtures.registrationJSON())
                #expect(created.status == 201)
                numbers.append(try #require(created.json["caseNumber"] as? String))
            }
            let status = try await node.interruptAndWait()
            #expect(status == 0, "a graceful shutdown exits 0: \(node.log.suffix(500))")
        }
        let node = try NodeProcess(arguments: ["serve", "--config", config.path], workDirectory: dir)
        let base = try await node.waitUntilListening()
        let ready = try await http.send("GET", base.appendingPathComponent("readyz"))
        #expect(ready.json["cases"] as? Int == 5)
        let calendar = ready.json["calendar"] as? [String: Any]
        #expect(calendar?["coversToday"] as? Bool == true && (calendar?["years"] as? [Int])?.contains(2026) == true, "\(ready.json)")
        for number in numbers {
            await #expect(try await http.send("GET", base.appendingPathComponent("api/v1/cases/\(number)")).status == 200)
        }
        _ = try await node.interruptAndWait()
    }

    /// One process per store (issue 14): a second `xinfang serve` on the same data folder exits at
    /// once naming the folder and the process that holds it; the first keeps serving; once it has
    /// stopped, the folder is free again.
    @Test func aSecondServerOnTheSameDataFolderRefusesToStart() async throws {
        let dir = try temporaryDirectory("lock")
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = try await writeConfig(in: dir)
        let first = try NodeProcess(arguments: ["serve", "--config", config.path], workDirectory: dir)
        let base = try await first.waitUntilListening()
        let second = try NodeProcess(arguments: ["serve", "--config", config.path], workDirectory: dir)
        #expect(try await second.waitForExit() != 0)
        #expect(second.log.contains("is in use by another xinfang process") && second.log.contains("data"), "\(second.log.suffix(400))")
        #expect(try await http.send("GET", base.appendingPathComponent("readyz")).status == 200, "the first still serves")
        #expect(try await first.interruptAndWait() == 0)
        let third = try NodeProcess(arguments: ["serve", "--config", config.path], workDirectory: dir)
        _ = try await third.waitUntilListening()
        #expect(try await third.interruptAndWait() == 0)
    }

    @Test func aBadConfigFailsWithAClearMessage() async throws {
        let dir = try temporaryDirectory("badconfig")
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("node.json")
        try #"{"nodeId": "4301", "name": "x", "level": "county", "dataDirectory": "data", "listen": "127.0.0.1:0"}"#.write(
            to: config,
            atomically: true,
            encoding: .utf8
        )
        let node = try NodeProcess(arguments: ["serve", "--config", config.path], workDirectory: dir)
        let status = try await node.waitForExit()
        #expect(status != 0)
        #expect(node.log.contains("nodeId"))
    }

    /// A province's calendar file replaces the shipped one; a malformed one stops the node at start
    /// naming the file and the field; one that does not cover this year is said in the log and on
    /// `/readyz`, and the node counts weekends only.
    @Test func aCalendarFileIsCheckedAtStartAndItsCoverageReported() async throws {
        let dir = try temporaryDirectory("calendar")
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = try await writeConfig(in: dir)
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: config)) as? [String: Any])
        object["calendarFile"] = "province-calendar.json"
        try JSONSerialization.data(withJSONObject: object).write(to: config)
        let calendarFile = dir.appendingPathComponent("province-calendar.json")
        try
            #"{"format":"xinfang-holiday-calendar/1","name":"某省","years":[{"year":2020,"status":"official","source":"通知","holidays":[{"name":"国庆节","from":"2020-10-01","to":"2020-10-08"}],"workingWeekends":["2020-10-04"]}]}"#
            .write(to: calendarFile, atomically: true, encoding: .utf8)
        let refused = try NodeProcess(arguments: ["serve", "--config", config.path], workDirectory: dir)
        #expect(try await refused.waitForExit() != 0, "2020-10-04 is a Sunday inside the block: both off and working")
        #expect(refused.log.contains("province-calendar.json") && refused.log.contains("holidays"), "\(refused.log.suffix(400))")
        try
            #"{"format":"xinfang-holiday-calendar/1","name":"某省","years":[{"year":2020,"status":"official","source":"通知","holidays":[{"name":"国庆节","from":"2020-10-01","to":"2020-10-08"}],"workingWeekends":["2020-10-10"]}]}"#
            .write(to: calendarFile, atomically: true, encoding: .utf8)
        let node = try NodeProcess(arguments: ["serve", "--config", config.path], workDirectory: dir)
        let base = try await node.waitUntilListening()
        let ready = try await http.send("GET", base.appendingPathComponent("readyz"))
        let calendar = try #require(ready.json["calendar"] as? [String: Any])
        #expect(calendar["coversToday"] as? Bool == false && calendar["name"] as? String == "某省")
        #expect((calendar["detail"] as? String)?.contains("周末") == true)
        _ = try await node.interruptAndWait()
        #expect(node.log.contains("Holiday calendar does not cover this year"), "\(node.log.suffix(400))")
    }

    /// A demo whose province cannot listen (its port is taken) says why and exits with status 1,
    /// leaving no node running (issue 16: it used to crash with SIGILL).
    @Test func aDemoThatCannotStartSaysWhyAndExitsCleanly() async throws {
        let dir = try temporaryDirectory("demo-fail")
        defer { try? FileManager.default.removeItem(at: dir) }
        let topology = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("deploy/topology.example.json")
        // Hold a port open: the demo's first node (the province) is given it.
        let (fd, port) = try listeningLoopbackSocket()
        defer { close(fd) }
        let demo = try NodeProcess(
            arguments: ["demo", "--dir", dir.appendingPathComponent("demo").path, "--base-port", "\(port)", "--topology", topology.path],
            workDirectory: dir
        )
        #expect(try await demo.waitForExit(timeout: 120) == 1, "\(demo.log.suffix(1500))")
        #expect(
            demo.log.contains("demo failed") && demo.log.contains("Address already in use") && demo.log.contains("--base-port"),
            "\(demo.log.suffix(800))"
        )
        #expect(!demo.log.contains("Program crashed"))
    }

    @Test func theDemoStartsTheHierarchyPlaysItsStoryAndStopsOnCtrlC() async throws {
        let dir = try temporaryDirectory("demo")
        defer { try? FileManager.default.removeItem(at: dir) }
        let topology = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("deploy/topology.example.json")
        let demo = try NodeProcess(
            arguments: ["demo", "--dir", dir.appendingPathComponent("demo").path, "--base-port", "0", "--topology", topology.path],
            workDirectory: dir
        )
        let province = try await demo.waitUntilListening(timeout: 120)
        // The demo wrote one account per role per node, and its leaders' API tokens.
        let credentials =
            try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("demo/credentials.json"))) as? [[String: Any]] ?? []
        #expect(credentials.count == 7 && credentials.allSatisfy { ($0["users"] as? [Any])?.count == 8 })
        var http = self.http
        http.token = credentials.first { $0["node"] as? String == "430000" }?["leaderToken"] as? String
        let anonymous = try await HTTP(token: nil).send("GET", province.appendingPathComponent("readyz"))
        #expect(anonymous.status == 200 && anonymous.json["cases"] == nil && anonymous.json["node"] == nil, "a probe reveals no data")
        let ready = try await http.send("GET", province.appendingPathComponent("readyz"))
        #expect(ready.status == 200)
        #expect((ready.json["cases"] as? Int ?? 0) >= 24, "the province replicates the whole hierarchy")
        #expect(ready.json["node"] as? String == "430000")
        #expect(demo.log.contains("审核认定办结") && demo.log.contains("curl -s"))
        #expect(try await demo.interruptAndWait(timeout: 30) == 0)
        // Every node process has stopped: the province's port no longer answers.
        await #expect(throws: (any Error).self) { try await http.send("GET", province.appendingPathComponent("healthz")) }
    }
}

/// What the node acknowledged, shared by the burst's workers.
final class Acknowledged: Sendable {
    let state = Mutex<[String: Int]>([:])
}
