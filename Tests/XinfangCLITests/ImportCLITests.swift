import Foundation
import GRDB
import Testing
import XinfangCore

/// `xinfang import` on the example ledger, as a user runs it: the good rows are registered, the
/// bad ones reported with their reasons, and a second run registers nothing twice.
struct ImportCLITests {
    static let ledger = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("deploy/examples/ledger.csv")

    @Test func theExampleLedgerKeepsItsGoodRowsAndReportsItsBadOnes() async throws {
        let dir = try temporaryDirectory("import")
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = try await writeConfig(in: dir)
        let report = dir.appendingPathComponent("refused.csv")
        let run = try NodeProcess(arguments: ["import", "--config", config.path, "--report", report.path, Self.ledger.path], workDirectory: dir)
        #expect(try await run.waitForExit(timeout: 120) == 0)
        #expect(run.log.contains("imported 4 cases, 0 already imported, 4 rows refused (of 8)"), "\(run.log)")
        #expect(run.log.contains("100% 8/8 rows, 4 refused"), "the progress bar reaches the end")
        let refused = try CSV.rows(String(contentsOf: report, encoding: .utf8)).map(\.fields)
        #expect(refused.map { $0[1] } == ["字段", "信访形式", "收件时间", "内容分类", "证件号码"])
        #expect(refused.dropFirst().allSatisfy { !$0[2].isEmpty }, "every refusal says why")

        let again = try NodeProcess(arguments: ["import", "--config", config.path, "--report", report.path, Self.ledger.path], workDirectory: dir)
        #expect(try await again.waitForExit(timeout: 120) == 0)
        #expect(again.log.contains("imported 0 cases, 4 already imported, 4 rows refused"))

        let notCSV = dir.appendingPathComponent("bad.csv")
        try "收件时间,摘要\n2026-01-01,\"未闭合\n".write(to: notCSV, atomically: true, encoding: .utf8)
        let bad = try NodeProcess(arguments: ["import", "--config", config.path, notCSV.path], workDirectory: dir)
        #expect(try await bad.waitForExit() != 0)
        #expect(bad.log.contains("not valid CSV"))
        try "收件时间,摘要\n2026-01-01,x\n".write(to: notCSV, atomically: true, encoding: .utf8)
        let columns = try NodeProcess(arguments: ["import", "--config", config.path, notCSV.path], workDirectory: dir)
        #expect(try await columns.waitForExit() != 0)
        #expect(columns.log.contains("缺少必需的列"))
    }
}

/// `xinfang audit verify` on a node's store: OK as written; after one byte of an event or of an
/// audit row is altered (with the append-only triggers dropped, as someone with the file would),
/// it exits 1 and names the row.
struct AuditVerifyCLITests {
    @Test func verifyPassesThenNamesTheAlteredRow() async throws {
        let dir = try temporaryDirectory("verify")
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = try await writeConfig(in: dir)
        let imported = try NodeProcess(arguments: ["import", "--config", config.path, ImportCLITests.ledger.path], workDirectory: dir)
        #expect(try await imported.waitForExit(timeout: 120) == 0)
        let admin = try NodeProcess(
            arguments: ["users", "create", "--config", config.path, "--username", "admin", "--name", "张三", "--role", "systemAdmin"],
            workDirectory: dir
        )
        #expect(try await admin.waitForExit(timeout: 60) == 0)
        #expect(admin.log.contains("\"totpSecret\"") && admin.log.contains("\"password\""), "the first administrator's credentials are printed once")
        let ok = try NodeProcess(arguments: ["audit", "verify", "--config", config.path], workDirectory: dir)
        #expect(try await ok.waitForExit(timeout: 60) == 0)
        #expect(ok.log.contains("OK: every audit row and every event verifies") && ok.log.contains("events: 4"), "\(ok.log)")

        let file = dir.appendingPathComponent("data/xinfang.sqlite").path
        func sqlite(_ sql: String) throws {
            try DatabaseQueue(path: file).write { try $0.execute(sql: sql) }
        }
        try sqlite("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET detail = detail || ' ' WHERE seq = 2;")
        let broken = try NodeProcess(arguments: ["audit", "verify", "--config", config.path], workDirectory: dir)
        #expect(try await broken.waitForExit(timeout: 60) == 1)
        #expect(broken.log.contains("BROKEN: audit_log row 2"), "\(broken.log)")

        try sqlite("UPDATE audit_log SET detail = substr(detail, 1, length(detail) - 1) WHERE seq = 2;")
        try sqlite("DROP TRIGGER events_are_append_only_update; UPDATE events SET actor = actor || 'x' WHERE rowid = 3;")
        let event = try NodeProcess(arguments: ["audit", "verify", "--config", config.path], workDirectory: dir)
        #expect(try await event.waitForExit(timeout: 60) == 1)
        #expect(event.log.contains("BROKEN: events row"), "\(event.log)")
    }
}

/// `xinfang keys retire`: the new key becomes the node's, the old one is kept as retired.
struct KeyRotationCLITests {
    @Test func retiringAKeyRecordsItInTheTopology() async throws {
        let dir = try temporaryDirectory("rotate")
        defer { try? FileManager.default.removeItem(at: dir) }
        let old = NodeKey()
        let topologyURL = dir.appendingPathComponent("topology.json")
        try JSONEncoder().encode(
            Topology(nodes: [
                TopologyNode(
                    id: NodeID("430102"),
                    name: "芙蓉区",
                    level: .county,
                    parent: nil,
                    baseURL: "http://127.0.0.1:1",
                    publicKey: old.publicKeyBase64
                )
            ])
        ).write(to: topologyURL)
        let generate = try NodeProcess(arguments: ["keys", "generate", "--out", dir.appendingPathComponent("new.key").path], workDirectory: dir)
        #expect(try await generate.waitForExit() == 0)
        let retire = try NodeProcess(
            arguments: [
                "keys", "retire", "--topology", topologyURL.path, "--node", "430102", "--new-key", dir.appendingPathComponent("new.key").path,
            ],
            workDirectory: dir
        )
        #expect(try await retire.waitForExit() == 0)
        let rotated = try JSONDecoder().decode(Topology.self, from: Data(contentsOf: topologyURL))
        let node = try #require(rotated.node(NodeID("430102")))
        #expect(node.publicKey != old.publicKeyBase64 && node.retiredKeys?.map(\.publicKey) == [old.publicKeyBase64])
        #expect(rotated.version == 2)
        let again = try NodeProcess(
            arguments: [
                "keys", "retire", "--topology", topologyURL.path, "--node", "430102", "--new-key", dir.appendingPathComponent("new.key").path,
            ],
            workDirectory: dir
        )
        #expect(try await again.waitForExit() != 0, "the same key twice is refused")
    }
}
