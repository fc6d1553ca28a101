import Foundation
import HTTPTypes
import Hummingbird
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
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
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
