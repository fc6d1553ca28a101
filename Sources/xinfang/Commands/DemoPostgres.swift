import Foundation

/// The demo province's PostgreSQL server: one the operator names by its socket, or a local cluster
/// the demo starts in its folder with `deploy/postgres.sh` (kept between runs, as the SQLite files
/// are) and stops when the demo stops.
struct DemoPostgres {
    var socket: String
    /// The cluster's folder when the demo started it (and stops it).
    var startedIn: URL?

    /// `deploy/postgres.sh`: in the working folder (the project's, as the README runs the demo),
    /// or above the executable (a build inside the project, run from elsewhere: the benchmarks'
    /// tests).
    static var script: String {
        let relative = "deploy/postgres.sh"
        if FileManager.default.fileExists(atPath: relative) { return relative }
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = folder.appendingPathComponent(relative)
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate.path }
            folder = folder.deletingLastPathComponent()
        }
        return relative
    }

    /// nil for a province on SQLite.
    static func start(provinceStore: String, socket: String?, root: URL) throws -> DemoPostgres? {
        guard provinceStore == "postgres" else { return nil }
        if let socket { return DemoPostgres(socket: URL(fileURLWithPath: socket).path, startedIn: nil) }
        var folder = root.appendingPathComponent("postgres").standardizedFileURL
        // A socket's path has at most 107 bytes: a deep folder gets a short one of its own in the
        // temporary folder, named by the folder's path, so a rerun finds the same cluster.
        if folder.appendingPathComponent(".s.PGSQL.5432").path.utf8.count > 100 {
            let hash = folder.path.utf8.reduce(UInt64(0xcbf2_9ce4_8422_2325)) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("xinfang-pg-\(String(hash, radix: 16).prefix(12))")
        }
        emit("starting PostgreSQL in \(folder.path) …")
        try run("start", folder)
        return DemoPostgres(socket: folder.appendingPathComponent(".s.PGSQL.5432").path, startedIn: folder)
    }

    func stop() {
        guard let startedIn else { return }
        do { try Self.run("stop", startedIn) } catch { emit("PostgreSQL did not stop: \(error)") }
    }

    private static func run(_ command: String, _ folder: URL) throws {
        let script = script
        guard FileManager.default.fileExists(atPath: script) else {
            throw DemoError("\(script) is not here: run the demo from the project's folder, or pass --postgres-socket")
        }
        // Into a file, not a pipe: the server the script starts keeps its output open.
        let log = URL(fileURLWithPath: folder.path + "-\(command).log")
        try? FileManager.default.removeItem(at: log)
        let status = try Spawn.run("/bin/bash", [script, command, folder.path], log: log)
        guard status == 0 else {
            let said = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            throw DemoError("\(script) \(command) failed (\(log.path)): \(said)")
        }
    }
}
