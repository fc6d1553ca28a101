import Foundation
import HTTPTypes
import Hummingbird
import XinfangCore
import XinfangService
import XinfangStore

/// The petitioner's own pages (no login; zh-CN; phone-first; no script): `GET /lookup` asks for
/// the 查询码 and the last four digits of the mobile or ID number, `POST /lookup` shows the public
/// milestones (`PublicLookup.progress`, nothing else), and `POST /lookup/evaluate` records the
/// petitioner's two ratings (两个评价) within the window, appended at the holder or sent to it as a
/// signed command. Every lookup is counted against the code and the address and audited in the
/// store (`NodeDatabase.lookUp`); `AuthMiddleware` limits the requests per address.
///
/// Staff reissue a code with `POST /api/v1/cases/{caseNumber}/lookup-code` (the new code is shown
/// once; the old one stops working).
struct LookupController<Context: NodeContext>: Sendable {
    let services: NodeServices

    func addRoutes(to router: Router<Context>) {
        router.get("lookup", use: form)
        router.post("lookup", use: lookUp)
        router.post("lookup/evaluate", use: evaluate)
        router.post("api/v1/cases/{caseNumber}/lookup-code", use: reissue)
    }

    // MARK: - Pages

    struct Message {
        var kind: String
        var text: String
    }

    struct FormPage {
        var title = "办理进度查询"
        var organ: String
        let css = LookupTemplates.css
        var message: Message?
        var code: String
    }

    struct Choice {
        var value: String
        var label: String
    }

    struct ResultPage {
        var title = "办理进度"
        var organ: String
        let css = LookupTemplates.css
        var message: Message?
        var progress: PublicProgress
        var evaluable: Bool
        var code: String
        var last4: String
        var ratings: [Choice] = Rating.allCases.map { Choice(value: $0.rawValue, label: $0.label) }
    }

    func page(_ message: Message? = nil, code: String = "", status: HTTPResponse.Status = .ok) -> Response {
        HTML.response(Templates.render(FormPage(organ: services.identity.name, message: message, code: code), "lookupForm"), status: status)
    }

    @Sendable func form(request: Request, context: Context) async throws -> Response { page() }

    /// What the petitioner typed, read from the form.
    struct Typed {
        var code: String
        var last4: String
        var digest: String?
    }

    func typed(_ values: [String: String]) -> Typed {
        let code = String((values["code"] ?? "").prefix(40))
        let last4 = String((values["last4"] ?? "").prefix(20))
        let digest = LookupCode(typed: code).map { $0.digest(key: services.database.personalData.lookupKey) }
        return Typed(code: code, last4: last4, digest: digest)
    }

    /// The lookup, or the page that says why it found nothing.
    enum Found {
        case found(CaseState, [CaseEvent])
        case answered(Response)
    }

    func found(_ t: Typed, context: Context) async throws -> Found {
        let now = services.clock.now()
        switch try await services.database.lookUp(
            digest: t.digest,
            secondFactor: t.last4,
            address: context.remoteAddress,
            limits: services.lookupLimits,
            now: now
        ) {
        case .found(let state, let events): return .found(state, events)
        case .notFound:
            let text =
                t.digest == nil
                ? "查询码格式不正确：查询码为 11 位字母和数字（不含 0、O、1、I），请核对后重新输入。"
                : "未查到该查询码对应的信访事项，请核对后重新输入。"
            return .answered(page(Message(kind: "error", text: text), code: t.code, status: .notFound))
        case .wrongSecondFactor(let remaining):
            let text = "手机号码或证件号码后四位不正确。再输错 \(remaining) 次，该查询码将暂停查询。"
            return .answered(page(Message(kind: "error", text: text), code: t.code, status: .forbidden))
        case .locked(let until):
            let minutes = max(1, Int((until.timeIntervalSince(now) / 60).rounded(.up)))
            let text = "输错次数过多，查询已暂停，请 \(minutes) 分钟后再试。如需帮助，请携带身份证件到信访接待场所查询。"
            var response = page(Message(kind: "error", text: text), code: t.code, status: .tooManyRequests)
            response.headers[.retryAfter] = String(minutes * 60)
            return .answered(response)
        }
    }

    func result(_ state: CaseState, _ events: [CaseEvent], typed t: Typed, message: Message? = nil) -> Response {
        let progress = PublicLookup.progress(
            events: events,
            state: state,
            topology: services.database.hierarchy?.topology,
            calendar: services.database.calendar,
            now: services.clock.now()
        )
        let model = ResultPage(
            organ: services.identity.name,
            message: message,
            progress: progress,
            evaluable: progress.evaluation.state == .open && message?.kind != "ok",
            code: t.code,
            last4: t.last4
        )
        return HTML.response(Templates.render(model, "lookupResult"))
    }

    @Sendable func lookUp(request: Request, context: Context) async throws -> Response {
        let t = typed(try await Form.values(of: request))
        switch try await found(t, context: context) {
        case .answered(let response): return response
        case .found(let state, let events): return result(state, events, typed: t)
        }
    }

    @Sendable func evaluate(request: Request, context: Context) async throws -> Response {
        let values = try await Form.values(of: request)
        let t = typed(values)
        let state: CaseState
        let events: [CaseEvent]
        switch try await found(t, context: context) {
        case .answered(let response): return response
        case .found(let s, let e): (state, events) = (s, e)
        }
        var fields = ActionFields(action: ActionName.evaluate.rawValue)
        fields.officeRating = values["officeRating"]
        fields.unitRating = values["unitRating"]
        fields.comment = values["comment"]
        let office: Rating
        let unit: Rating
        let comment: String?
        do {
            guard case .evaluate(let o, let u, let c, _) = try CaseAction(fields: fields) else { return page() }
            (office, unit, comment) = (o, u, c)
        } catch {
            let text = error.field == "comment" ? error.detail : "请分别选择对信访部门和对责任单位的评价。"
            return result(state, events, typed: t, message: Message(kind: "error", text: text))
        }
        let message: Message
        do {
            switch try await services.cases.petitionerEvaluates(state, office: office, unit: unit, comment: comment) {
            case .applied(let after):
                return result(
                    after,
                    try await services.database.events(of: after.caseNumber),
                    typed: t,
                    message: Message(kind: "ok", text: "评价已记录，感谢您的评价。")
                )
            case .commanded:
                message = Message(kind: "ok", text: "评价已提交，正在送达办理机关记录，稍后可再次查询。")
            }
        } catch let failure as LifecycleError {
            message = Message(kind: "error", text: failure.description)
        } catch StoreError.refused(let failure) {
            message = Message(kind: "error", text: failure.description)
        } catch let refusal as PolicyRefusal {
            message = Message(kind: "error", text: refusal.detail)
        }
        return result(state, events, typed: t, message: message)
    }

    // MARK: - Staff

    struct Reissued: Encodable {
        var caseNumber: String
        var lookupCode: String
        /// Whether the holder appended it here (false: sent to the holder as a command).
        var applied: Bool
    }

    @Sendable func reissue(request: Request, context: Context) async throws -> Response {
        let principal = try context.requireUser()
        let number = try context.caseNumber()
        AuditScope.current?.update {
            $0.action = "case.lookup-code"
            $0.object = number.rawValue
        }
        do {
            let (outcome, code) = try await services.cases.reissueLookupCode(
                on: number,
                by: principal.caseActor,
                scope: services.scope(for: principal)
            )
            let applied = if case .applied = outcome { true } else { false }
            return try APIJSON.response(
                Reissued(caseNumber: number.rawValue, lookupCode: code.description, applied: applied),
                status: applied ? .created : .accepted
            )
        } catch {
            throw try await services.problem(error, on: number)
        }
    }
}
