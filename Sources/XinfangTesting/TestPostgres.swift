import Foundation

/// A throwaway PostgreSQL cluster for a test: `deploy/postgres.sh` installs PostgreSQL when it is
/// missing (as root), starts a cluster as an unprivileged user in a new temporary folder listening
/// on a socket there only, and stops it after the test; the folder is removed. When PostgreSQL
/// cannot be installed or started the test fails with the script's reason: nothing is skipped.
public enum TestPostgres {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("deploy/postgres.sh").path

    /// Runs `body` with the socket path of a fresh cluster whose role and database are `xinfang`.
    public static func withCluster<Result>(_ body: (_ socketPath: String) async throws -> Result) async throws -> Result {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("xinfang-pg-\(UUID().uuidString.prefix(8))").path
        let log = folder + ".log"
        defer {
            try? FileManager.default.removeItem(atPath: folder)
            try? FileManager.default.removeItem(atPath: log)
        }
        try await run("start", folder, log: log)
        do {
            let result = try await body(folder + "/.s.PGSQL.5432")
            try await run("stop", folder, log: log)
            return result
        } catch {
            try? await run("stop", folder, log: log)
            throw error
        }
    }

    private static func run(_ command: String, _ folder: String, log: String) async throws {
        let process = try SpawnedProcess(
            executable: "/bin/bash",
            arguments: [script, command, folder],
            workDirectory: FileManager.default.temporaryDirectory.path,
            output: log
        )
        // An installation from Debian's packages takes a minute or two; a start, seconds.
        let status = try await process.waitForExit(timeout: 600)
        guard status == 0 else {
            let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw SpawnedProcess.Failure("deploy/postgres.sh \(command) exited with \(status): \(output)")
        }
    }
}
