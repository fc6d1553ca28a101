import Foundation
import Testing
import XinfangTesting

/// The document other systems read, checked against a running province (issue 16): a bounded
/// schemathesis pass (installed into .build/pytools by deploy/install-test-tools.sh) over
/// schemas/openapi.yaml with every check, the exceptions and their reasons in
/// .ci/schemathesis.toml. It must find nothing: no server error, no undocumented status, no
/// response off its schema, 405 with Allow for an undeclared method, nothing the document allows
/// refused and nothing it forbids taken.
struct ContractTests {
    static let root = TourTests.root

    @Test func theDemoProvinceAnswersExactlyAsTheDocumentSays() async throws {
        try await LoopbackTurns.run { try await contract() }
    }

    func contract() async throws {
        let pytools = try await PythonTools.path("schemathesis")
        let dir = try temporaryDirectory("contract")
        defer { try? FileManager.default.removeItem(at: dir) }
        let demoDir = dir.appendingPathComponent("demo")
        let demo = try await NodeProcess.demo(demoDir, in: dir)
        let port = try demo.demoPort("430000")
        let tokens = try String(contentsOf: demoDir.appendingPathComponent("tokens.env"), encoding: .utf8)
        let token = try #require(tokens.split(separator: "\n").first { $0.hasPrefix("XF_430000=") }?.dropFirst("XF_430000=".count))
        let intakeToken = try #require(
            tokens.split(separator: "\n").first { $0.hasPrefix("XF_INTAKE_430000=") }?.dropFirst("XF_INTAKE_430000=".count)
        )
        // Every operation with the leader's token, then the intake API (issue 18) with the example
        // hotline's intake-only token, which nothing else answers.
        try await schemathesis(pytools, port: port, token: String(token), exclude: "^/(ui|lookup|api/v1/intake/)", in: dir)
        try await schemathesis(pytools, port: port, token: String(intakeToken), exclude: "^/(ui|lookup)", include: "^/api/v1/intake/", in: dir)
        #expect(try await demo.interruptAndWait(timeout: 30) == 0)
    }

    func schemathesis(_ pytools: String, port: String, token: String, exclude: String, include: String? = nil, in dir: URL) async throws {
        // The dashboard's HTML pages are a browser's (DashboardTests); DELETE and the password
        // change end the caller's own credentials, which the rest of the pass needs.
        let arguments =
            [
                "--config-file", Self.root.appendingPathComponent(".ci/schemathesis.toml").path, "run",
                Self.root.appendingPathComponent("schemas/openapi.yaml").path, "--url", "http://127.0.0.1:\(port)",
                "-H", "Authorization: Bearer \(token)", "--phases", "examples,coverage,fuzzing", "--workers", "1",
                // The petitioner's pages are a browser's too (PublicLookupTests, deploy/browser.sh).
                "--exclude-path-regex", exclude, "--exclude-method", "DELETE", "--exclude-path", "/api/v1/session/password",
                "--seed", "16", "--no-color",
            ] + (include.map { ["--include-path-regex", $0] } ?? [])
        // The whole pass takes a few minutes on 2 cores.
        let run = try await SpawnedProcess.run(pytools, arguments, in: dir.path, timeout: 1200)
        let output = run.output + run.errors
        #expect(run.status == 0, "\(output.suffix(6000))")
        #expect(output.contains("passed"), "\(output.suffix(2000))")
    }
}
