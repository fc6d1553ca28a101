import Foundation
import Testing
import XinfangTesting

#if canImport(Glibc)
import Glibc
#endif

/// `xinfang serve` started by a test (`SpawnedProcess` asks with `XINFANG_STOP_WITH_PARENT=1`)
/// stops on its own once the process that started it has ended; without the request it keeps
/// running, as an operator's node must.
struct ParentWatchTests {
    /// Whether `pid` still runs (a zombie that init has not reaped yet has ended).
    static func runs(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return stat[stat.index(close, offsetBy: 2)] != "Z"
    }

    /// A shell starts the node in the background (without the request unless `asked`), waits until
    /// it listens and ends; answers the node's pid.
    static func orphan(asked: Bool, in dir: URL) async throws -> (pid: pid_t, log: URL) {
        let config = try await writeConfig(in: dir)
        let log = dir.appendingPathComponent("node.log")
        let pidFile = dir.appendingPathComponent("node.pid")
        let unset = asked ? "" : "env -u \(SpawnedProcess.stopWithParent) "
        let shell = try SpawnedProcess(
            executable: "/bin/sh",
            arguments: [
                "-c",
                "\(unset)\"$0\" serve --config \"$1\" > \"$2\" 2>&1 & echo $! > \"$3\"; "
                    + "n=0; until grep -q 'listening on' \"$2\" || [ $n -ge 1200 ]; do sleep 0.1; n=$((n+1)); done",
                NodeProcess.executable.path, config.path, log.path, pidFile.path,
            ],
            workDirectory: dir.path,
            output: dir.appendingPathComponent("shell.log").path
        )
        #expect(try await shell.waitForExit(timeout: 150) == 0)
        let text = try String(contentsOf: log, encoding: .utf8)
        #expect(text.contains("listening on"), "\(text.suffix(800))")
        let pid = try #require(pid_t(try String(contentsOf: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        return (pid, log)
    }

    @Test func aNodeWhoseParentEndedStopsWhenAskedAndOnlyThen() async throws {
        let dir = try temporaryDirectory("parent-watch")
        defer { try? FileManager.default.removeItem(at: dir) }
        let askedDir = dir.appendingPathComponent("asked")
        let unaskedDir = dir.appendingPathComponent("unasked")
        for folder in [askedDir, unaskedDir] { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }

        let unasked = try await Self.orphan(asked: false, in: unaskedDir)
        defer { if Self.runs(unasked.pid) { kill(unasked.pid, SIGKILL) } }
        let asked = try await Self.orphan(asked: true, in: askedDir)
        defer { if Self.runs(asked.pid) { kill(asked.pid, SIGKILL) } }

        // Checked once a second, then a graceful stop (a fresh node has nothing to wait for).
        #expect(
            try await eventually(within: 60) { !Self.runs(asked.pid) },
            "\((try? String(contentsOf: asked.log, encoding: .utf8))?.suffix(800) ?? "")"
        )
        // The node not asked still runs, well past the other's stop.
        try await Task.sleep(for: .seconds(3))
        #expect(Self.runs(unasked.pid), "\((try? String(contentsOf: unasked.log, encoding: .utf8))?.suffix(800) ?? "")")
    }
}
