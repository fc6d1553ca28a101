import Foundation
import Glibc

/// The demo province's PostgreSQL server: one the operator names by its socket, or a local cluster
/// the demo starts in its folder with `deploy/postgres.sh` (kept between runs, as the SQLite files
/// are) and stops when the demo stops.
struct DemoPostgres {
    var socket: String
    /// The cluster's folder when the demo started it (and stops it).
    var startedIn: URL?

    static let script = "deploy/postgres.sh"

    /// nil for a province on SQLite.
    static func start(provinceStore: String, socket: String?, root: URL) throws -> DemoPostgres? {
        guard provinceStore == "postgres" else { return nil }
        if let socket { return DemoPostgres(socket: URL(fileURLWithPath: socket).path, startedIn: nil) }
        let folder = root.appendingPathComponent("postgres").standardizedFileURL
        emit("starting PostgreSQL for the province in \(folder.path) …")
        try run("start", folder)
        return DemoPostgres(socket: folder.appendingPathComponent(".s.PGSQL.5432").path, startedIn: folder)
    }

    func stop() {
        guard let startedIn else { return }
        do { try Self.run("stop", startedIn) } catch { emit("PostgreSQL did not stop: \(error)") }
    }

    private static func run(_ command: String, _ folder: URL) throws {
        guard FileManager.default.fileExists(atPath: script) else {
            throw DemoError("\(script) is not here: run the demo from the project's folder, or pass --postgres-socket")
        }
        // Into a file, not a pipe: the server the script starts keeps its output open.
        let log = folder.deletingLastPathComponent().appendingPathComponent("logs/postgres-\(command).log")
        try FileManager.default.createDirectory(at: log.deletingLastPathComponent(), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        // posix_spawn and waitpid: Foundation's `Process` missed the script's exit here (it stayed a
        // zombie, the server it starts living on).
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, log.path, O_WRONLY | O_APPEND, 0)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let arguments = ["/bin/bash", script, command, folder.path]
        var argv = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, "/bin/bash", &actions, nil, &argv, environ) == 0 else {
            throw DemoError("cannot start \(script)")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1, errno == EINTR {}
        guard status == 0 else {
            let said = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            throw DemoError("\(script) \(command) failed (\(log.path)): \(said)")
        }
    }
}
