import Foundation
import Testing
import XinfangCore
import XinfangStore
import XinfangTesting

/// `xinfang backup` and `xinfang restore` as an operator runs them (issue 20): a backup of a node
/// that keeps taking registrations while it runs; a restore refused while the node serves; the
/// store lost, restored from the backup and served again with its cases and its case file.
struct BackupProcessTests {
    let http = HTTP()

    @Test func aServingNodeIsBackedUpAndItsLostStoreRestored() async throws {
        let dir = try temporaryDirectory("backup")
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = try await writeConfig(in: dir)
        let node = try NodeProcess(arguments: ["serve", "--config", config.path], workDirectory: dir)
        let base = try await node.waitUntilListening()

        let created = try await http.send("POST", base.appendingPathComponent("api/v1/cases"), json: Fixtures.registrationJSON())
        let number = try #require(created.json["caseNumber"] as? String, "register: \(created.status)")
        let letter = CaseFileProcessTests.pdf(400_000, seed: 7)
        let uploaded = try await CaseFileProcessTests().upload(base, number, letter, name: "来信.pdf")
        #expect(uploaded.status == 201, "\(String(decoding: uploaded.body, as: UTF8.self))")

        // Registrations go on while the backup is taken.
        let http = self.http
        let writer = Task {
            for _ in 0..<20 { _ = try await http.send("POST", base.appendingPathComponent("api/v1/cases"), json: Fixtures.registrationJSON()) }
        }
        let file = dir.appendingPathComponent("430102.xfbackup")
        let backup = try NodeProcess(arguments: ["backup", "--config", config.path, "--out", file.path], workDirectory: dir)
        #expect(try await backup.waitForExit(timeout: 120) == 0, "\(backup.log)")
        try await writer.value
        #expect(backup.log.contains("1 case files") && backup.log.contains("data-keys.json (keys "), "\(backup.log)")
        #expect(backup.log.contains("copied 1/1 case files"), "progress is shown: \(backup.log)")
        let bytes = try #require(try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int)
        #expect(bytes > 100_000 && backup.log.contains(String(format: "(%.1f MB)", Double(bytes) / 1_000_000)), "the file's size: \(backup.log)")
        let cases = try #require(Self.number(before: " cases,", in: backup.log), "\(backup.log)")
        #expect((1...21).contains(cases))

        let again = try NodeProcess(arguments: ["backup", "--config", config.path, "--out", file.path], workDirectory: dir)
        #expect(try await again.waitForExit(timeout: 60) != 0)
        #expect(again.log.contains("already exists"), "a backup never overwrites: \(again.log)")
        let whileServing = try NodeProcess(arguments: ["restore", "--config", config.path, "--from", file.path, "--force"], workDirectory: dir)
        #expect(try await whileServing.waitForExit(timeout: 60) != 0)
        #expect(whileServing.log.contains("in use by another xinfang process"), "\(whileServing.log)")

        // The node is stopped and its data folder lost, case files and all.
        #expect(try await node.interruptAndWait(timeout: 60) == 0)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("data"))
        let restore = try NodeProcess(arguments: ["restore", "--config", config.path, "--from", file.path], workDirectory: dir)
        #expect(try await restore.waitForExit(timeout: 120) == 0, "\(restore.log)")
        #expect(restore.log.contains("restored node 430102") && restore.log.contains("\(cases) cases"), "\(restore.log)")
        #expect(restore.log.contains("1 written"), "\(restore.log)")

        let restarted = try NodeProcess(arguments: ["serve", "--config", config.path], workDirectory: dir)
        let url = try await restarted.waitUntilListening()
        let list = try await http.send("GET", URL(string: url.absoluteString + "/api/v1/cases?limit=100")!)
        #expect(list.json["total"] as? Int == cases)
        try await CaseFileProcessTests().waitForDownload(url, number, letter, timeout: 10)
        #expect(try await restarted.interruptAndWait(timeout: 60) == 0)

        let verify = try NodeProcess(arguments: ["audit", "verify", "--config", config.path], workDirectory: dir)
        #expect(try await verify.waitForExit(timeout: 60) == 0, "\(verify.log)")
    }

    /// The integer printed just before `marker` in `text`.
    static func number(before marker: String, in text: String) -> Int? {
        guard let range = text.range(of: marker) else { return nil }
        return Int(String(text[..<range.lowerBound].reversed().prefix { $0.isNumber }.reversed()))
    }
}
