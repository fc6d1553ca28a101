public import Foundation
public import XinfangCore

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Sends packets with URLSession (libcurl on Linux) to `<baseURL>/sync/v1/packets`, with a time-out.
/// The only file of the project that imports FoundationNetworking.
public struct HTTPPacketTransport: PacketTransport {
    let session: URLSession

    public init(timeoutSeconds: Double = PeerLimits.requestTimeoutSeconds) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeoutSeconds
        configuration.timeoutIntervalForResource = timeoutSeconds * 3
        configuration.httpMaximumConnectionsPerHost = 2
        session = URLSession(configuration: configuration)
    }

    public func send(_ body: Data, signature: String, from: NodeID, to peer: TopologyNode) async -> TransportResult {
        guard let url = URL(string: peer.baseURL)?.appendingPathComponent("sync/v1/packets") else {
            return .unreachable("bad base URL \(peer.baseURL)")
        }
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue(from.rawValue, forHTTPHeaderField: PeerHeaders.from)
        request.setValue(signature, forHTTPHeaderField: PeerHeaders.signature)
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
        if let failure { return .unreachable(failure.localizedDescription) }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let data = received ?? Data()
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
