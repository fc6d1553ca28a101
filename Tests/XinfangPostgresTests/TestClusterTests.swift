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
        // Other tests start clusters meanwhile, and each first sweeps: the orphan-to-be is owned by
        // this live process until it has started, then handed to the dead one. No clean-up here:
        // if this test fails, the owner file names a dead process, and the next cluster any test
        // starts sweeps the orphan away.
        try String(getpid()).write(toFile: orphan + ".owner", atomically: true, encoding: .utf8)
        let start = try await SpawnedProcess.run("/bin/bash", [TestPostgres.script, "start", orphan], timeout: 600)
        #expect(start.status == 0, "\(start.errors)")
        let server = try Self.postmaster(orphan)
        #expect(TestPostgres.isAlive(server))
        try String(dead).write(toFile: orphan + ".owner", atomically: true, encoding: .utf8)

        // A cluster of this (live) test process, started beside it, survives the sweep.
        try await TestPostgres.withCluster { socket in
            #expect(FileManager.default.fileExists(atPath: socket), "a live test's cluster is left alone")
        }
        // This test's sweep, or another test's begun before it, stops and removes the orphan.
        let gone = try await eventually(within: 60) {
            !FileManager.default.fileExists(atPath: orphan) && !FileManager.default.fileExists(atPath: orphan + ".owner")
                && !TestPostgres.isAlive(server)
        }
        #expect(gone, "the orphan's server is stopped, its folder and owner file removed")
    }
}
