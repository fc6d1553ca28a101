import Foundation
import Testing
import XinfangCore
import XinfangStore
import XinfangTesting

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A real `xinfang` process started by a test, with its output in a file and its port read from
/// the "listening on" line it prints.
final class NodeProcess: @unchecked Sendable {
    let process: SpawnedProcess
    let output: URL
    private(set) var baseURL: URL?

    /// The built executable beside the test bundle (`.build/<triple>/debug/xinfang`), or $XINFANG_BIN.
    static var executable: URL {
        if let path = ProcessInfo.processInfo.environment["XINFANG_BIN"] { return URL(fileURLWithPath: path) }
        var dir = Bundle.main.bundleURL
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("xinfang")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("xinfang")
    }

    init(arguments: [String], workDirectory: URL) throws {
        output = workDirectory.appendingPathComponent("process-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        process = try SpawnedProcess(
            executable: Self.executable.path,
            arguments: arguments,
            workDirectory: workDirectory.path,
            output: output.path
        )
    }

    /// Waits for the "listening on http://host:port" line (the demo prints "URL:   http://…").
    func waitUntilListening(timeout: TimeInterval = 60) async throws -> URL {
        let deadline = Date().addingTimeInterval(timeout)
        let pattern = try NSRegularExpression(pattern: #"(?:listening on|430000 \S+)\s+(http://127\.0\.0\.1:[0-9]+)"#)
        while Date() < deadline {
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            if let match = pattern.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) {
                let url = URL(string: (text as NSString).substring(with: match.range(at: 1)))!
                baseURL = url
                return url
            }
            guard process.isRunning else { throw Failure("the process exited early: \(text)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Failure("no listening line within \(timeout) s")
    }

    var log: String { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }

    func kill9() { kill(process.processIdentifier, SIGKILL) }

    /// Sends SIGINT (Ctrl-C) and waits for the exit; returns the exit status.
    func interruptAndWait(timeout: TimeInterval = 20) async throws -> Int32 {
        process.interrupt()
        return try await waitForExit(timeout: timeout)
    }

    func waitForExit(timeout: TimeInterval = 20) async throws -> Int32 {
        try await process.waitForExit(timeout: timeout)
    }

    deinit { if process.isRunning { kill9() } }
}

struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A minimal JSON-over-HTTP client for the tests, on URLSession with short time-outs.
struct HTTP: Sendable {
    let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 10
        configuration.httpMaximumConnectionsPerHost = 16
        return URLSession(configuration: configuration)
    }()

    struct Reply: Sendable {
        var status: Int
        var body: Data
        var json: [String: any Sendable] { ((try? JSONSerialization.jsonObject(with: body)) as? [String: any Sendable]) ?? [:] }
    }

    /// The bearer token sent (the test leader's, which `writeConfig` and the hierarchy provision).
    var token: String? = TestAccounts.token(.leader)

    /// Sends `body` as `contentType` (an upload), with the token.
    func send(_ method: String, _ url: URL, body: Data, contentType: String, token override: String? = nil) async throws -> Reply {
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.setValue("Bearer \(override ?? token ?? "")", forHTTPHeaderField: "Authorization")
        request.httpBody = body
        request.setValue(contentType, forHTTPHeaderField: "Content-Type")
        let (data, response) = try await session.data(for: request)
        return Reply(status: (response as? HTTPURLResponse)?.statusCode ?? 0, body: data)
    }

    func send(_ method: String, _ url: URL, json: String? = nil) async throws -> Reply {
        var request = URLRequest(url: url)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let json {
            request.httpBody = Data(json.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await session.data(for: request)
        return Reply(status: (response as? HTTPURLResponse)?.statusCode ?? 0, body: data)
    }
}

func temporaryDirectory(_ name: String) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("xinfang-\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

/// Writes a node configuration listening on an ephemeral port, with the development data
/// keyring, and provisions the test leader's account and token in its store.
func writeConfig(in dir: URL, nodeId: String = "430102", extra: String = "") async throws -> URL {
    let config = """
        {"nodeId": "\(nodeId)", "name": "芙蓉区人社局", "level": "county", "dataDirectory": "data", "listen": "127.0.0.1:0", \
        "dataKeyFile": "data-keys.json"\(extra)}
        """
    let url = dir.appendingPathComponent("node.json")
    try config.write(to: url, atomically: true, encoding: .utf8)
    try TestAccounts.writeDataKeyFile(to: dir.appendingPathComponent("data-keys.json"))
    let database = try NodeDatabase.open(directory: dir.appendingPathComponent("data"), node: NodeID(nodeId), calendar: .standard)
    try await TestAccounts.provision(database)
    return url
}

extension NodeProcess {
    /// `xinfang demo` in `demoDir` on free ports, once it has played its story and printed its
    /// banner (the README tour and the contract check run against it).
    static func demo(_ demoDir: URL, in dir: URL) async throws -> NodeProcess {
        let demo = try NodeProcess(
            arguments: [
                "demo", "--dir", demoDir.path, "--base-port", "0", "--topology",
                TourTests.root.appendingPathComponent("deploy/topology.example.json").path,
            ],
            workDirectory: dir
        )
        _ = try await demo.waitUntilListening(timeout: 120)
        let deadline = Date().addingTimeInterval(120)
        while !demo.log.contains("Ctrl-C stops every node") {
            try #require(Date() < deadline && demo.process.isRunning, "the demo did not finish its story: \(demo.log.suffix(800))")
            try await Task.sleep(for: .milliseconds(100))
        }
        return demo
    }

    /// The port the demo printed for `node` ("  430100 长沙市… http://127.0.0.1:PORT").
    func demoPort(_ node: String) throws -> String {
        let pattern = try NSRegularExpression(pattern: "\(node) \\S+\\s+http://127\\.0\\.0\\.1:([0-9]+)")
        let text = log
        let match = try #require(pattern.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)), "no URL for \(node)")
        return (text as NSString).substring(with: match.range(at: 1))
    }
}
