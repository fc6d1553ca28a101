import Foundation

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
        try? FileManager.default.removeItem(at: log)
        let status = try Spawn.run("/bin/bash", [script, command, folder.path], log: log)
        guard status == 0 else {
            let said = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            throw DemoError("\(script) \(command) failed (\(log.path)): \(said)")
        }
    }
}
