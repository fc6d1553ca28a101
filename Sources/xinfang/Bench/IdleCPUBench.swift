import ArgumentParser
import Foundation
import XinfangSimulation

/// P7, idle CPU: `xinfang demo` (7 `xinfang serve` processes) started and seeded, then left
/// alone; each node's CPU time read from /proc over the idle window. Before issue 14 an idle node
/// used 17–30 % of a core (its sync loops woke themselves and read the store in a tight loop).
struct IdleCPUBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "idle-cpu",
        abstract: "P7: CPU of each node of the seeded 7-node demo left idle; goal ≤ 0.5 % of a core per node."
    )

    @Option(help: "Seconds of idleness measured.") var idle: Double = 60
    @Option(help: "Seconds to let the seeded demo settle before measuring.") var settle: Double = 5
    @Option(help: "Working directory (removed first).") var dir: String = ".xinfang-bench/idle-cpu"

    func validate() throws {
        guard (1...3600).contains(idle), (0...600).contains(settle) else { throw ValidationError("--idle 1…3600, --settle 0…600") }
    }

    func run() async throws {
        let row = try await IdleCPUScenario.run(idleSeconds: idle, settleSeconds: settle, directory: URL(fileURLWithPath: dir, isDirectory: true))
        print(BenchTable.render([row]))
    }
}

enum IdleCPUScenario {
    static func run(idleSeconds: Double, settleSeconds: Double, directory root: URL) async throws -> BenchRow {
        try? FileManager.default.removeItem(at: root)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        // The example hierarchy's structure, written here so the bench runs from any folder.
        let topologyURL = root.appendingPathComponent("topology.json")
        try JSONEncoder().encode(ExampleHierarchy.topology(baseURL: { _ in "http://127.0.0.1:1" }).0).write(to: topologyURL)
        let demo = Process()
        demo.executableURL = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        demo.arguments = ["demo", "--dir", root.appendingPathComponent("demo").path, "--base-port", "0", "--topology", topologyURL.path]
        let output = Pipe()
        demo.standardOutput = output
        demo.standardError = FileHandle.nullDevice
        progress("P7: starting the 7-node demo and seeding it …")
        try demo.run()
        do {
            let row = try await measure(demo, output: output, idleSeconds: idleSeconds, settleSeconds: settleSeconds)
            await stop(demo)
            return row
        } catch {
            await stop(demo)
            throw error
        }
    }

    /// Stops the demo (it stops its nodes gracefully); one that does not exit in 30 s is killed
    /// with its nodes, so a failed run leaves nothing behind.
    static func stop(_ demo: Process) async {
        let nodes = ProcessCPU.children(of: demo.processIdentifier)
        if demo.isRunning { demo.terminate() }
        for _ in 0..<300 where demo.isRunning { try? await Task.sleep(nanoseconds: 100_000_000) }
        guard demo.isRunning else { return }
        for pid in nodes + [demo.processIdentifier] { kill(pid, SIGKILL) }
    }

    /// Waits for the seeded demo's banner, lets it settle, then reads each node's CPU time over the window.
    static func measure(_ demo: Process, output: Pipe, idleSeconds: Double, settleSeconds: Double) async throws -> BenchRow {
        try ProcessOutput.wait(for: "Ctrl-C stops every node.", in: output, what: "the demo")
        let nodes = ProcessCPU.children(of: demo.processIdentifier)
        guard nodes.count == 7 else { throw ValidationError("expected 7 node processes under the demo, found \(nodes.count)") }
        try await Task.sleep(nanoseconds: UInt64(settleSeconds * 1e9))
        let before = nodes.map(ProcessCPU.seconds)
        let started = DispatchTime.now().uptimeNanoseconds
        try await Task.sleep(nanoseconds: UInt64(idleSeconds * 1e9))
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let percents = zip(before, nodes.map(ProcessCPU.seconds)).map { ($1 - $0) / elapsed * 100 }
        let worst = percents.max() ?? 0
        let mean = percents.reduce(0, +) / Double(max(1, percents.count))
        progress(
            String(
                format: "P7: over %.0f s idle, per node %@ %% of a core",
                elapsed,
                percents.map { String(format: "%.2f", $0) }.joined(separator: ", ")
            )
        )
        return BenchRow(
            id: "P7",
            scenario: String(format: "idle CPU, the seeded 7-node demo left alone %.0f s", elapsed),
            figure: String(format: "max %.2f %% of a core per node (mean %.2f %%; all 7: %.2f %%)", worst, mean, percents.reduce(0, +)),
            limit: String(
                format: "clock tick %.0f ms over the window: %.2f %%",
                1000 / ProcessCPU.ticksPerSecond,
                100 / ProcessCPU.ticksPerSecond / elapsed
            ),
            ratio: nil,
            goal: "≤ 0.5 % of a core per node",
            met: worst <= 0.5
        )
    }
}

/// CPU time of processes, from /proc (Linux).
enum ProcessCPU {
    static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// The processes whose parent is `pid`.
    static func children(of pid: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { statFields($0).count > 1 && statFields($0)[1] == "\(pid)" }
    }

    /// User plus system CPU seconds the process has used.
    static func seconds(_ pid: Int32) -> Double {
        let fields = statFields(pid)
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / ticksPerSecond
    }

    /// The fields of /proc/PID/stat after the command name (field 3, the state, first).
    static func statFields(_ pid: Int32) -> [String] {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = text.lastIndex(of: ")") else { return [] }
        return text[text.index(after: close)...].split(separator: " ").map(String.init)
    }
}

/// A child process's standard output, read until it says it is ready.
enum ProcessOutput {
    /// Reads `pipe` until `marker` appears; throws with what was read if the process ends first.
    static func wait(for marker: String, in pipe: Pipe, what: String) throws {
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains(marker) {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { throw ValidationError("\(what) exited before it was ready: \(String(decoding: seen.suffix(2000), as: UTF8.self))") }
            seen.append(chunk)
        }
    }
}
