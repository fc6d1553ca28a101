import ArgumentParser
import Foundation
import XinfangCore
import XinfangHTTP
import XinfangSimulation

/// P6, the idle node: `xinfang serve` started as its own process with a fresh store, its resident
/// memory read from /proc once it has settled.
struct IdleMemoryBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "idle-memory",
        abstract: "P6: resident memory of an idle node (a `xinfang serve` process); goal ≤ 40 MB."
    )

    @Option(help: "Seconds to let the node settle before reading its memory.") var settle: Double = 5
    @Option(help: "Working directory (removed first).") var dir: String = ".xinfang-bench/idle-memory"

    func validate() throws {
        guard (0...600).contains(settle) else { throw ValidationError("--settle 0…600") }
    }

    func run() async throws {
        print(BenchTable.render([try await IdleMemoryScenario.run(settleSeconds: settle, directory: URL(fileURLWithPath: dir, isDirectory: true))]))
    }
}

enum IdleMemoryScenario {
    static func run(settleSeconds: Double, directory root: URL) async throws -> BenchRow {
        try? FileManager.default.removeItem(at: root)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let node = ExampleHierarchy.furong
        let port = try freeLoopbackPort()
        let (topology, keys) = ExampleHierarchy.topology(baseURL: { $0 == node ? "http://127.0.0.1:\(port)" : "http://127.0.0.1:9" })
        let encoder = JSONEncoder()
        try encoder.encode(topology).write(to: root.appendingPathComponent("topology.json"))
        try KeyFile.write(keys[node]!, to: root.appendingPathComponent("node-key.json"))
        try DataKeyFile.write(DataKeyring.generate(), to: root.appendingPathComponent("data-key.json"))
        let config = NodeConfig(
            nodeId: node.rawValue,
            name: "芙蓉区",
            level: "county",
            dataDirectory: "data",
            listen: "127.0.0.1:\(port)",
            topologyFile: "topology.json",
            keyFile: "node-key.json",
            dataKeyFile: "data-key.json"
        )
        let configURL = root.appendingPathComponent("node.json")
        try encoder.encode(config).write(to: configURL)
        let process = Process()
        process.executableURL = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = ["serve", "--config", configURL.path, "--log-level", "error"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
        }
        try ProcessOutput.wait(for: "listening", in: output, what: "the node")
        try await Task.sleep(nanoseconds: UInt64(settleSeconds * 1e9))
        let pid = "\(process.processIdentifier)"
        let resident = ProcessMemory.megabytes("VmRSS", pid: pid)
        // What the resident pages are: the process's own (heap, stacks) and those mapped from the
        // program's and the libraries' files (shared with every node on the machine, reclaimable).
        let anonymous = ProcessMemory.megabytes("RssAnon", pid: pid)
        let files = ProcessMemory.megabytes("RssFile", pid: pid)
        progress(String(format: "P6: an idle node (pid %d) holds %.1f MB resident after %.0f s", process.processIdentifier, resident, settleSeconds))
        return BenchRow(
            id: "P6",
            scenario: "resident memory, idle node (`xinfang serve`, fresh store)",
            figure: String(format: "%.1f MB resident (own %.1f MB; %.1f MB mapped from program and library files)", resident, anonymous, files),
            limit: "—",
            ratio: nil,
            goal: "own ≤ 10 MB; resident ≤ 40 MB",
            met: resident > 0 && anonymous <= 10 && resident <= 40
        )
    }
}
