import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import XinfangCore
import XinfangStore
import XinfangSync

/// The peer API (`/sync/v1`, nodes only) and the outbox view of the user API.
struct PeerController<Context: NodeContext>: Sendable {
    let services: NodeServices
    static var fromHeader: HTTPField.Name { HTTPField.Name(PeerHeaders.from)! }
    static var signatureHeader: HTTPField.Name { HTTPField.Name(PeerHeaders.signature)! }

    func addRoutes(to router: Router<Context>) {
        router.post("sync/v1/packets", use: receive)
        router.post("sync/v1/blobs", use: blobChunks)
        router.post("sync/v1/subtree", use: subtree)
        router.get("api/v1/sync/outbox", use: outbox)
        router.post("api/v1/sync/outbox/redeliver", use: redeliver)
    }

    /// `POST /sync/v1/packets`: one signed packet from an adjacent node; 200 with a receipt per item.
    @Sendable func receive(request: Request, context: Context) async throws -> Response {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: PeerLimits.packetBytesMax)
        } catch is NIOTooManyBytesError {
            try await services.database.countRefusal(
                peer: request.headers[Self.fromHeader] ?? "unknown",
                code: "body-too-large",
                detail: "over \(PeerLimits.packetBytesMax) bytes",
                now: services.clock.now()
            )
            throw APIProblem(.contentTooLarge, code: "body-too-large", detail: "数据包超过 \(PeerLimits.packetBytesMax) 字节的上限。")
        }
        let receiver = PacketReceiver(database: services.database, clock: services.clock)
        do {
            let response = try await receiver.receive(
                body: Data(buffer.readableBytesView),
                from: request.headers[Self.fromHeader],
                signature: request.headers[Self.signatureHeader]
            )
            let data = response.encoded()
            let peer = request.headers[Self.fromHeader] ?? "unknown"
            if let window = services.received.record(peer, items: response.receipts.count, now: services.clock.now()) {
                context.logger.info(
                    "receiving from peer",
                    metadata: [
                        "sync.peer": "\(peer)", "sync.packets": "\(window.packets)", "sync.items": "\(window.items)",
                        "sync.items_per_second": "\(Int(window.perSecond))",
                    ]
                )
            }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
        } catch let refusal as PacketRefusal {
            throw APIProblem(HTTPResponse.Status(code: refusal.status), code: refusal.code, detail: refusal.detail)
        }
    }

    /// `POST /sync/v1/blobs`: a neighbour's signed request for chunks of a blob; 200 with the
    /// sealed chunks as they rest, the blob's shape in the header fields.
    @Sendable func blobChunks(request: Request, context: Context) async throws -> Response {
        try await Self.signed(request, upTo: BlobRequest.bodyBytesMax, what: "材料请求") { body, from, signature in
            let answer = try await BlobServer(database: services.database, clock: services.clock).answer(body: body, from: from, signature: signature)
            var headers: HTTPFields = [.contentType: "application/octet-stream"]
            headers[HTTPField.Name(BlobHeaders.sealedHeader)!] = answer.shape.header.base64EncodedString()
            headers[HTTPField.Name(BlobHeaders.chunks)!] = String(answer.shape.chunks)
            headers[HTTPField.Name(BlobHeaders.size)!] = String(answer.shape.size)
            headers[HTTPField.Name(BlobHeaders.first)!] = String(answer.first)
            let blobs = services.database.blobs
            let body = ResponseBody(contentLength: answer.length) { writer in
                var chunks: [Data] = []
                // One stored chunk in memory at a time.
                for index in answer.first..<answer.first + answer.count {
                    chunks.removeAll(keepingCapacity: true)
                    try blobs.sealedChunks(answer.sha256, from: index, count: 1, partial: answer.partial) { chunks.append($0) }
                    guard let chunk = chunks.first else { break }
                    try await writer.write(ByteBuffer(bytes: chunk))
                }
                try await writer.finish(nil)
            }
            return Response(status: .ok, headers: headers, body: body)
        }
    }

    /// `POST /sync/v1/subtree`: a child rebuilding its lost store asks for a page of its replicas
    /// (`xinfang bootstrap --from-parent`); 200 with the page.
    @Sendable func subtree(request: Request, context: Context) async throws -> Response {
        try await Self.signed(request, upTo: Self.subtreeRequestBytesMax, what: "请求") { body, from, signature in
            let page = try await SubtreeServer(database: services.database, clock: services.clock).answer(
                body: body,
                from: from,
                signature: signature
            )
            let data = try CanonicalJSON.encoder.encode(page)
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
    }

    /// Serves a signed request of the peer API other than a packet: its body read within `limit`
    /// bytes, handed with the sender's header and signature to `answer`, whose refusal becomes
    /// the problem document.
    static func signed(
        _ request: Request,
        upTo limit: Int,
        what: String,
        _ answer: (Data, String?, String?) async throws -> Response
    ) async throws -> Response {
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: limit) } catch is NIOTooManyBytesError {
            throw APIProblem(.contentTooLarge, code: "body-too-large", detail: "\(what)超过 \(limit) 字节的上限。")
        }
        do {
            return try await answer(Data(buffer.readableBytesView), request.headers[fromHeader], request.headers[signatureHeader])
        } catch let refusal as PacketRefusal {
            throw APIProblem(HTTPResponse.Status(code: refusal.status), code: refusal.code, detail: refusal.detail)
        }
    }

    /// A subtree request carries a few names and a case number.
    static var subtreeRequestBytesMax: Int { 4_096 }

    /// `GET /api/v1/sync/outbox`: per peer, items by state, link health, refusals, and the items
    /// not yet acknowledged with their attempts, last error and next attempt.
    @Sendable func outbox(request: Request, context: Context) async throws -> Response {
        // Link health: the system administrator's and the supervisors' view.
        guard let principal = context.principal else { throw APIProblem.unauthenticated }
        if !principal.has(.manageAccounts) { _ = try context.require(.readSupervision) }
        return try APIJSON.response(OutboxView(node: services.identity.id, peers: try await services.database.outboxSummary()))
    }

    /// `POST /api/v1/sync/outbox/redeliver[?peer=ID][&items=1,2]`: the system administrator sends
    /// dead items again once their cause is fixed (every dead item, or a peer's, or those listed);
    /// 200 with how many went back to the queue.
    @Sendable func redeliver(request: Request, context: Context) async throws -> Response {
        _ = try context.require(.manageAccounts)
        let q = request.uri.queryParameters
        var peer: NodeID?
        var ids: [Int64]?
        do {
            if let raw = q["peer"].map(String.init) {
                peer = try NodeID.validated(raw, field: "peer")
                guard services.database.hierarchy?.topology.areAdjacent(peer!, services.identity.id) == true else {
                    throw ValidationFailure.invalid("peer", "\(raw) 不是本节点的上级或下级节点。")
                }
            }
            if let raw = q["items"].map(String.init) {
                let parsed = raw.split(separator: ",").map { Int64($0) }
                guard !parsed.isEmpty, parsed.count <= PeerOutbox.itemsShownMax, parsed.allSatisfy({ ($0 ?? 0) > 0 }) else {
                    throw ValidationFailure.invalid("items", "items 须为以逗号分隔的正整数条目编号，至多 \(PeerOutbox.itemsShownMax) 个。")
                }
                ids = parsed.compactMap { $0 }
            }
        } catch let error as ValidationFailure { throw APIProblem(error) }
        // Named before the write, whose transaction appends the audit row.
        AuditScope.current?.update {
            $0.action = "sync.redeliver"
            $0.object = peer?.rawValue ?? "all"
            $0.detail = ids.map { "items=\($0.map(String.init).joined(separator: ","))" } ?? ""
        }
        let count = try await services.database.redeliverDead(peer: peer, ids: ids, now: services.clock.now())
        return try APIJSON.response(Redelivered(redelivered: count))
    }
}

struct Redelivered: Encodable {
    var redelivered: Int
}

struct OutboxView: Encodable {
    var node: NodeID
    var peers: [PeerOutbox]
}
