import Foundation
import Testing
import XinfangTesting

/// The README's tour, as written, against a running demo (issue 16): the block is taken from
/// README.md, pointed at this demo's folder and ports, and run with `bash -e`; it waits for
/// replication instead of sleeping, so it answers as written on a loaded machine.
struct TourTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The first `sh` block after "## A short tour".
    static func tourScript() throws -> String {
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        guard let tour = readme.range(of: "## A short tour"), let start = readme.range(of: "```sh\n", range: tour.upperBound..<readme.endIndex),
            let end = readme.range(of: "```", range: start.upperBound..<readme.endIndex)
        else { throw Failure("README.md has no tour block") }
        return String(readme[start.upperBound..<end.lowerBound])
    }

    @Test func theReadmeTourRunsAsWrittenAgainstTheDemo() async throws {
        try await LoopbackTurns.run { try await tour() }
    }

    func tour() async throws {
        let dir = try temporaryDirectory("tour")
        defer { try? FileManager.default.removeItem(at: dir) }
        let demoDir = dir.appendingPathComponent("demo")
        let demo = try await NodeProcess.demo(demoDir, in: dir)
        // This demo's ports, from the lines it printed.
        var script = try Self.tourScript()
        for (node, readmePort) in [("430000", "8430"), ("430100", "8431"), ("430102", "8432")] {
            script = script.replacingOccurrences(of: "127.0.0.1:\(readmePort)", with: "127.0.0.1:\(try demo.demoPort(node))")
        }
        script = script.replacingOccurrences(of: ".xinfang-demo", with: demoDir.path)
            .replacingOccurrences(of: "-o overdue.csv", with: "-o \(dir.appendingPathComponent("overdue.csv").path)")

        let bash = try await SpawnedProcess.run("/bin/bash", ["-e", "-c", script], in: Self.root.path, timeout: 900)
        let (output, errors) = (bash.output, bash.errors)
        #expect(bash.status == 0, "\(errors)\n\(output.suffix(1500))")
        #expect(!errors.contains("gave up"), "\(errors)")
        #expect(output.contains(#""code":"unauthenticated""#), "without a token: 401")
        #expect(output.contains(#""status":"closureVerified""#), "the province verified the closure")
        #expect(output.contains(#""code":"holder-only""#), "the county no longer holds it")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("overdue.csv").path))
        #expect(try await demo.interruptAndWait(timeout: 30) == 0)
    }
}

/// The demo run again in its folder: a folder whose story was played starts as it was left; a
/// folder left partly seeded (a run stopped mid-story) is refused, saying how to start fresh.
struct DemoRerunTests {
    static func start(_ demoDir: URL, in dir: URL) throws -> NodeProcess {
        try NodeProcess(
            arguments: [
                "demo", "--dir", demoDir.path, "--base-port", "0", "--topology",
                TourTests.root.appendingPathComponent("deploy/topology.example.json").path,
            ],
            workDirectory: dir
        )
    }

    /// Waits until the demo printed its banner or exited.
    static func settle(_ demo: NodeProcess) async throws {
        let deadline = Date().addingTimeInterval(180)
        while !demo.log.contains("Ctrl-C stops every node") && demo.process.isRunning {
            try #require(Date() < deadline, "the demo neither finished nor stopped: \(demo.log.suffix(800))")
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    @Test func aRerunFinishesTheStoryOrSaysTheFolderIsPartlySeeded() async throws {
        try await LoopbackTurns.run { try await rerun() }
    }

    func rerun() async throws {
        let dir = try temporaryDirectory("rerun")
        defer { try? FileManager.default.removeItem(at: dir) }
        let demoDir = dir.appendingPathComponent("demo")
        let first = try Self.start(demoDir, in: dir)
        try await Self.settle(first)
        #expect(first.log.contains("Seeded and played just now"))
        #expect(try await first.interruptAndWait(timeout: 30) == 0)
        #expect(FileManager.default.fileExists(atPath: demoDir.appendingPathComponent("story.done").path))

        // Again in the same folder: the story stands, nothing is seeded twice.
        let again = try Self.start(demoDir, in: dir)
        try await Self.settle(again)
        #expect(again.log.contains("The story was played in this folder before"), "\(again.log.suffix(800))")
        #expect(!again.log.contains("Seeded and played just now"))
        #expect(try await again.interruptAndWait(timeout: 30) == 0)

        // A run that stopped mid-story leaves cases but no mark: refused, with the way out.
        try FileManager.default.removeItem(at: demoDir.appendingPathComponent("story.done"))
        let partly = try Self.start(demoDir, in: dir)
        try await Self.settle(partly)
        let status = try await partly.waitForExit(timeout: 60)
        #expect(status == 1, "\(partly.log.suffix(800))")
        #expect(partly.log.contains("is partly seeded"))
        #expect(partly.log.contains("rm -rf \(demoDir.path)"))
    }
}
