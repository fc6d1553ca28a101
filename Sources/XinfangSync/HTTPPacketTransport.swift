public import Foundation
import Synchronization
public import XinfangCore

/// Sends packets to `<baseURL>/sync/v1/packets` over `PeerHTTPClient`, with a time-out.
public struct HTTPPacketTransport: PacketTransport {
    let timeoutSeconds: Double
    /// Blob chunks (up to 4 MiB a request) get longer than a packet on a slow line.
    let blobTimeoutSeconds: Double
    /// Per peer with two or more servers, the one that answered last: tried first next time, so a
    /// dead server costs one failed attempt, not one per request.
    let answering = AnsweringServers()

    public init(timeoutSeconds: Double = PeerLimits.requestTimeoutSeconds) {
        self.timeoutSeconds = timeoutSeconds
        blobTimeoutSeconds = max(timeoutSeconds, BlobRequest.timeoutSeconds)
    }

    /// Posts a signed body of the peer protocol to `path` of `peer`; nil when its base URL is not
    /// one. A peer with two or more servers (`TopologyNode.otherURLs`) is tried server by server,
    /// the last that answered first, until one answers without a server error.
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
        let servers = peer.serverURLs
        let first = answering.first(of: peer.id, among: servers.count)
        var reply: HTTPExchange.Reply?
        for index in (0..<servers.count).map({ ($0 + first) % servers.count }) {
            guard let url = URL(string: servers[index])?.appendingPathComponent(path) else { continue }
            let answer = await PeerHTTPClient.post(
                url,
                body: body,
                headers: ["Content-Type": "application/json", PeerHeaders.from: from.rawValue, PeerHeaders.signature: signature],
                timeoutSeconds: timeoutSeconds
            )
            reply = answer
            if answer.failure == nil && answer.status < 500 {
                answering.record(index, for: peer.id)
                break
            }
        }
        return reply
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
        if status == 200, let answer = try? PacketResponse.decodeCanonical(data) {
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

/// Which server of each peer answered last (`HTTPPacketTransport.post`).
final class AnsweringServers: Sendable {
    private let index = Mutex<[NodeID: Int]>([:])

    func first(of peer: NodeID, among count: Int) -> Int {
        index.withLock { $0[peer] ?? 0 } % max(count, 1)
    }

    func record(_ server: Int, for peer: NodeID) {
        index.withLock { $0[peer] = server }
    }
}
