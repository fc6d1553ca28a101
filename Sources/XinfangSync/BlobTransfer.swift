public import Foundation
import Metrics
import Synchronization
public import XinfangCore
public import XinfangStore

/// A neighbour's request for chunks of a blob (`POST /sync/v1/blobs`), signed like a packet.
/// Blobs travel apart from the event packets: events never wait for them.
public struct BlobRequest: Codable, Equatable, Sendable {
    public var from: NodeID
    public var to: NodeID
    public var sha256: String
    /// The first chunk wanted and how many (at most `BlobFetchPolicy.chunksPerRequestMax`).
    public var chunk: Int
    public var count: Int
    public var sentAt: Date

    public init(from: NodeID, to: NodeID, sha256: String, chunk: Int, count: Int, sentAt: Date) {
        self.from = from
        self.to = to
        self.sha256 = sha256
        self.chunk = chunk
        self.count = count
        self.sentAt = sentAt
    }

    /// The largest request body a node reads.
    public static let bodyBytesMax = 4_096
    /// Time-out of one chunk request.
    public static let timeoutSeconds: Double = 60
}

/// The response header fields that describe the blob beside its chunks.
public enum BlobHeaders {
    /// The sealed file's header, base64.
    public static let sealedHeader = "X-Xinfang-Blob-Header"
    public static let chunks = "X-Xinfang-Blob-Chunks"
    public static let size = "X-Xinfang-Blob-Size"
    /// The index of the first chunk in the body.
    public static let first = "X-Xinfang-Blob-First"
}

/// What became of one chunk request.
public enum BlobChunksResult: Sendable {
    case chunks(BlobStore.SealedShape, first: Int, bytes: Data)
    case refused(status: Int, code: String, detail: String)
    case unreachable(String)

    /// The fetcher's own word for a 200 that does not describe the blob (no server sends it).
    static let malformedAnswer = "malformed-blob-answer"

    init(_ reply: HTTPExchange.Reply) {
        if let failure = reply.failure {
            self = .unreachable(failure)
            return
        }
        let h = reply.headers
        if reply.status == 200 {
            guard let header = h[BlobHeaders.sealedHeader.lowercased()].flatMap({ Data(base64Encoded: $0) }),
                let chunks = h[BlobHeaders.chunks.lowercased()].flatMap(Int.init),
                let size = h[BlobHeaders.size.lowercased()].flatMap(Int.init),
                let first = h[BlobHeaders.first.lowercased()].flatMap(Int.init)
            else {
                self = .refused(status: 200, code: Self.malformedAnswer, detail: "the answer does not describe the blob")
                return
            }
            self = .chunks(BlobStore.SealedShape(header: header, chunks: chunks, size: size), first: first, bytes: reply.body)
            return
        }
        struct Problem: Decodable {
            var code: String?
            var detail: String?
        }
        let problem = try? JSONDecoder().decode(Problem.self, from: reply.body)
        if reply.status >= 500 || reply.status == 0 {
            self = .unreachable("HTTP \(reply.status) \(problem?.detail ?? "")")
        } else {
            self = .refused(status: reply.status, code: problem?.code ?? "http-\(reply.status)", detail: problem?.detail ?? "")
        }
    }
}

extension PacketTransport {
    /// Transports that carry no blobs (the simulator's) answer that the peer cannot be reached.
    public func fetchBlobChunks(_ body: Data, signature: String, from: NodeID, to peer: TopologyNode) async -> BlobChunksResult {
        .unreachable("this transport carries no blobs")
    }
}

/// The sending side: checks a neighbour's request and reads the chunks it may have.
public struct BlobServer: Sendable {
    public let database: NodeDatabase
    public let clock: any NodeClock

    public init(database: NodeDatabase, clock: any NodeClock) {
        self.database = database
        self.clock = clock
    }

    /// What to send: the blob's shape, the first chunk and how many, the bytes' length; the bytes
    /// themselves are read one chunk at a time as the answer is written (`BlobStore.sealedChunks`).
    public struct Answer: Sendable {
        public var sha256: String
        public var shape: BlobStore.SealedShape
        public var first: Int
        public var count: Int
        public var length: Int
        public var peer: NodeID
        /// Read from the chunks of a blob still arriving here.
        public var partial: Bool
    }

    /// The chunks asked for, or the refusal (counted by sender and code, except a blob not yet
    /// here, which a relay answers in the normal course).
    public func answer(body: Data, from header: String?, signature: String?) async throws -> Answer {
        let now = clock.now()
        do {
            return try await check(body: body, from: header, signature: signature, now: now)
        } catch let refusal as PacketRefusal {
            if !Self.notYetHere.contains(refusal.code) {
                try await database.countRefusal(peer: header ?? "unknown", code: refusal.code, detail: refusal.detail, now: now)
            }
            throw refusal
        }
    }

    func check(body: Data, from header: String?, signature: String?, now: Date) async throws -> Answer {
        guard let hierarchy = database.hierarchy else {
            throw PacketRefusal(status: 503, code: "no-hierarchy", detail: "this node runs without a topology")
        }
        let me = database.node
        let sender = try PacketReceiver.sender(of: body, from: header, signature: signature, at: me, topology: hierarchy.topology)
        func malformed(_ detail: String) -> PacketRefusal { PacketRefusal(status: 400, code: "malformed-blob-request", detail: detail) }
        guard let request = try? CanonicalJSON.decoder.decode(BlobRequest.self, from: body) else { throw malformed("the request does not parse") }
        try PacketReceiver.checkRequest(from: request.from, to: request.to, sentAt: request.sentAt, sender: sender.id, me: me, now: now)
        guard AttachmentLimits.isHash(request.sha256) else { throw malformed("sha256 is 64 lower-case hexadecimal digits") }
        guard request.chunk >= 0, (1...BlobFetchPolicy.chunksPerRequestMax).contains(request.count) else {
            throw malformed("chunk is at least 0 and count 1 to \(BlobFetchPolicy.chunksPerRequestMax)")
        }
        switch try await database.blobGrant(request.sha256, to: sender.id) {
        case .unknown: throw PacketRefusal(status: 404, code: "blob-not-here", detail: "no case here names \(request.sha256)")
        case .notInScope:
            throw PacketRefusal(
                status: 403,
                code: "blob-not-in-scope",
                detail: "\(sender.id) may not be handed the material of the cases naming this file"
            )
        case .granted: break
        }
        let shape: BlobStore.SealedShape
        var count = request.count
        let partial = !database.blobs.contains(request.sha256)
        if partial {
            // A relay still fetching the file hands on the chunks it has checked so far, and says
            // when it has not the ones asked for yet.
            guard let want = try await database.blobWant(request.sha256) else {
                throw PacketRefusal(status: 404, code: "blob-not-here", detail: "\(me) does not have the bytes of \(request.sha256)")
            }
            guard let (arriving, have) = database.blobs.partialShape(request.sha256, size: want.size), request.chunk < have else {
                let fetching = database.blobs.fetches.coming(request.sha256, for: sender.id)
                guard Self.coming(want, to: sender.id, fetching: fetching, at: me, topology: hierarchy.topology, now: now) else {
                    throw PacketRefusal(status: 404, code: "blob-not-here", detail: "\(me) does not have these bytes of \(request.sha256) yet")
                }
                throw PacketRefusal(
                    status: 404,
                    code: "blob-arriving",
                    detail: "\(me) is fetching \(request.sha256) itself and has not chunk \(request.chunk) yet: ask again shortly"
                )
            }
            shape = arriving
            count = min(count, have - request.chunk)
        } else {
            shape = try database.blobs.shape(request.sha256)
        }
        guard request.chunk < shape.chunks else { throw malformed("the blob has \(shape.chunks) chunks") }
        let length = BlobStore.sealedLength(of: shape, from: request.chunk, count: count)
        Counter(label: "xinfang_blob_bytes_sent_total", dimensions: [("peer", sender.id.rawValue)]).increment(by: length)
        return Answer(
            sha256: request.sha256,
            shape: shape,
            first: request.chunk,
            count: count,
            length: length,
            peer: sender.id,
            partial: partial
        )
    }
}

extension BlobServer {
    /// The refusals that say the bytes are not here yet (a relay answers them in the normal
    /// course: not counted as a neighbour's refusal, and asked again within seconds).
    public static let notYetHere: Set<String> = ["blob-not-here", "blob-arriving"]

    /// Whether a blob wanted here that lacks the chunk `asker` asked for is coming: a fetch of it
    /// is under way in this process from a neighbour other than `asker` (`fetching`), or the want
    /// is due and its next attempt asks another neighbour (the fetcher is about to take it up, as
    /// after a restart). Never when the fetch asks `asker` itself: two nodes that both lack a file
    /// are each told it is not here.
    public static func coming(_ want: BlobWant, to asker: NodeID, fetching: Bool, at me: NodeID, topology: Topology, now: Date) -> Bool {
        guard !fetching else { return true }
        let next = BlobFetchPolicy.source(attempts: want.attempts, sender: want.sender, at: me, topology: topology)
        return want.nextAttemptAt <= now && next != nil && next != asker
    }
}

/// How the blob fetcher runs (configuration `blobTransfer`, with these defaults).
public struct BlobTransferSettings: Codable, Equatable, Sendable {
    /// Blobs fetched at the same time (1–16).
    public var concurrency = 2
    /// The most bytes a second fetched from one neighbour; 0 for no cap.
    public var peerBytesPerSecond = 0
    /// Caps for particular neighbours, by node id (a slow line to one county).
    public var peerBytesPerSecondByPeer: [String: Int] = [:]

    public init(concurrency: Int = 2, peerBytesPerSecond: Int = 0, peerBytesPerSecondByPeer: [String: Int] = [:]) {
        self.concurrency = concurrency
        self.peerBytesPerSecond = peerBytesPerSecond
        self.peerBytesPerSecondByPeer = peerBytesPerSecondByPeer
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        concurrency = try c.decodeIfPresent(Int.self, forKey: .concurrency) ?? 2
        peerBytesPerSecond = try c.decodeIfPresent(Int.self, forKey: .peerBytesPerSecond) ?? 0
        peerBytesPerSecondByPeer = try c.decodeIfPresent([String: Int].self, forKey: .peerBytesPerSecondByPeer) ?? [:]
    }

    /// The cap for `peer` (0: none).
    public func cap(for peer: NodeID) -> Int { peerBytesPerSecondByPeer[peer.rawValue] ?? peerBytesPerSecond }

    /// Checks the bounds: 1–16 fetches; a cap of 0 or 64 KiB/s to 10 GB/s.
    public func validated() throws(ValidationFailure) -> BlobTransferSettings {
        guard (1...16).contains(concurrency) else { throw .invalid("blobTransfer.concurrency", "材料同步并发数必须在 1 到 16 之间。") }
        for (name, cap) in [("peerBytesPerSecond", peerBytesPerSecond)]
            + peerBytesPerSecondByPeer.map({ ("peerBytesPerSecondByPeer.\($0.key)", $0.value) })
        where cap != 0 && !((64 << 10)...10_000_000_000).contains(cap) {
            throw .invalid("blobTransfer.\(name)", "每个相邻节点的材料同步带宽上限必须为 0（不限）或 65536 到 10000000000 字节/秒。")
        }
        return self
    }
}

/// Spaces the requests to each neighbour so that the bytes fetched from it stay under its cap,
/// shared by every fetch from that neighbour.
final class PeerPacer: Sendable {
    let settings: BlobTransferSettings
    let free = Mutex<[NodeID: Date]>([:])

    init(_ settings: BlobTransferSettings) { self.settings = settings }

    /// The wait before the next request to `peer`, after `bytes` came from it at `now`.
    func delay(after bytes: Int, from peer: NodeID, now: Date) -> Double {
        let cap = settings.cap(for: peer)
        guard cap > 0 else { return 0 }
        return free.withLock { free in
            let next = max(now, free[peer] ?? now).addingTimeInterval(Double(bytes) / Double(cap))
            free[peer] = next
            return next.timeIntervalSince(now)
        }
    }
}
