public import Foundation
import Hummingbird
import Logging
import Synchronization
public import XinfangCore
public import XinfangHTTP
public import XinfangStore
public import XinfangSync

/// Several nodes of the example hierarchy in one process, each a real Hummingbird server on a
/// loopback port chosen by the system, talking the real peer protocol over HTTP; its own requests
/// go over the project's one `HTTPExchange`.
public final class TestCluster: Sendable {
    public let topology: Topology
    public let keys: [NodeID: NodeKey]
    public let databases: [NodeID: NodeDatabase]
    /// The nodes that run; the others are in the topology but down (unreachable).
    public let running: Set<NodeID>
    let ports = Mutex<[NodeID: Int]>([:])
    /// Set before the servers stop, so no node opens a new connection to one that is stopping.
    let stopping = Mutex(false)
    /// The tests' client: a request may wait 90 s in all (a time-out of 30 s, tripled), since the
    /// test command runs the whole suite on two cores, where a burst of 60 requests over the
    /// client's 8 connections to a node once waited longer than 30 s for a connection.
    let exchange = HTTPExchange(timeoutSeconds: 30)
    /// Each node's limits on its clients' connections, and its count of them.
    public let connections: ConnectionLimits
    let registries: [NodeID: ConnectionRegistry]

    init(topology: Topology, keys: [NodeID: NodeKey], databases: [NodeID: NodeDatabase], connections: ConnectionLimits) {
        self.connections = connections
        self.topology = topology
        self.keys = keys
        self.databases = databases
        running = Set(databases.keys)
        registries = Dictionary(uniqueKeysWithValues: running.map { ($0, ConnectionRegistry(perAddressMax: connections.perAddressMax)) })
    }

    /// Starts the nodes (all seven by default), each on a store of `backend` (on PostgreSQL a
    /// database of its own in one throwaway cluster), runs `body`, then stops them.
    public static func run<T: Sendable>(
        nodes: Set<NodeID> = Set(ExampleHierarchy.nodes.map(\.0)),
        backend: StoreBackend = .sqlite,
        connections: ConnectionLimits = ConnectionLimits(),
        _ body: @escaping @Sendable (TestCluster) async throws -> T
    ) async throws -> T {
        let (topology, keys) = ExampleHierarchy.topology(baseURL: { "http://127.0.0.1/\($0)" })
        var stores: [NodeID: Hierarchy?] = [:]
        for node in topology.nodes where nodes.contains(node.id) {
            stores[node.id] = Hierarchy(topology: topology, key: keys[node.id]!)
        }
        return try await LoopbackTurns.run {
            try await backend.withNodes(stores) { databases in
                let cluster = TestCluster(topology: topology, keys: keys, databases: databases, connections: connections)
                return try await runTurn(cluster, body)
            }
        }
    }

    static func runTurn<T: Sendable>(_ cluster: TestCluster, _ body: @escaping @Sendable (TestCluster) async throws -> T) async throws -> T {
        for database in cluster.databases.values {
            for role in Role.allCases { try await TestAccounts.provision(database, role: role) }
        }
        return try await withThrowingTaskGroup(of: T?.self) { group in
            for node in cluster.topology.nodes where cluster.running.contains(node.id) {
                group.addTask {
                    try await cluster.serve(node)
                    return nil
                }
            }
            try await cluster.waitUntilRunning()
            group.addTask {
                // Quiesce: stop node-to-node traffic and let in-flight deliveries end before the
                // servers stop (NIO asserts on a connection accepted during shutdown).
                let result: Result<T, any Error>
                do { result = .success(try await body(cluster)) } catch { result = .failure(error) }
                cluster.stopping.withLock { $0 = true }
                try? await Task.sleep(for: .milliseconds(300))
                return try result.get()
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let result { return result }
            }
            throw ClusterError("the cluster stopped before the test finished")
        }
    }

    func serve(_ node: TopologyNode) async throws {
        var logger = Logger(label: "xinfang.test.\(node.id)")
        logger.logLevel = .critical
        let services = NodeServices(
            identity: NodeIdentity(id: node.id, name: node.name, level: node.level),
            database: databases[node.id]!
        )
        let app = NodeApplication.application(
            services: services,
            host: "127.0.0.1",
            port: 0,
            logger: logger,
            transport: ResolvingTransport(cluster: self),
            connections: connections,
            connectionRegistry: registries[node.id]
        ) { port in
            self.ports.withLock { $0[node.id] = port }
        }
        try await app.runService()
    }

    func waitUntilRunning() async throws {
        for _ in 0..<500 {
            if ports.withLock({ $0.count }) == running.count { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw ClusterError("the nodes did not start")
    }

    public func url(_ node: NodeID, _ path: String) -> URL {
        URL(string: "http://127.0.0.1:\(ports.withLock { $0[node] ?? 0 })\(path)")!
    }

    public func database(_ node: NodeID) -> NodeDatabase { databases[node]! }

    /// The transport the nodes send packets with (to the ports they bound).
    public var transport: any PacketTransport { ResolvingTransport(cluster: self) }

    /// The client connections `node` holds open now.
    public func openConnections(_ node: NodeID) -> Int { registries[node]?.count ?? 0 }

    /// The port `node` listens on.
    public func port(_ node: NodeID) -> Int { ports.withLock { $0[node] ?? 0 } }

    /// One JSON request to a node's user API.
    public func request(_ method: String, _ node: NodeID, _ path: String, json: [String: any Sendable]? = nil) async throws -> ClusterReply {
        try await send(method, url(node, path), body: try json.map { try JSONSerialization.data(withJSONObject: $0) })
    }

    /// Sends with the test leader's token unless `headers` names an `Authorization` (empty: none).
    public func send(_ method: String, _ url: URL, body: Data?, headers: [String: String] = [:]) async throws -> ClusterReply {
        var fields: [String: String?] = ["Authorization": "Bearer \(TestAccounts.token(.leader))"]
        if body != nil { fields["Content-Type"] = "application/json" }
        for (name, value) in headers { fields[name] = value.isEmpty ? String?.none : value }
        let reply = await exchange.send(method, url, body: body, headers: fields)
        if let failure = reply.failure { throw ClusterError(failure) }
        return ClusterReply(status: reply.status, body: reply.body)
    }

    /// Posts `packet` to its receiver over HTTP, signed with its sender's key, as that sender
    /// (or anyone holding its key) would.
    public func post(_ packet: Packet) async throws -> ClusterReply {
        let body = packet.encoded()
        return try await send(
            "POST",
            url(packet.to, "/sync/v1/packets"),
            body: body,
            headers: [PeerHeaders.from: packet.from.rawValue, PeerHeaders.signature: keys[packet.from]!.sign(body)]
        )
    }

    /// Greets `to` as `from` would, signed with its key: the session `to` opened for `from`'s
    /// packets. (The session `from`'s own node holds is replaced once a packet uses this one;
    /// its next packet is refused and it greets again.)
    public func greet(from: NodeID, to: NodeID) async throws -> String {
        let reply = try await post(Packet.greeting(from: from, to: to, sentAt: Date()))
        guard reply.status == 200, let session = try CanonicalJSON.decoder.decode(PacketResponse.self, from: reply.body).session else {
            throw ClusterError("\(to) did not open a session for \(from): \(reply.status) \(reply.text)")
        }
        return session
    }

    /// Registers a petition about `region` at `node`; returns its case number.
    public func register(at node: NodeID, region: String, summary: String = "反映拖欠工资", channel: String = "visit") async throws -> CaseNumber {
        let body = Fixtures.registrationJSON(region: region, summary: summary).replacingOccurrences(
            of: "\"channel\":\"visit\"",
            with: "\"channel\":\"\(channel)\""
        )
        let reply = try await send("POST", url(node, "/api/v1/cases"), body: Data(body.utf8))
        guard reply.status == 201, let number = reply.json["caseNumber"] as? String else {
            throw ClusterError("registration at \(node) failed: \(reply.status) \(reply.text)")
        }
        return CaseNumber(rawValue: number)
    }

    /// Posts an action at `node`; `expect` is the status it must answer.
    @discardableResult
    public func act(at node: NodeID, _ number: CaseNumber, _ fields: [String: any Sendable], expect: Int = 200) async throws -> ClusterReply {
        var body = fields
        if body["actor"] == nil { body["actor"] = "经办人" }
        let reply = try await request("POST", node, "/api/v1/cases/\(number)/actions", json: body)
        guard reply.status == expect else {
            throw ClusterError("\(fields["action"] ?? "?") at \(node) answered \(reply.status), expected \(expect): \(reply.text)")
        }
        return reply
    }

    /// Waits until `condition` holds for the case as `node` stores it (15 s at most: a hop takes
    /// milliseconds, but the test command runs the simulator's seeds on the same two cores).
    @discardableResult
    public func waitFor(
        _ node: NodeID,
        _ number: CaseNumber,
        timeout: Double = 15,
        _ condition: @Sendable (CaseState) -> Bool
    ) async throws -> CaseState {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let state = try await database(node).caseState(number), condition(state) { return state }
            try await Task.sleep(for: .milliseconds(5))
        }
        let state = try await database(node).caseState(number)
        throw ClusterError(
            "at \(node), case \(number) did not reach the expected state; it is \(state.map { "\($0.status) held by \($0.holder), seq \($0.headSeq)" } ?? "absent")"
        )
    }

    /// The case's chain as each of `nodes` stores it: event hashes in order.
    public func chains(_ number: CaseNumber, at nodes: [NodeID]) async throws -> [NodeID: [String]] {
        var result: [NodeID: [String]] = [:]
        for node in nodes { result[node] = try await database(node).events(of: number).map(\.hash) }
        return result
    }
}

/// An answer of a node's API in a cluster test.
public struct ClusterReply: Sendable {
    public var status: Int
    public var body: Data
    public var json: [String: any Sendable] { ((try? JSONSerialization.jsonObject(with: body)) as? [String: any Sendable]) ?? [:] }
    public var text: String { String(decoding: body, as: UTF8.self) }
}

public struct ClusterError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The HTTP transport, pointed at the port each in-process node actually bound.
struct ResolvingTransport: PacketTransport {
    let cluster: TestCluster
    let http = HTTPPacketTransport()

    func send(_ body: Data, signature: String, from: NodeID, to peer: TopologyNode) async -> TransportResult {
        if cluster.stopping.withLock({ $0 }) { return .unreachable("the test cluster is stopping") }
        var resolved = peer
        resolved.baseURL = "http://127.0.0.1:\(cluster.ports.withLock { $0[peer.id] ?? 1 })"
        return await http.send(body, signature: signature, from: from, to: resolved)
    }

    func fetchBlobChunks(_ body: Data, signature: String, from: NodeID, to peer: TopologyNode) async -> BlobChunksResult {
        if cluster.stopping.withLock({ $0 }) { return .unreachable("the test cluster is stopping") }
        var resolved = peer
        resolved.baseURL = "http://127.0.0.1:\(cluster.ports.withLock { $0[peer.id] ?? 1 })"
        return await http.fetchBlobChunks(body, signature: signature, from: from, to: resolved)
    }
}
