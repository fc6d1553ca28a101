import Foundation
import HTTPTypes
import Hummingbird
import XinfangCore
import XinfangService
import XinfangStore

/// The user API for cases: register, list, read, act.
struct CaseController<Context: NodeContext>: Sendable {
    let services: NodeServices

    func addRoutes(to group: RouterGroup<Context>) {
        group.post("cases", use: register)
        group.get("cases", use: list)
        group.get("cases/{caseNumber}", use: show)
        group.post("cases/{caseNumber}/actions", use: act)
        group.get("commands/{commandId}", use: command)
    }

    /// `POST /api/v1/cases`: registers a petition (登记). 201 with the case; with an
    /// `Idempotency-Key` a retry returns the same case with 200.
    @Sendable func register(request: Request, context: Context) async throws -> Response {
        let principal = try context.require(.register)
        let key = try idempotencyKey(request)
        var (input, body) = try await APIJSON.decode(RegistrationInput.self, from: request, context: context)
        // The person typed as 登记人; the event names the account that registered, whatever was typed.
        input.registeredBy = principal.registrar(typed: input.registeredBy)
        let now = services.clock.now()
        let registration: CaseRegistration
        do { registration = try input.registration(now: now) } catch { throw APIProblem(error) }
        let fingerprint = body.sha256Hex
        let (state, created) = try await services.cases.register(
            registration,
            by: principal.caseActor,
            idempotencyKey: key.map { NodeDatabase.IdempotencyKey(key: $0, fingerprint: fingerprint) }
        )
        let view = try await CaseView(state: state, services: services, now: now)
        var headers = HTTPFields()
        headers[.location] = "/api/v1/cases/\(state.caseNumber)"
        return try APIJSON.response(view, status: created ? .created : .ok, headers: headers)
    }

    /// `GET /api/v1/cases`: filtered, sorted, cursor-paginated list with its total (newest registration first by default).
    @Sendable func list(request: Request, context: Context) async throws -> Response {
        let principal = try context.require(.readCases)
        let query = try CaseRequests.caseQuery(request, scope: services.scope(for: principal), services: services)
        let now = services.clock.now()
        let page = try await services.database.cases(matching: query, now: now)
        let lights = services.lights(now: now)
        let view = CaseListView(
            items: page.items.map { CaseSummaryView($0, calendar: services.database.calendar, now: now, lights: lights) },
            nextCursor: page.next?.encoded,
            total: page.total,
            totalIsExact: page.totalIsExact
        )
        return try APIJSON.response(view)
    }

    /// `GET /api/v1/cases/{caseNumber}`: state, deadlines, holder, and the whole chain.
    @Sendable func show(request: Request, context: Context) async throws -> Response {
        let principal = try context.require(.readCases)
        let number = try caseNumber(context)
        let unmask: Bool
        switch request.uri.queryParameters["unmask"].map(String.init) {
        case nil, "false": unmask = false
        case "true": unmask = true
        default: throw APIProblem(.badRequest, code: "invalid-field", detail: "unmask 只能是 true 或 false。", field: "unmask")
        }
        let state = try await services.scopedCase(number, principal: principal)
        if unmask {
            _ = try context.require(.readPersonalData)
            try await services.auditRead(principal, context: context, action: "case.read-unmasked", object: number.rawValue)
        }
        return try APIJSON.response(try await CaseView(state: state, services: services, now: services.clock.now(), unmask: unmask))
    }

    /// `POST /api/v1/cases/{caseNumber}/actions`: one lifecycle action by the holder (200).
    @Sendable func act(request: Request, context: Context) async throws -> Response {
        let principal = try context.require(.readCases)
        let number = try caseNumber(context)
        let (input, _) = try await APIJSON.decode(ActionInput.self, from: request, context: context)
        switch try await services.perform(input, on: number, principal: principal) {
        case .applied(let view): return try APIJSON.response(view)
        case .commanded(let accepted):
            var headers = HTTPFields()
            headers[.location] = "/api/v1/commands/\(accepted.commandId)"
            return try APIJSON.response(accepted, status: .accepted, headers: headers)
        }
    }

    /// `GET /api/v1/commands/{id}`: where a command made or relayed here stands.
    @Sendable func command(request: Request, context: Context) async throws -> Response {
        let principal = try context.require(.readCases)
        let id = context.parameters.get("commandId") ?? ""
        // A command about a case outside the reader's scope is as unknown as one never made.
        guard CaseCommand.isValidID(id), let number = try await services.database.commandCase(id),
            try await services.database.caseState(number, in: services.scope(for: principal)) != nil,
            let status = try await services.database.commandStatus(id)
        else {
            throw APIProblem(.notFound, code: "command-not-found", detail: "指令 \(id) 不存在。")
        }
        return try APIJSON.response(["commandId": id, "status": status.status.rawValue, "detail": status.detail ?? ""])
    }

    func caseNumber(_ context: Context) throws -> CaseNumber { try context.caseNumber() }

    func idempotencyKey(_ request: Request) throws -> String? {
        guard let raw = request.headers[HTTPField.Name("Idempotency-Key")!] else { return nil }
        guard !raw.isEmpty, raw.count <= APILimits.idempotencyKeyLengthMax, raw.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
            throw APIProblem(
                .badRequest,
                code: "invalid-idempotency-key",
                detail: "Idempotency-Key 必须是 1 到 \(APILimits.idempotencyKeyLengthMax) 个可见 ASCII 字符。",
                field: "Idempotency-Key"
            )
        }
        return raw
    }
}

extension NodeServices {
    /// What `principal` may see: cases held within its node's subtree, and no 检举控告 against its node.
    func scope(for principal: Principal) -> CaseScope {
        let node = principal.user.node
        return CaseScope(holders: Set(database.hierarchy?.topology.subtree(of: node) ?? [node]), respondentExcluded: node)
    }

    /// Records a read that must leave a trace (unmasked personal data, an export) before the data
    /// is sent; when the audit cannot be written, nothing is sent (503).
    func auditRead(_ principal: Principal, context: some NodeContext, action: String, object: String, detail: String = "") async throws {
        do {
            try await database.audit(
                AuditEntry(
                    at: clock.now(),
                    user: principal.user.username,
                    node: identity.id,
                    source: context.remoteAddress,
                    action: action,
                    object: object,
                    detail: detail
                )
            )
        } catch {
            throw APIProblem(.serviceUnavailable, code: "audit-unavailable", detail: "审计记录写入失败，未返回数据，请稍后重试。")
        }
    }
}
