public import Foundation
public import XinfangCore

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
