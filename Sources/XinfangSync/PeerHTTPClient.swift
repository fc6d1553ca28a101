import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import XinfangCore

/// The peer protocol's HTTP client: packets (`/sync/v1/packets`) and blob chunks
/// (`/sync/v1/blobs`), the traffic between nodes. AsyncHTTPClient on the process's NIO event
/// loops (the server's own), one client for the process with a pool of keep-alive connections
/// to each neighbour; it is never shut down, as it lives as long as the process.
///
/// Apart from `HTTPExchange` (the other clients' exchange, which follows redirects) because a
/// packet and its signature must never be posted to another address: here a redirect is an answer
/// like any other status, and is refused as one. Both were URLSession (libcurl on Linux) before;
/// posting a packet of 200 new cases (about 600 KB) took 75 ms more over URLSession than the same
/// packet handed to the receiver in process (`bench ingest` against `--direct`), and 20 ms more
/// over this client (docs/BENCHMARKS.md).
enum PeerHTTPClient {
    static let client = HTTPClient(
        eventLoopGroup: HTTPClient.defaultEventLoopGroup,
        configuration: configuration
    )

    static var configuration: HTTPClient.Configuration {
        var pool = HTTPClient.Configuration.ConnectionPool()
        // A refused or failed connection fails the send at once: the outbox retries it on its own
        // schedule with backoff (`DeliveryPolicy`), and the peer shows as unreachable. Left on,
        // the client retried a refused connection until its 5 s connect time-out.
        pool.retryConnectionEstablishment = false
        return HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            // The answer's head must come by the request's deadline; then its body may pause for
            // at most this long between reads (a blob answer is up to 5 MiB).
            timeout: .init(connect: .seconds(5), read: .seconds(Int64(BlobRequest.timeoutSeconds))),
            connectionPool: pool,
            decompression: .disabled
        )
    }

    /// The largest answer read: a blob answer carries at most `BlobFetchPolicy.chunksPerRequestMax`
    /// sealed chunks of 1 MiB; a packet's answer is its receipts. Beyond it the exchange fails.
    static let answerBytesMax = (BlobFetchPolicy.chunksPerRequestMax + 1) << 20

    /// Posts `body` to `url`; the answer, or why none came (`HTTPExchange.Reply`, the form every
    /// caller reads). The answer's head must come within `timeoutSeconds`; its body may then
    /// pause for at most the read time-out between reads.
    static func post(_ url: URL, body: Data, headers: [String: String], timeoutSeconds: Double) async -> HTTPExchange.Reply {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .POST
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        request.body = .bytes(ByteBuffer(data: body))
        return await HTTPExchange.execute(request, on: client, within: timeoutSeconds, answerBytesMax: answerBytesMax)
    }
}
