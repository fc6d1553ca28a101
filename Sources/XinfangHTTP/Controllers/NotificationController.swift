import Foundation
import HTTPTypes
import Hummingbird
import XinfangCore
import XinfangStore

/// The notification outbox for operators (the system administrator): `GET /api/v1/notifications`
/// lists the messages, newest first (`?state=dead` the ones that need a person), never a
/// recipient or a text; `POST /api/v1/notifications/{id}/resend` queues a dead message again.
struct NotificationController<Context: NodeContext>: Sendable {
    let services: NodeServices

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("notifications", use: list)
        group.post("notifications/{id}/resend", use: resend)
    }

    struct Listing: Encodable {
        var enabled: Bool
        var counts: [String: Int]
        var items: [NotificationRow]
    }

    @Sendable func list(request: Request, context: Context) async throws -> Response {
        _ = try context.require(.manageAccounts)
        let q = request.uri.queryParameters
        var state: NotificationState?
        if let raw = q["state"].map(String.init) {
            do { state = try CaseAction.enumValue(raw, field: "state") } catch { throw APIProblem(error) }
        }
        let limit =
            try q["limit"].map { raw -> Int in
                guard let n = Int(raw), (1...500).contains(n) else {
                    throw APIProblem(.badRequest, code: "invalid-field", detail: "limit 须为 1 到 500 之间的整数。", field: "limit")
                }
                return n
            } ?? 100
        let counts = try await services.database.notificationCounts()
        return try APIJSON.response(
            Listing(
                enabled: services.notifications != nil,
                counts: Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, $0.value) }),
                items: try await services.database.notificationRows(state: state, limit: limit)
            )
        )
    }

    @Sendable func resend(request: Request, context: Context) async throws -> Response {
        _ = try context.require(.manageAccounts)
        guard let raw = context.parameters.get("id"), let id = Int64(raw), id > 0 else {
            throw APIProblem(.badRequest, code: "invalid-field", detail: "通知编号须为正整数。", field: "id")
        }
        AuditScope.current?.update {
            $0.action = "notification.resend"
            $0.object = raw
        }
        guard try await services.database.resendNotification(id, now: services.clock.now()) else {
            throw APIProblem(.notFound, code: "notification-not-dead", detail: "没有编号为 \(id) 的待重发（已失败）通知。")
        }
        return Response(status: .accepted)
    }
}
