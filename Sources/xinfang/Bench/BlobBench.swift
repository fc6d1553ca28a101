import ArgumentParser
import Foundation
import XinfangCore
import XinfangHTTP
import XinfangService
import XinfangSimulation
import XinfangSync

/// P8, the case file between levels: a large file added at the province and assigned to 芙蓉区
/// travels two hops (province → 长沙市 → 芙蓉区) between three `xinfang serve` processes; the
/// figure is its rate beside a plain loopback TCP copy of the same bytes in the same run, the
/// resident memory the city and the county grow by while they fetch it, and how soon the city
/// resumes after a kill -9 in the middle of a second transfer.
struct BlobBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blobs",
        abstract: "P8: a large attachment over two hops; MB/s beside a loopback copy, memory growth (goal ≤ 32 MB), resume after kill -9."
    )

    @Option(help: "Size of the file in MB.") var megabytes: Int = 200
    @Option(help: "Working directory (removed first).") var dir: String = ".xinfang-bench/blobs"

    func validate() throws {
        guard (8...2000).contains(megabytes) else { throw ValidationError("--megabytes 8…2000") }
    }

    func run() async throws {
        let rows = try await BlobScenario.run(megabytes: megabytes, directory: URL(fileURLWithPath: dir, isDirectory: true))
        print(BenchTable.render(rows))
    }
}

enum BlobScenario {
    static func run(megabytes: Int, directory root: URL) async throws -> [BenchRow] {
        let run = try await BlobRun(megabytes: megabytes, root: root)
        defer { run.killAll() }
        progress("P8: the limit, a plain loopback TCP copy of \(megabytes) MB …")
        let loopback = try LoopbackCopy.megabytesPerSecond(bytes: run.bytes.count)
        progress("P8: \(megabytes) MB from the province to 芙蓉区 through 长沙市 …")
        let (seconds, growth) = try await run.twoHops()
        let rate = Double(megabytes) / seconds
        progress(String(format: "P8: two hops %.1f s, %.1f MB/s; loopback %.0f MB/s", seconds, rate, loopback))
        let (kept, resumedAfter, total) = try await run.killedMidTransfer()
        await run.stopAll()
        return [
            BenchRow(
                id: "P8",
                scenario: "\(megabytes) MB attachment, province → 长沙市 → 芙蓉区 (2 hops, 3 processes)",
                figure: String(format: "%.1f MB/s (%.1f s)", rate, seconds),
                limit: String(format: "loopback TCP copy %.0f MB/s", loopback),
                ratio: rate / loopback,
                goal: "≥ 0.5 × loopback",
                met: rate >= 0.5 * loopback
            ),
            BenchRow(
                id: "P8",
                scenario: "resident memory growth while fetching (city, county)",
                figure: growth.map { String(format: "%.1f MB", $0) }.joined(separator: ", "),
                limit: "—",
                ratio: nil,
                goal: "≤ 32 MB",
                met: (growth.max() ?? 0) <= 32
            ),
            BenchRow(
                id: "P8",
                scenario: String(format: "city killed -9 with %.0f of %d MB fetched, restarted", Double(kept) / 1_048_576, megabytes),
                figure: resumedAfter.map {
                    String(format: "resumed %.2f s after the restart (at byte %d, not 0); county had it %.1f s after", $0, kept, total)
                }
                    ?? "did not resume",
                limit: "—",
                ratio: nil,
                goal: "resumes ≤ 5 s, from where it stopped",
                met: (resumedAfter ?? .infinity) <= 5
            ),
        ]
    }
}

/// Three `xinfang serve` processes (the province, 长沙市, 芙蓉区) in a demo-style folder, and what
/// P8 does with them.
final class BlobRun {
    typealias H = ExampleHierarchy
    let megabytes: Int
    let root: URL
    let nodes: [TopologyNode]
    let security: SecuritySettings
    let tokens: [NodeID: String]
    let client: DemoClient
    let bytes: Data
    let upload = HTTPExchange(timeoutSeconds: 600)
    var processes: [NodeID: Process] = [:]

    init(megabytes: Int, root: URL) async throws {
        self.megabytes = megabytes
        self.root = root
        try? FileManager.default.removeItem(at: root)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("nodes"), withIntermediateDirectories: true)
        let ids = [H.province, H.changsha, H.furong]
        let example = ExampleHierarchy.topology(baseURL: { _ in "http://127.0.0.1:1" }, only: Set(ids)).0
        nodes = try Demo.nodesWithKeys(example, ports: try Demo.ports(count: ids.count, base: 0), root: root)
        try JSONEncoder().encode(Topology(nodes: nodes)).write(to: root.appendingPathComponent("topology.json"))
        let dataKeyURL = root.appendingPathComponent("keys/data.json")
        try DataKeyFile.write(DataKeyring.generate(), to: dataKeyURL)
        var security = SecuritySettings()
        security.bcryptCost = 10
        self.security = security
        progress("P8: provisioning and starting three nodes …")
        tokens = try await DemoCredentials.provision(
            root: root,
            nodes: nodes,
            personalData: PersonalDataProtector(keyring: try DataKeyFile.load(dataKeyURL)),
            security: security
        ).tokens
        var client = DemoClient(urls: Dictionary(uniqueKeysWithValues: nodes.map { ($0.id, $0.baseURL) }))
        client.tokens = tokens
        self.client = client
        bytes = Data("%PDF-1.7\n".utf8) + Data((0..<(megabytes << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) })
        for node in nodes { try start(node.id) }
        for node in nodes { try await ready(node.id) }
    }

    func start(_ id: NodeID) throws {
        let node = nodes.first { $0.id == id }!
        var config = Demo.config(of: node, security: security)
        config.caseFile = CaseService.UploadLimits(fileBytes: (megabytes + 1) << 20, caseBytes: 4 * ((megabytes + 1) << 20))
        let url = root.appendingPathComponent("nodes/\(node.id).json")
        try JSONEncoder().encode(config).write(to: url)
        let process = Process()
        process.executableURL = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = ["serve", "--config", url.path, "--log-level", "warning"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        processes[node.id] = process
    }

    func ready(_ id: NodeID) async throws {
        for _ in 0..<600 {
            if await client.send("GET", id, "/readyz").status == 200 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ValidationError("\(id) did not become ready")
    }

    /// A case at the province with the file (made distinct by `variant`: the same bytes are
    /// stored once) in its case file, assigned to 芙蓉区; its hash.
    func assign(variant: UInt8) async throws -> (CaseNumber, String) {
        let number = try await client.register(IngestScenario.registration(0, region: H.furong, at: Date()), at: H.province)
        var bytes = bytes
        bytes[bytes.count - 1] = variant
        let reply = await upload.send(
            "POST",
            URL(string: "\(client.urls[H.province]!)/api/v1/cases/\(number)/attachments?fileName=scan.pdf&stage=registration")!,
            body: bytes,
            headers: ["Content-Type": "application/octet-stream", "Authorization": "Bearer \(tokens[H.province]!)"]
        )
        guard reply.status == 201, let state = try? JSONSerialization.jsonObject(with: reply.body) as? [String: Any],
            let files = state["attachments"] as? [[String: Any]], let sha = (files.first?["file"] as? [String: Any])?["sha256"] as? String
        else { throw ValidationError("upload at the province: \(reply.status) \(String(decoding: reply.body.prefix(300), as: UTF8.self))") }
        let due = ISO8601DateFormatter().string(from: Date().addingTimeInterval(30 * 86_400))
        try await client.act(H.province, number, ["action": "offer", "to": H.furong.rawValue, "mode": "assign", "dueAt": due], actor: "刘洋")
        return (number, sha)
    }

    /// Whether `id` has the whole file (a range of its first byte answers 206).
    func arrived(_ id: NodeID, _ number: CaseNumber, _ sha: String) async -> Bool {
        let reply = await client.exchange.send(
            "GET",
            URL(string: "\(client.urls[id]!)/api/v1/cases/\(number)/attachments/\(sha)")!,
            headers: ["Range": "bytes=0-0", "Authorization": "Bearer \(tokens[id]!)"]
        )
        return reply.status == 206
    }

    func waitUntilArrived(_ number: CaseNumber, _ sha: String, while step: () async -> Void = {}) async throws {
        let started = Date()
        while !(await arrived(H.furong, number, sha)) {
            await step()
            guard Date().timeIntervalSince(started) < 600 else { throw ValidationError("the file did not reach 芙蓉区 in 10 minutes") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Seconds from the assignment until 芙蓉区 has the whole file, and how much the city's and the
    /// county's resident memory grew meanwhile (peak over before).
    func twoHops() async throws -> (Double, [Double]) {
        let pids = [H.changsha, H.furong].map { String(processes[$0]!.processIdentifier) }
        let before = pids.map { ProcessMemory.megabytes("VmRSS", pid: $0) }
        let (number, sha) = try await assign(variant: 1)
        let offered = Date()
        var relayed: Double?
        try await waitUntilArrived(number, sha) {
            if relayed == nil, await arrived(H.changsha, number, sha) { relayed = Date().timeIntervalSince(offered) }
        }
        let seconds = Date().timeIntervalSince(offered)
        progress(String(format: "P8: 长沙市 had the whole file %.2f s after the assignment, 芙蓉区 %.2f s", relayed ?? seconds, seconds))
        return (seconds, zip(pids, before).map { ProcessMemory.megabytes("VmHWM", pid: $0.0) - $0.1 })
    }

    /// A second file; the city killed with -9 a third of the way in and restarted: the bytes it
    /// had kept, how soon after the restart it fetched more, and when 芙蓉区 had the file.
    func killedMidTransfer() async throws -> (Int, Double?, Double) {
        let (number, sha) = try await assign(variant: 2)
        let part = root.appendingPathComponent("\(H.changsha)/blobs/incoming/\(sha).part")
        func partBytes() -> Int { ((try? FileManager.default.attributesOfItem(atPath: part.path))?[.size] as? Int) ?? 0 }
        let offered = Date()
        while partBytes() < bytes.count / 3 {
            guard Date().timeIntervalSince(offered) < 600 else { throw ValidationError("the city did not fetch a third of the second file") }
            try await Task.sleep(for: .milliseconds(5))
        }
        kill(processes[H.changsha]!.processIdentifier, SIGKILL)
        processes[H.changsha]!.waitUntilExit()
        let kept = partBytes()
        let restarted = Date()
        try start(H.changsha)
        var resumedAfter: Double?
        try await waitUntilArrived(number, sha) {
            if resumedAfter == nil, partBytes() > kept { resumedAfter = Date().timeIntervalSince(restarted) }
        }
        return (kept, resumedAfter, Date().timeIntervalSince(restarted))
    }

    func stopAll() async {
        for process in processes.values where process.isRunning { process.terminate() }
        for process in processes.values { process.waitUntilExit() }
    }

    func killAll() {
        for process in processes.values where process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// The machine's limit for P8: the same bytes through a loopback TCP connection, written by one
/// thread and read by another, nothing else done with them.
enum LoopbackCopy {
    static func megabytesPerSecond(bytes count: Int) throws -> Double {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw ValidationError("socket failed") }
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                guard bind(listener, $0, length) == 0, listen(listener, 1) == 0, getsockname(listener, $0, &length) == 0 else {
                    throw ValidationError("bind failed")
                }
            }
        }
        let port = address.sin_port
        let sender = Thread {
            let out = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var target = sockaddr_in()
            target.sin_family = sa_family_t(AF_INET)
            target.sin_addr.s_addr = inet_addr("127.0.0.1")
            target.sin_port = port
            _ = withUnsafePointer(to: &target) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(out, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            var chunk = [UInt8](repeating: 7, count: 1 << 20)
            var sent = 0
            while sent < count {
                let n = chunk.withUnsafeMutableBytes { write(out, $0.baseAddress, min($0.count, count - sent)) }
                if n <= 0 { break }
                sent += n
            }
            close(out)
        }
        let started = DispatchTime.now().uptimeNanoseconds
        sender.start()
        let connection = accept(listener, nil, nil)
        guard connection >= 0 else { throw ValidationError("accept failed") }
        defer { close(connection) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var received = 0
        while received < count {
            let n = buffer.withUnsafeMutableBytes { read(connection, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            received += n
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        return Double(received) / 1_048_576 / seconds
    }
}
