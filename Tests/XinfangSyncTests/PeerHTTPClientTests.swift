import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing
import XinfangCore
import XinfangHTTP

@testable import XinfangSync

/// The peer protocol's HTTP client (`PeerHTTPClient`, under `HTTPPacketTransport`): what it must
/// refuse as carefully as what it carries. A packet that reaches the peer gets its answer; a peer
/// nobody listens for is unreachable at once (the outbox retries on its own schedule); a redirect
/// is an answer, refused, never followed to another address with the packet and its signature.
struct PeerHTTPClientTests {
    /// A long time-out: the test command runs many nodes at once on two cores.
    let transport = HTTPPacketTransport(timeoutSeconds: 120)

    func peer(port: Int) -> TopologyNode {
        TopologyNode(
            id: NodeID(rawValue: "430102"),
            name: "芙蓉区",
            level: .county,
            parent: NodeID(rawValue: "430100"),
            baseURL: "http://127.0.0.1:\(port)",
            publicKey: ""
        )
    }

    /// Serves `router` on a loopback port (HummingbirdTesting's live server) while `body` runs.
    func serving(_ router: Router<BasicRequestContext>, _ body: @Sendable (Int) async throws -> Void) async throws {
        var logger = Logger(label: "peer-http-client-tests")
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: logger)
        try await app.test(.live) { client in try await body(try #require(client.port)) }
    }

    @Test func aPacketIsPostedWithItsHeadersAndItsAnswerRead() async throws {
        let router = Router()
        router.post("/sync/v1/packets") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            let echoed =
                request.headers[HTTPField.Name(PeerHeaders.from)!] == "430100"
                && request.headers[HTTPField.Name(PeerHeaders.signature)!] == "sig"
                && String(buffer: body) == "{\"x\":1}"
            let answer = echoed ? #"{"receipts":[]}"# : #"{"code":"not-echoed"}"#
            return Response(status: echoed ? .ok : .badRequest, body: .init(byteBuffer: ByteBuffer(string: answer)))
        }
        try await serving(router) { port in
            let result = await transport.send(
                Data("{\"x\":1}".utf8),
                signature: "sig",
                from: NodeID(rawValue: "430100"),
                to: peer(port: port)
            )
            guard case .delivered(let response) = result else {
                Issue.record("not delivered: \(result)")
                return
            }
            #expect(response.receipts.isEmpty)
        }
    }

    /// That it fails at once, not after the client's retries until its 5 s connect time-out, is
    /// timed by the benchmark suite's smoke test (the city's attempts to an offline county must
    /// have failed within 1.5 s): a wall-clock bound here failed under the test command's load,
    /// where a refused connection once took 16 s to be reported.
    @Test func aPeerNobodyListensForIsUnreachable() async throws {
        let port = try freeLoopbackPort()
        let result = await transport.send(Data("{}".utf8), signature: "sig", from: NodeID(rawValue: "430100"), to: peer(port: port))
        guard case .unreachable(let reason) = result else {
            Issue.record("expected unreachable, got \(result)")
            return
        }
        #expect(reason.contains("refused"), "\(reason)")
    }

    @Test func aRedirectIsRefusedNotFollowed() async throws {
        let router = Router()
        let followed = CallCount()
        router.post("/sync/v1/packets") { _, _ -> Response in
            Response(status: .temporaryRedirect, headers: [.location: "/elsewhere"])
        }
        router.post("/elsewhere") { _, _ -> Response in
            followed.increment()
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: #"{"receipts":[]}"#)))
        }
        try await serving(router) { port in
            let result = await transport.send(Data("{}".utf8), signature: "sig", from: NodeID(rawValue: "430100"), to: peer(port: port))
            guard case .refused(let status, _, _) = result else {
                Issue.record("expected a refusal, got \(result)")
                return
            }
            #expect(status == 307)
            #expect(followed.value == 0)
        }
    }
}

extension PeerHTTPClientTests {
    /// An answer is read whole into one buffer of the length it declares, and refused past the
    /// limit whether it declares its length or streams without one.
    @Test func anAnswerIsReadWithinItsLimitDeclaredOrStreamed() async throws {
        let router = Router()
        router.get("/declared/:bytes") { _, context -> Response in
            let bytes = try context.parameters.require("bytes", as: Int.self)
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(repeating: 7, count: bytes)))
        }
        router.get("/streamed/:bytes") { _, context -> Response in
            let bytes = try context.parameters.require("bytes", as: Int.self)
            return Response(
                status: .ok,
                body: ResponseBody { writer in
                    var left = bytes
                    while left > 0 {
                        try await writer.write(ByteBuffer(repeating: 7, count: min(left, 10_000)))
                        left -= 10_000
                    }
                    try await writer.finish(nil)
                }
            )
        }
        try await serving(router) { port in
            func get(_ path: String, limit: Int) async -> HTTPExchange.Reply {
                await HTTPExchange.execute(
                    HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)"),
                    on: PeerHTTPClient.client,
                    within: 60,
                    answerBytesMax: limit
                )
            }
            for kind in ["declared", "streamed"] {
                let whole = await get("/\(kind)/65000", limit: 65_000)
                #expect(whole.failure == nil && whole.status == 200 && whole.body == Data(repeating: 7, count: 65_000), "\(kind)")
                let over = await get("/\(kind)/65001", limit: 65_000)
                #expect(over.status == 0 && over.failure?.contains("longer than 65000 bytes") == true, "\(kind): \(over.failure ?? "read")")
            }
        }
    }
}

/// Counts calls from the server's tasks.
final class CallCount: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
