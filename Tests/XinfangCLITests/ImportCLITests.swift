import Foundation
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
