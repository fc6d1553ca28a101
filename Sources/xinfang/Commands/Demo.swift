import ArgumentParser
import Dispatch
import Foundation
import XinfangCore
import XinfangHTTP
import XinfangStore

/// `xinfang demo`: the example hierarchy of `deploy/topology.example.json` (1 province, 2 cities,
/// 4 counties), each node a separate `xinfang serve` process on loopback with its own SQLite file
/// and a fresh key. On first start it seeds cases at every level and plays a short story through
/// the user API; then it prints every node's URL. Ctrl-C stops all nodes cleanly.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Start the example hierarchy as 7 processes, seed it, and print how to use it.")

    @Option(name: .long, help: "Data directory of the demo (kept between runs).")
    var dir: String = ".xinfang-demo"

    @Option(name: .long, help: "Port of the first node; the others follow (0: free ports chosen below the system's ephemeral range).")
    var basePort: Int = 8430

    @Option(name: .long, help: "The example topology whose structure the demo starts.")
    var topology: String = "deploy/topology.example.json"

    @Option(name: .long, help: "Where the province's store is: sqlite (its file, as every node's) or postgres.")
    var provinceStore: String = "sqlite"

    @Option(
        name: .long,
        help:
            "With --province-store postgres: the socket file of a PostgreSQL server whose role and database are xinfang (absent: the demo starts a local cluster in its folder with deploy/postgres.sh and stops it after)."
    )
    var postgresSocket: String?

    func validate() throws {
        guard ["sqlite", "postgres"].contains(provinceStore) else {
            throw ValidationError("--province-store is sqlite or postgres, not \(provinceStore)")
        }
        if postgresSocket != nil, provinceStore != "postgres" { throw ValidationError("--postgres-socket goes with --province-store postgres") }
    }

    func run() async throws {
        let parent = getppid()
        let root = URL(fileURLWithPath: dir)
        let example = try NodeConfig.loadTopology(URL(fileURLWithPath: topology))
        let ports = try Self.ports(count: example.nodes.count, base: basePort)
        let nodes = try Self.nodesWithKeys(example, ports: ports, root: root)
        let runtime = Topology(nodes: nodes)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try FileManager.default.createDirectory(at: root.appendingPathComponent("nodes"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("logs"), withIntermediateDirectories: true)
        try encoder.encode(runtime).write(to: root.appendingPathComponent("topology.json"))
        let dataKeyURL = root.appendingPathComponent("keys/data.json")
        if !FileManager.default.fileExists(atPath: dataKeyURL.path) { try DataKeyFile.write(DataKeyring.generate(), to: dataKeyURL) }
        var security = SecuritySettings()
        security.bcryptCost = 10  // the demo makes 56 accounts at start; production keeps 12
        let cluster = try DemoPostgres.start(provinceStore: provinceStore, socket: postgresSocket, root: root)
        let configs = nodes.map { node in
            var config = Self.demoConfig(of: node, security: security)
            if node.level == .province, let socket = cluster?.socket { config.store = StoreConfig(backend: "postgres", socket: socket) }
            return config
        }
        let credentials: DemoCredentials
        do {
            let personalData = PersonalDataProtector(keyring: try DataKeyFile.load(dataKeyURL))
            credentials = try await Self.provision(nodes: nodes, configs: configs, root: root, personalData: personalData, security: security)
        } catch {
            cluster?.stop()
            throw error
        }
        var processes: [(NodeID, Process)] = []
        let executable = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        for (node, config) in zip(nodes, configs) {
            let configURL = root.appendingPathComponent("nodes/\(node.id).json")
            try encoder.encode(config).write(to: configURL)
            let log = root.appendingPathComponent("logs/\(node.id).log")
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            let handle = try FileHandle(forWritingTo: log)
            let process = Process()
            process.executableURL = executable
            process.arguments = ["serve", "--config", configURL.path, "--log-level", "notice"]
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
            processes.append((node.id, process))
        }
        let stop = {
            Self.stop(processes, logs: root.appendingPathComponent("logs"))
            cluster?.stop()
        }
        // Ctrl-C and SIGTERM stop every node (SIGTERM: each shuts down gracefully).
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let signals = [SIGINT, SIGTERM].map { DispatchSource.makeSignalSource(signal: $0, queue: .global()) }
        let parentWatch = ParentWatch.startIfAsked(parent: parent)
        defer { parentWatch?.cancel() }
        var client = DemoClient(urls: Dictionary(uniqueKeysWithValues: nodes.map { ($0.id, $0.baseURL) }))
        client.tokens = credentials.tokens
        do {
            for node in nodes { try await waitUntilReady(client, node.id, process: processes.first { $0.0 == node.id }!.1) }
            let story = try await DemoStory(client: client, topology: runtime).play(in: root)
            emit(banner(nodes: nodes, story: story, directory: root.path, credentials: credentials))
            if let cluster { emit("The province keeps its store in PostgreSQL (socket \(cluster.socket)).") }
        } catch {
            emit("demo failed: \(error)")
            stop()
            // A dispatch source released while suspended traps (SIGILL): resume, then cancel them.
            for source in signals {
                source.resume()
                source.cancel()
            }
            throw ExitCode.failure
        }
        await Self.waitForSignal(signals)
        emit("stopping \(processes.count) nodes…")
        stop()
        emit("stopped")
    }

    /// Stops the nodes: SIGTERM to each, then a wait bounded by their own shutdown limits
    /// (`ShutdownLimits`) and a margin; a node still running then is killed, so stopping the demo
    /// never waits for ever.
    static func stop(_ processes: [(NodeID, Process)], logs: URL) {
        for (_, process) in processes where process.isRunning { process.terminate() }
        let limits = ShutdownLimits()
        let deadline = Date().addingTimeInterval(Double(limits.graceSeconds + limits.forceSeconds + 10))
        while processes.contains(where: { $0.1.isRunning }) && Date() < deadline { usleep(50_000) }
        for (node, process) in processes where process.isRunning {
            emit("node \(node) did not stop within its shutdown limits: killed (its log: \(logs.path)/\(node).log)")
            kill(process.processIdentifier, SIGKILL)
        }
        for (_, process) in processes { process.waitUntilExit() }
    }

    /// The accounts of every node, each made in the store its configuration names.
    static func provision(
        nodes: [TopologyNode],
        configs: [NodeConfig],
        root: URL,
        personalData: PersonalDataProtector,
        security: SecuritySettings
    ) async throws -> DemoCredentials {
        try await DemoCredentials.provision(root: root, nodes: nodes, personalData: personalData, security: security) { node in
            try await NodeBootstrap.openStore(
                config: configs[nodes.firstIndex(of: node)!],
                base: root.appendingPathComponent("nodes"),
                node: node.id,
                calendar: .standard,
                hierarchy: nil,
                personalData: personalData,
                report: nil
            )
        }
    }

    /// `count` ports from `base` on; with base 0, distinct free ports below the ephemeral range.
    static func ports(count: Int, base: Int) throws -> [Int] {
        guard base == 0 else { return (0..<count).map { base + $0 } }
        var ports: [Int] = []
        while ports.count < count {
            let port = try freeLoopbackPort()
            if !ports.contains(port) { ports.append(port) }
        }
        return ports
    }

    /// Returns when one of `signals` (SIGINT, SIGTERM) arrives.
    static func waitForSignal(_ signals: [any DispatchSourceSignal]) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let once = Once()
            for source in signals {
                source.setEventHandler { if once.first() { continuation.resume() } }
                source.resume()
            }
        }
        // The sources must live until a signal came: an optimised build releases a local after its
        // last use, which cancelled them and leaked the continuation (Ctrl-C did not stop a release demo).
        withExtendedLifetime(signals) {}
    }

    /// A demo node's configuration: messages go to files (outbox/<id>-sms.jsonl, -email.jsonl);
    /// the example hotline's callbacks to deploy/intake-client.py's listener (port 8799).
    static func demoConfig(of node: TopologyNode, security: SecuritySettings) -> NodeConfig {
        var config = Self.config(of: node, security: security)
        config.notifications = NotificationConfig(
            sms: .init(kind: "file", path: "../outbox/\(node.id)-sms.jsonl"),
            email: .init(kind: "file", path: "../outbox/\(node.id)-email.jsonl"),
            staffRecipients: ["xfk-\(node.id)@example.gov.cn"]
        )
        config.intake = IntakeConfig(systems: [
            .init(name: DemoCredentials.intakeSystem, callbackURL: "http://127.0.0.1:8799/xinfang-callback", secret: DemoCredentials.callbackSecret)
        ])
        return config
    }

    /// The configuration of a node of a demo folder (`nodes/<id>.json`, its store in `<id>/`,
    /// the keys in `keys/`), as the demo and the benchmarks that start nodes write it.
    static func config(of node: TopologyNode, security: SecuritySettings) -> NodeConfig {
        var config = NodeConfig(
            nodeId: node.id.rawValue,
            name: node.name,
            level: node.level.rawValue,
            dataDirectory: "../\(node.id)",
            listen: String(node.baseURL.dropFirst("http://".count)),
            topologyFile: "../topology.json",
            keyFile: "../keys/\(node.id).json",
            dataKeyFile: "../keys/data.json"
        )
        config.security = security
        return config
    }

    /// Fresh keys per demo folder (kept between runs), and the nodes with their public keys and ports.
    static func nodesWithKeys(_ example: Topology, ports: [Int], root: URL) throws -> [TopologyNode] {
        var nodes: [TopologyNode] = []
        for (node, port) in zip(example.nodes, ports) {
            let keyURL = root.appendingPathComponent("keys/\(node.id).json")
            if !FileManager.default.fileExists(atPath: keyURL.path) { try KeyFile.write(NodeKey(), to: keyURL) }
            var entry = node
            entry.baseURL = "http://127.0.0.1:\(port)"
            entry.publicKey = try KeyFile.load(keyURL).publicKeyBase64
            nodes.append(entry)
        }
        return nodes
    }

    func waitUntilReady(_ client: DemoClient, _ node: NodeID, process: Process) async throws {
        for _ in 0..<600 {
            if await client.send("GET", node, "/readyz").status == 200 { return }
            guard process.isRunning else {
                let log = URL(fileURLWithPath: dir).appendingPathComponent("logs/\(node).log")
                let tail = ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").suffix(3).joined(separator: "\n  ")
                throw DemoError("node \(node) exited (its log, \(log.path), ends:\n  \(tail))\nIs another program using the port? Try --base-port.")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw DemoError("node \(node) did not become ready")
    }

    func banner(nodes: [TopologyNode], story: [String], directory: String, credentials: DemoCredentials) -> String {
        let province = nodes[0].baseURL
        let county = nodes.first { $0.id.rawValue == "430102" }?.baseURL ?? nodes.last!.baseURL
        var lines = ["xinfang demo: the example hierarchy, \(nodes.count) processes, data in \(directory)", ""]
        for node in nodes {
            let indent = String(repeating: "  ", count: node.level == .province ? 0 : node.level == .city ? 1 : 2)
            lines.append("  \(indent)\(node.id) \(node.name)  \(node.baseURL)")
        }
        if !story.isEmpty {
            lines += ["", "Seeded and played just now:"] + story.map { "  - \($0)" }
        } else {
            lines += ["", "The story was played in this folder before (\(DemoStory.doneFile)); its cases are as they were left."]
        }
        lines += [
            "",
            "Accounts: one per role at every node, with passwords and TOTP secrets, in",
            "  \(credentials.file.path)",
            "(log in at a node's /ui/login; roles that read personal data or administer also give the",
            " 6-digit code of their TOTP secret: any authenticator app, or `xinfang users totp --secret S`)",
            "",
            "The dashboard (督查看板) of the province, in a browser: \(province)/",
            "",
            "Try it (copy and paste; each node's leader's API token is in \(directory)/tokens.env):",
            "  source \(directory)/tokens.env",
            "  curl -s -H \"Authorization: Bearer $XF_430000\" \(province)/api/v1/backlog",
            "  curl -s -H \"Authorization: Bearer $XF_430000\" '\(province)/api/v1/cases?limit=5'",
            "  curl -s -H \"Authorization: Bearer $XF_430102\" '\(county)/api/v1/cases?limit=5'",
            "",
            "Ctrl-C stops every node.",
        ]
        return lines.joined(separator: "\n")
    }
}

/// The demo's accounts: at every node one person per role, with a generated password and TOTP
/// secret, and an API token of the node's leader for the demo's own requests; written once to
/// `credentials.json` (mode 0600) in the demo folder.
struct DemoCredentials {
    struct Node: Codable {
        var node: NodeID
        var url: String
        var users: [ProvisionedUser]
        var leaderToken: String
        /// The token of the example hotline's intake account (`hotline12345`).
        var intakeToken: String?
    }

    /// The example 12345 hotline's account name, and the secret its callbacks are signed with
    /// (public: a demo's; a real node's comes from its configuration).
    static let intakeSystem = "hotline12345"
    static let callbackSecret = "demo-callback-secret-not-for-production-use"

    var file: URL
    var tokens: [NodeID: String]

    static let usernames: [(Role, String)] = [
        (.registrar, "registrar"), (.handler, "handler"), (.leader, "leader"), (.supervisor, "supervisor"), (.auditor, "auditor"),
        (.systemAdmin, "sysadmin"), (.securityAdmin, "secadmin"), (.auditAdmin, "auditadmin"),
    ]

    static func provision(
        root: URL,
        nodes: [TopologyNode],
        personalData: PersonalDataProtector,
        security: SecuritySettings,
        open: ((TopologyNode) async throws -> NodeDatabase)? = nil
    ) async throws -> DemoCredentials {
        let file = root.appendingPathComponent("credentials.json")
        if let data = try? Data(contentsOf: file), let saved = try? JSONDecoder().decode([Node].self, from: data) {
            return DemoCredentials(file: file, tokens: Dictionary(uniqueKeysWithValues: saved.map { ($0.node, $0.leaderToken) }))
        }
        var all: [Node] = []
        for node in nodes {
            // Each node's SQLite file in the folder, unless `open` says where its store is.
            let database =
                if let open { try await open(node) } else {
                    try NodeDatabase.open(
                        directory: root.appendingPathComponent(node.id.rawValue),
                        node: node.id,
                        calendar: .standard,
                        personalData: personalData
                    )
                }
            let now = Date()
            let shortName = node.name.replacingOccurrences(of: "人力资源和社会保障厅", with: "").replacingOccurrences(of: "人力资源和社会保障局", with: "")
            var users: [ProvisionedUser] = []
            for (role, name) in usernames {
                if let existing = try await database.accounts.user(named: name) {
                    _ = existing
                    continue
                }
                users.append(
                    try await database.provisionUser(
                        username: name,
                        displayName: "\(role.label)·\(shortName)",
                        role: role,
                        by: "demo",
                        security: security,
                        now: now
                    )
                )
            }
            let leader = try await database.accounts.user(named: "leader")!
            let (secret, _) = try await database.issueToken(
                userID: leader.id,
                name: "demo",
                scope: leader.role.permissions.sorted(),
                now: now,
                expiresAt: now.addingTimeInterval(365 * 86_400)
            )
            // The example 12345 hotline: an intake-only account and token.
            let hotline = try await database.accounts.createUser(
                NewUser(username: intakeSystem, displayName: "12345 政务服务便民热线", role: .intakeSystem, passwordHash: nil, totpSecret: nil),
                by: "demo",
                now: now
            )
            let (intakeSecret, _) = try await database.issueToken(
                userID: hotline.id,
                name: "demo-intake",
                scope: [.intake],
                now: now,
                expiresAt: now.addingTimeInterval(365 * 86_400)
            )
            all.append(Node(node: node.id, url: node.baseURL, users: users, leaderToken: secret, intakeToken: intakeSecret))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        _ = FileManager.default.createFile(atPath: file.path, contents: try encoder.encode(all), attributes: [.posixPermissions: 0o600])
        // For shells: `source .xinfang-demo/tokens.env` gives XF_430000=… per node.
        let env =
            (all.map { "XF_\($0.node)=\($0.leaderToken)" } + all.compactMap { n in n.intakeToken.map { "XF_INTAKE_\(n.node)=\($0)" } })
            .joined(separator: "\n") + "\n"
        _ = FileManager.default.createFile(
            atPath: root.appendingPathComponent("tokens.env").path,
            contents: Data(env.utf8),
            attributes: [.posixPermissions: 0o600]
        )
        return DemoCredentials(file: file, tokens: Dictionary(uniqueKeysWithValues: all.map { ($0.node, $0.leaderToken) }))
    }
}
