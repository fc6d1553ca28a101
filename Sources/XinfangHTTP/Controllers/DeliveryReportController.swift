import Foundation
import HTTPTypes
import Hummingbird
import XinfangCore
import XinfangStore
import XinfangSync

/// `POST /notify/v1/reports`: an SMS platform's delivery report (状态报告) on a message it took,
/// `{"msgId": "<node>-<n>", "status": "delivered" | "failed", "detail": …}`, authenticated by the
/// token the node's configuration gives it (`notifications.sms.reportToken`), not by an account.
/// A failed delivery makes the message dead, for a person to resend.
struct DeliveryReportController<Context: NodeContext>: Sendable {
    let services: NodeServices

    func addRoutes(to router: Router<Context>) {
        router.post("notify/v1/reports", use: report)
    }

    struct ReportInput: StrictInput {
        var msgId: String?
        var status: String?
        var detail: String?
        static var knownKeys: Set<String> { ["msgId", "status", "detail"] }
    }

    @Sendable func report(request: Request, context: Context) async throws -> Response {
        let presented = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
        guard let expected = services.notifications?.smsReportToken, let presented,
            Credentials.digest(presented) == Credentials.digest(expected)
        else { throw APIProblem.unauthenticated }
        let (input, _) = try await APIJSON.decode(ReportInput.self, from: request, context: context)
        guard let id = input.msgId, (1...80).contains(id.count) else {
            throw APIProblem(.badRequest, code: "missing-field", detail: "缺少 msgId。", field: "msgId")
        }
        guard let status = input.status, status == "delivered" || status == "failed" else {
            throw APIProblem(.badRequest, code: "invalid-field", detail: "status 须为 delivered 或 failed。", field: "status")
        }
        let detail = String((input.detail ?? "").filter { !$0.isNewline }.prefix(200))
        guard
            try await services.database.recordDeliveryReport(
                messageID: id,
                delivered: status == "delivered",
                detail: detail,
                now: services.clock.now()
            )
        else {
            throw APIProblem(.notFound, code: "message-not-found", detail: "本节点没有已发出的编号为 \(id) 的消息。")
        }
        return Response(status: .noContent)
    }
}
