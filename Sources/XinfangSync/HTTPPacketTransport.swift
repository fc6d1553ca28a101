public import Foundation
public import XinfangCore

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP exchange with URLSession (libcurl on Linux), for the project's clients other than the
/// peer protocol (which goes over `PeerHTTPClient`): notification gateways, the demo, the
/// benchmarks' page requests and the test cluster. It follows redirects and keeps cookies, as
/// those clients expect. This is the only file of the project that imports FoundationNetworking.
public struct HTTPExchange: Sendable {
    let session: URLSession

    public init(timeoutSeconds: Double = PeerLimits.requestTimeoutSeconds, connectionsPerHost: Int = 2) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeoutSeconds
        configuration.timeoutIntervalForResource = timeoutSeconds * 3
        configuration.httpMaximumConnectionsPerHost = connectionsPerHost
        session = URLSession(configuration: configuration)
    }

    /// What came back: the status (0 when no answer) and body, or why nothing came.
    public struct Reply: Sendable {
        public var status: Int
        public var body: Data
        public var failure: String?
        /// The response's header fields, by lower-case name.
        public var headers: [String: String] = [:]
    }

    /// Sends one request. A header whose value is nil is left out.
    public func send(_ method: String, _ url: URL, body: Data? = nil, headers: [String: String?] = [:]) async -> Reply {
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.httpBody = body
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        // The completion-handler API, not `data(for:)`: cancelling an in-flight async URLSession task
        // crashes or hangs swift-corelibs-foundation on Linux ("Trying to access a behaviour for a
        // task that in not in the registry"), and a graceful shutdown cancels. A send is bounded by
        // the time-out instead.
        let (received, response, failure) = await withCheckedContinuation {
            (continuation: CheckedContinuation<(Data?, URLResponse?, (any Error)?), Never>) in
            session.dataTask(with: request) { data, response, error in
                continuation.resume(returning: (data, response, error))
            }.resume()
        }
        var fields: [String: String] = [:]
        for (name, value) in (response as? HTTPURLResponse)?.allHeaderFields ?? [:] {
            if let name = name as? String, let value = value as? String { fields[name.lowercased()] = value }
        }
        return Reply(
            status: (response as? HTTPURLResponse)?.statusCode ?? 0,
            body: received ?? Data(),
            failure: failure?.localizedDescription,
            headers: fields
        )
    }
}

/// Sends packets to `<baseURL>/sync/v1/packets` over `PeerHTTPClient`, with a time-out.
public struct HTTPPacketTransport: PacketTransport {
    let timeoutSeconds: Double
    /// Blob chunks (up to 4 MiB a request) get longer than a packet on a slow line.
    let blobTimeoutSeconds: Double

    public init(timeoutSeconds: Double = PeerLimits.requestTimeoutSeconds) {
        self.timeoutSeconds = timeoutSeconds
        blobTimeoutSeconds = max(timeoutSeconds, BlobRequest.timeoutSeconds)
    }

    /// Posts a signed body of the peer protocol to `path` of `peer`; nil when its base URL is not one.
    func post(
        _ path: String,
        _ body: Data,
        signature: String,
        from: NodeID,
        to peer: TopologyNode,
        timeoutSeconds: Double
    ) async
        -> HTTPExchange.Reply?
    {
        guard let url = URL(string: peer.baseURL)?.appendingPathComponent(path) else { return nil }
        return await PeerHTTPClient.post(
            url,
            body: body,
            headers: ["Content-Type": "application/json", PeerHeaders.from: from.rawValue, PeerHeaders.signature: signature],
            timeoutSeconds: timeoutSeconds
        )
    }

    /// Asks `peer` for chunks of a blob (`POST <baseURL>/sync/v1/blobs`).
    public func fetchBlobChunks(_ body: Data, signature: String, from: NodeID, to peer: TopologyNode) async -> BlobChunksResult {
        guard let reply = await post("sync/v1/blobs", body, signature: signature, from: from, to: peer, timeoutSeconds: blobTimeoutSeconds) else {
            return .unreachable("bad base URL \(peer.baseURL)")
        }
        return BlobChunksResult(reply)
    }

    public func send(_ body: Data, signature: String, from: NodeID, to peer: TopologyNode) async -> TransportResult {
        guard let reply = await post("sync/v1/packets", body, signature: signature, from: from, to: peer, timeoutSeconds: timeoutSeconds) else {
            return .unreachable("bad base URL \(peer.baseURL)")
        }
        if let failure = reply.failure { return .unreachable(failure) }
        let status = reply.status
        let data = reply.body
        if status == 200, let answer = try? CanonicalJSON.decoder.decode(PacketResponse.self, from: data) {
            return .delivered(answer)
        }
        struct Problem: Decodable {
            var code: String?
            var detail: String?
        }
        let problem = try? JSONDecoder().decode(Problem.self, from: data)
        if status >= 500 || status == 0 {
            return .unreachable("HTTP \(status) \(problem?.detail ?? "")")
        }
        return .refused(
            status: status,
            code: problem?.code ?? "http-\(status)",
            detail: problem?.detail ?? String(decoding: data.prefix(200), as: UTF8.self)
        )
    }
}
