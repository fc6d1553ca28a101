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
        router.get("api/v1/sync/outbox", use: outbox)
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
            let data = try CanonicalJSON.encoder.encode(response)
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
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: BlobRequest.bodyBytesMax) } catch is NIOTooManyBytesError {
            throw APIProblem(.contentTooLarge, code: "body-too-large", detail: "材料请求超过 \(BlobRequest.bodyBytesMax) 字节的上限。")
        }
        do {
            let answer = try await BlobServer(database: services.database, clock: services.clock).answer(
                body: Data(buffer.readableBytesView),
                from: request.headers[Self.fromHeader],
                signature: request.headers[Self.signatureHeader]
            )
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
        } catch let refusal as PacketRefusal {
            throw APIProblem(HTTPResponse.Status(code: refusal.status), code: refusal.code, detail: refusal.detail)
        }
    }

    /// `GET /api/v1/sync/outbox`: per peer, items by state, link health, refusals, and the items
    /// not yet acknowledged with their attempts, last error and next attempt.
    @Sendable func outbox(request: Request, context: Context) async throws -> Response {
        // Link health: the system administrator's and the supervisors' view.
        guard let principal = context.principal else { throw APIProblem.unauthenticated }
        if !principal.has(.manageAccounts) { _ = try context.require(.readSupervision) }
        return try APIJSON.response(OutboxView(node: services.identity.id, peers: try await services.database.outboxSummary()))
    }
}

struct OutboxView: Encodable {
    var node: NodeID
    var peers: [PeerOutbox]
}
