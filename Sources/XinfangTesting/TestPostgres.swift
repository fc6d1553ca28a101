import Foundation

/// A throwaway PostgreSQL cluster for a test: `deploy/postgres.sh` installs PostgreSQL when it is
/// missing (as root), starts a cluster as an unprivileged user in a new temporary folder listening
/// on a socket there only, and stops it after the test; the folder is removed. When PostgreSQL
/// cannot be installed or started the test fails with the script's reason: nothing is skipped.
///
/// A test process that dies (a crash, a kill) cannot stop its clusters: each cluster's folder has
/// an owner file with the test process's id beside it, and the next cluster started on the machine
/// first stops and removes those whose owner is gone (`sweepOrphans`).
public enum TestPostgres {
    static let prefix = "xinfang-pg-"
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("deploy/postgres.sh").path

    /// Runs `body` with the socket path of a fresh cluster whose role and database are `xinfang`.
    public static func withCluster<Result>(_ body: (_ socketPath: String) async throws -> Result) async throws -> Result {
        await sweepOrphans()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)\(UUID().uuidString.prefix(8))").path
        let log = folder + ".log"
        let owner = folder + ".owner"
        try String(getpid()).write(toFile: owner, atomically: true, encoding: .utf8)
        defer {
            try? FileManager.default.removeItem(atPath: folder)
            try? FileManager.default.removeItem(atPath: log)
            try? FileManager.default.removeItem(atPath: owner)
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

    /// Stops and removes the clusters whose test process is gone (its id in the owner file no
    /// longer names a live process). A cluster whose owner lives, in this process or another, is
    /// left alone.
    static func sweepOrphans() async {
        let temporary = FileManager.default.temporaryDirectory
        let owners = ((try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? [])
            .filter { $0.hasPrefix(prefix) && $0.hasSuffix(".owner") }
        for name in owners {
            let owner = temporary.appendingPathComponent(name).path
            guard let text = try? String(contentsOfFile: owner, encoding: .utf8), let pid = Int32(text), !isAlive(pid) else { continue }
            let folder = String(owner.dropLast(".owner".count))
            try? await run("stop", folder, log: folder + ".log")
            for path in [folder, folder + ".log", owner] { try? FileManager.default.removeItem(atPath: path) }
        }
    }

    /// Whether `pid` names a live process (signal 0 checks without sending anything).
    static func isAlive(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
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
