public import Foundation
public import XinfangCore
public import XinfangStore

/// A transport that hands packets straight to the receivers' real `PacketReceiver`, in process:
/// for benchmarks that measure the protocol without HTTP.
public struct DirectTransport: PacketTransport {
    let receivers: [NodeID: PacketReceiver]

    public init(databases: [NodeDatabase], clock: any NodeClock) {
        receivers = Dictionary(uniqueKeysWithValues: databases.map { ($0.node, PacketReceiver(database: $0, clock: clock)) })
    }

    public func send(_ body: Data, signature: String, from: NodeID, to peer: TopologyNode) async -> TransportResult {
        guard let receiver = receivers[peer.id] else { return .unreachable("\(peer.id) is not here") }
        return await receiver.transportResult(body: body, from: from, signature: signature)
    }
}

extension PacketReceiver {
    /// The receiver's answer as a sender's transport sees it, in process: delivered, refused with
    /// the refusal's status and code, or unreachable on any other failure.
    public func transportResult(body: Data, from: NodeID, signature: String) async -> TransportResult {
        do {
            return .delivered(try await receive(body: body, from: from.rawValue, signature: signature))
        } catch let refusal as PacketRefusal {
            return .refused(status: refusal.status, code: refusal.code, detail: refusal.detail)
        } catch {
            return .unreachable("\(error)")
        }
    }
}
