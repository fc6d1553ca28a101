public import Foundation
public import XinfangCore

/// What became of one packet on the wire.
public enum TransportResult: Sendable {
    /// The peer took the packet and answered per item.
    case delivered(PacketResponse)
    /// The peer answered and refused the whole packet.
    case refused(status: Int, code: String, detail: String)
    /// No answer: connection refused, reset, or timed out.
    case unreachable(String)
}

/// Carries a signed packet body to an adjacent node. Production uses HTTP; the simulator a fake.
public protocol PacketTransport: Sendable {
    func send(_ body: Data, signature: String, from: NodeID, to peer: TopologyNode) async -> TransportResult
    /// Asks `peer` for chunks of a blob (a signed `BlobRequest`).
    func fetchBlobChunks(_ body: Data, signature: String, from: NodeID, to peer: TopologyNode) async -> BlobChunksResult
}
