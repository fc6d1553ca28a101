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
        let pytools = Self.root.appendingPathComponent(".build/pytools/bin/schemathesis").path
        if !FileManager.default.isExecutableFile(atPath: pytools) {
            let install = Process()
            install.executableURL = URL(fileURLWithPath: "/bin/bash")
            install.arguments = [Self.root.appendingPathComponent("deploy/install-test-tools.sh").path]
            try install.run()
            install.waitUntilExit()
            try #require(install.terminationStatus == 0, "deploy/install-test-tools.sh failed")
        }
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
        try schemathesis(pytools, port: port, token: String(token), exclude: "^/(ui|lookup|api/v1/intake/)", in: dir)
        try schemathesis(pytools, port: port, token: String(intakeToken), exclude: "^/(ui|lookup)", include: "^/api/v1/intake/", in: dir)
        #expect(try await demo.interruptAndWait(timeout: 30) == 0)
    }

    func schemathesis(_ pytools: String, port: String, token: String, exclude: String, include: String? = nil, in dir: URL) throws {
        let run = Process()
        run.executableURL = URL(fileURLWithPath: pytools)
        // The dashboard's HTML pages are a browser's (DashboardTests); DELETE and the password
        // change end the caller's own credentials, which the rest of the pass needs.
        run.arguments =
            [
                "--config-file", Self.root.appendingPathComponent(".ci/schemathesis.toml").path, "run",
                Self.root.appendingPathComponent("schemas/openapi.yaml").path, "--url", "http://127.0.0.1:\(port)",
                "-H", "Authorization: Bearer \(token)", "--phases", "examples,coverage,fuzzing", "--workers", "1",
                // The petitioner's pages are a browser's too (PublicLookupTests, deploy/browser.sh).
                "--exclude-path-regex", exclude, "--exclude-method", "DELETE", "--exclude-path", "/api/v1/session/password",
                "--seed", "16", "--no-color",
            ] + (include.map { ["--include-path-regex", $0] } ?? [])
        run.currentDirectoryURL = dir
        let out = Pipe()
        run.standardOutput = out
        run.standardError = out
        try run.run()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        run.waitUntilExit()
        #expect(run.terminationStatus == 0, "\(output.suffix(6000))")
        #expect(output.contains("passed"), "\(output.suffix(2000))")
    }
}
