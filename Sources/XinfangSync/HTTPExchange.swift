import AsyncHTTPClient
public import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import XinfangCore

/// One HTTP exchange for the project's clients other than the peer protocol (which goes over
/// `PeerHTTPClient`): notification gateways, the demo, the benchmarks' page requests and the test
/// cluster. AsyncHTTPClient on the process's NIO event loops, one client for the process with a
/// pool of keep-alive connections per host. It follows up to 5 redirects (a 303 as a GET, a 307 or
/// 308 with the same method and body), as these clients expect; it keeps no cookies (every
/// client here authenticates with a bearer token or a signature).
///
/// It replaced URLSession, so that the server links neither FoundationNetworking nor libcurl and
/// the 27 libraries libcurl brings with it (Kerberos, LDAP, RTMP, SSH, GnuTLS, …): 3.5 MB of an
/// idle node's resident memory, and code a node never ran (docs/BENCHMARKS.md, P6).
public struct HTTPExchange: Sendable {
    /// The longest the whole exchange may take: three times the time-out (URLSession's resource
    /// time-out was the same multiple of its request time-out).
    let deadlineSeconds: Double

    public init(timeoutSeconds: Double = PeerLimits.requestTimeoutSeconds) {
        deadlineSeconds = timeoutSeconds * 3
    }

    /// What came back: the status (0 when no answer) and body, or why nothing came.
    public struct Reply: Sendable {
        public var status: Int
        public var body: Data
        public var failure: String?
        /// The response's header fields, by lower-case name (repeated fields joined by ", ").
        public var headers: [String: String] = [:]
    }

    static let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)

    static var configuration: HTTPClient.Configuration {
        var pool = HTTPClient.Configuration.ConnectionPool()
        // A refused connection fails at once, as it did over URLSession: callers that wait for a
        // node to listen poll on their own schedule.
        pool.retryConnectionEstablishment = false
        return HTTPClient.Configuration(
            redirectConfiguration: .follow(max: 5, allowCycles: false),
            timeout: .init(connect: .seconds(5)),
            connectionPool: pool,
            decompression: .disabled
        )
    }

    /// The largest answer read (a page, a report, a file's range in the benchmarks).
    static let answerBytesMax = 1 << 30

    /// Sends one request. A header whose value is nil is left out.
    public func send(_ method: String, _ url: URL, body: Data? = nil, headers: [String: String?] = [:]) async -> Reply {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers {
            if let value { request.headers.replaceOrAdd(name: name, value: value) }
        }
        if let body { request.body = .bytes(ByteBuffer(data: body)) }
        return await Self.execute(request, on: Self.client, within: deadlineSeconds, answerBytesMax: Self.answerBytesMax)
    }

    /// Runs `request` on `client` and reads its answer (at most `answerBytesMax` bytes): the one
    /// exchange both clients make, the peer protocol's (`PeerHTTPClient`) and this one.
    static func execute(_ request: HTTPClientRequest, on client: HTTPClient, within seconds: Double, answerBytesMax: Int) async -> Reply {
        let deadline = NIODeadline.now() + .milliseconds(Int64(seconds * 1000))
        do {
            let response = try await client.execute(request, deadline: deadline)
            let answer = try await collect(response, upTo: answerBytesMax)
            var fields: [String: String] = [:]
            for (name, value) in response.headers {
                fields[name.lowercased()] = fields[name.lowercased()].map { "\($0), \(value)" } ?? value
            }
            return Reply(status: Int(response.status.code), body: Data(buffer: answer), failure: nil, headers: fields)
        } catch {
            return Reply(status: 0, body: Data(), failure: "\(error)")
        }
    }

    /// The answer's body, in one buffer of the length it declares when it declares one: a buffer
    /// grown as the parts come (AsyncHTTPClient's `collect`) doubles past it, so two chunks of a
    /// blob (2 MiB and 56 bytes) held 4 MiB, copied four times on the way. What is set aside before
    /// the bytes come is at most `reservedBytesMax`: a declared length is only a promise.
    static func collect(_ response: HTTPClientResponse, upTo limit: Int) async throws -> ByteBuffer {
        var answer = ByteBuffer()
        if let declared = response.headers.first(name: "content-length").flatMap(Int.init) {
            guard declared <= limit else { throw AnswerTooLarge(limit: limit) }
            answer.reserveCapacity(min(max(declared, 0), reservedBytesMax))
        }
        for try await var part in response.body {
            guard answer.readableBytes + part.readableBytes <= limit else { throw AnswerTooLarge(limit: limit) }
            answer.writeBuffer(&part)
        }
        return answer
    }

    /// The most set aside for an answer before its bytes come (a peer's answer is at most 5 MiB).
    static let reservedBytesMax = 8 << 20

    struct AnswerTooLarge: Error, CustomStringConvertible {
        var limit: Int
        var description: String { "the answer is longer than \(limit) bytes" }
    }
}
