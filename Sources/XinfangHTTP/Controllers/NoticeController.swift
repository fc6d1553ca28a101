import Foundation
import HTTPTypes
import Hummingbird
import XinfangCore
import XinfangService
import XinfangStore

/// 出具文书 over HTTP: `POST /api/v1/cases/{caseNumber}/notices` with `{"kind": …}` issues the
/// notice the case has reached at this organ and answers 201 with its record (文号, hash) and the
/// case; its frozen bytes are downloaded as any file of the case file. 送达 is the action
/// `serveNotice`.
struct NoticeController<Context: NodeContext>: Sendable {
    let services: NodeServices

    func addRoutes(to group: RouterGroup<Context>) {
        group.post("cases/{caseNumber}/notices", use: issue)
    }

    struct IssueInput: StrictInput {
        var kind: String
        static var knownKeys: Set<String> { ["kind"] }
    }

    struct Issued: Encodable {
        var notice: NoticeRecord
        var fileName: String
        var download: String
        var `case`: CaseView
    }

    @Sendable func issue(request: Request, context: Context) async throws -> Response {
        let principal = try context.requireUser()
        let number = try context.caseNumber()
        let (input, _) = try await APIJSON.decode(IssueInput.self, from: request, context: context)
        let kind: NoticeKind
        do { kind = try CaseAction.enumValue(input.kind, field: "kind") } catch { throw APIProblem(error) }
        AuditScope.current?.update {
            $0.action = "case.notice"
            $0.object = number.rawValue
            $0.detail = kind.rawValue
        }
        do {
            let (state, record) = try await services.issueNotice(kind, on: number, principal: principal)
            let view = try await CaseView(state: state, services: services, now: services.clock.now())
            return try APIJSON.response(
                Issued(notice: record, fileName: record.fileName, download: "/api/v1/cases/\(number)/attachments/\(record.sha256)", case: view),
                status: .created
            )
        } catch let failure as LifecycleError {
            throw APIProblem(failure)
        } catch StoreError.refused(let refusal) {
            throw APIProblem(refusal)
        } catch let refusal as PolicyRefusal {
            throw try await services.problem(refusal, on: number)
        } catch let error as StoreError {
            throw APIProblem(error)
        }
    }
}
