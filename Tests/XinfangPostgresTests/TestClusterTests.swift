import Foundation
import Testing

@testable import XinfangTesting

/// The throwaway clusters of the tests (`TestPostgres`): one whose test process died is stopped and
/// removed by the next test that starts one; one whose test process lives is left alone.
struct TestClusterTests {
    /// The id of a process that has exited.
    static func deadProcess() async throws -> Int32 {
        let process = try SpawnedProcess(executable: "/bin/true", arguments: [], workDirectory: "/", output: "/dev/null")
        _ = try await process.waitForExit(timeout: 30)
        return process.processIdentifier
    }

    /// The postmaster's process id of the cluster in `folder`, from its pid file.
    static func postmaster(_ folder: String) throws -> Int32 {
        let text = try String(contentsOfFile: folder + "/data/postmaster.pid", encoding: .utf8)
        return try #require(Int32(text.split(separator: "\n").first ?? ""))
    }

    @Test func aClusterWhoseTestDiedIsStoppedAndRemovedAndALiveOnesIsNot() async throws {
        let temporary = FileManager.default.temporaryDirectory.path
        let orphan = temporary + "/\(TestPostgres.prefix)orphan-\(UUID().uuidString.prefix(6))"
        let dead = try await Self.deadProcess()
        #expect(!TestPostgres.isAlive(dead))
        // No clean-up here: if this test fails, the owner file names a dead process, and the next
        // cluster any test starts sweeps the orphan away.
        try String(dead).write(toFile: orphan + ".owner", atomically: true, encoding: .utf8)
        let start = try await SpawnedProcess.run("/bin/bash", [TestPostgres.script, "start", orphan], timeout: 600)
        #expect(start.status == 0, "\(start.errors)")
        let server = try Self.postmaster(orphan)
        #expect(TestPostgres.isAlive(server))

        // A cluster of this (live) test process, started beside it, survives the sweep.
        try await TestPostgres.withCluster { socket in
            #expect(FileManager.default.fileExists(atPath: socket), "a live test's cluster is left alone")
        }
        #expect(!FileManager.default.fileExists(atPath: orphan), "the orphan's folder is removed")
        #expect(!FileManager.default.fileExists(atPath: orphan + ".owner"))
        let deadline = Date().addingTimeInterval(30)
        while TestPostgres.isAlive(server), Date() < deadline { try await Task.sleep(for: .milliseconds(100)) }
        #expect(!TestPostgres.isAlive(server), "the orphan's server is stopped")
    }
}
