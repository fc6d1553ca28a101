import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import XinfangCore
import XinfangService
import XinfangStore

/// The dashboard (督查看板): server-rendered pages in Chinese for supervision teams, registrars and
/// handlers. Each handler reads its request, asks `DashboardPages` for the page's model (built from
/// the same reports as the API, so the page and `GET /api/v1/…` always agree) and renders it with
/// `Templates`, which escape every text. Forms go through `Form` and the application layer.
struct DashboardController<Context: NodeContext>: Sendable {
    let services: NodeServices

    /// The most cases a list page shows.
    static var pageSize: Int { 50 }

    var pages: DashboardPages { DashboardPages(services: services) }
    var me: NodeID { services.identity.id }

    func addRoutes(to router: Router<Context>) {
        router.get("/", use: home)
        router.get("ui/nodes/{node}", use: nodePage)
        router.get("ui/cases", use: caseList)
        router.get("ui/cases/{caseNumber}", use: casePage)
        router.post("ui/cases/{caseNumber}/actions", use: caseAction)
        router.get("ui/register", use: registerForm)
        router.post("ui/register", use: register)
        router.get("ui/flags", use: flagList)
        router.get("ui/stats", use: statsPage)
    }

    func scope(_ node: NodeID?) throws -> SupervisionScope {
        do { return try SupervisionScope(services: services, node: node) } catch { throw APIProblem(error) }
    }

    func page(_ model: Any, _ template: String, status: HTTPResponse.Status = .ok) -> Response {
        HTML.response(Templates.render(model, template), status: status)
    }

    // MARK: - The node page (landing page and drill-down)

    /// `GET /`: this node's overview.
    @Sendable func home(request: Request, context: Context) async throws -> Response {
        guard let principal = context.principal else { throw APIProblem.unauthenticated }
        guard principal.has(.readSupervision) else {
            // Registrars see their cases; the administrators and auditors have no case pages.
            if principal.has(.readCases) { return HTML.redirect("/ui/cases") }
            return page(RolePage(frame: pages.frame("首页"), role: principal.user.role.label), "role")
        }
        return page(try await pages.overview(scope(nil)), "overview")
    }

    /// `GET /ui/nodes/{node}`: the overview of a node of the subtree.
    @Sendable func nodePage(request: Request, context: Context) async throws -> Response {
        _ = try context.require(.readSupervision)
        let node: NodeID
        do { node = try NodeID.validated(context.parameters.get("node") ?? "", field: "node") } catch { throw APIProblem(error) }
        return page(try await pages.overview(scope(node)), "overview")
    }

    // MARK: - The case list

    /// `GET /ui/cases?…`: one page of cases with the API's filters and orders, and their total.
    @Sendable func caseList(request: Request, context: Context) async throws -> Response {
        // The API's filters, checked the same way; the page size is the dashboard's.
        let principal = try context.require(.readCases)
        var query = try CaseRequests.caseQuery(request, scope: services.scope(for: principal), services: services)
        query.limit = Self.pageSize
        let q = request.uri.queryParameters
        let within = q["within"].flatMap { NodeID(rawValue: String($0)) }
        let filters = pages.describe(query, within: within)
        let now = services.clock.now()
        let found = try await services.database.cases(matching: query, now: now)
        let kept = q.filter { $0.key != "cursor" }.map { (String($0.key), String($0.value)) }
        func href(_ path: String, _ params: [(String, String)]) -> String {
            "\(path)?\(params.map { "\($0.0)=\(HTML.query($0.1))" }.joined(separator: "&"))"
        }
        func sortHref(_ sort: CaseSort, _ reversed: Bool) -> String {
            let descending = sort.descendingByDefault != reversed
            return href(
                "/ui/cases",
                kept.filter { $0.0 != "sort" && $0.0 != "order" } + [("sort", sort.rawValue), ("order", descending ? "desc" : "asc")]
            )
        }
        let model = CaseListPage(
            frame: pages.frame("信访件", node: try scope(nil).ref(me)),
            text: query.text ?? "",
            hidden: kept.filter { $0.0 != "q" }.map { Hidden(name: $0.0, value: $0.1) },
            filters: filters.isEmpty ? nil : filters.joined(separator: "；"),
            count: found.totalIsExact ? "共 \(found.total) 件" : "超过 \(found.total) 件",
            exportHref: href("/api/v1/cases.csv", kept),
            clearHref: kept.isEmpty ? nil : "/ui/cases",
            table: found.items.isEmpty
                ? nil : pages.caseTable(found.items, now: now, sortHref: sortHref, current: (query.sort, query.reversed)),
            nextHref: found.next.map { href("/ui/cases", kept + [("cursor", $0.encoded)]) }
        )
        return page(model, "caseList")
    }

    // MARK: - The case page

    /// `GET /ui/cases/{caseNumber}`: the case, its deadlines, flags, conflicts, its path through
    /// the levels, and forms for what this node may do.
    @Sendable func casePage(request: Request, context: Context) async throws -> Response {
        let principal = try context.require(.readCases)
        let number = try caseNumber(context)
        let state = try await services.scopedCase(number, principal: principal)
        let q = request.uri.queryParameters
        // A registrar (or a role allowed to) reveals the petitioners' contact data to make the
        // 受理告知 call: an explicit request, audited like the API's unmasked read.
        let reveal = q["reveal"] == "contact"
        if reveal {
            _ = try context.require(.readPersonalData)
            try await services.auditRead(
                principal,
                context: context,
                action: "case.read-unmasked",
                object: number.rawValue,
                detail: "dashboard contact"
            )
        }
        let view = try await CaseView(state: state, services: services, now: services.clock.now(), unmask: reveal)
        let events = try await services.database.events(of: number)
        let model = pages.casePage(
            view,
            events: events,
            message: q["msg"].map(String.init),
            error: q["error"].map(String.init),
            permissions: principal.permissions,
            revealed: reveal
        )
        return page(model, "case")
    }

    /// `POST /ui/cases/{caseNumber}/actions`: a form's action, through the same path as the API;
    /// answers with a redirect to the case page saying what happened (or why it was refused).
    @Sendable func caseAction(request: Request, context: Context) async throws -> Response {
        let number = try caseNumber(context)
        let pagePath = "/ui/cases/\(number)"
        let input: ActionInput
        do {
            input = try Form.decode(ActionInput.self, from: try await Form.values(of: request))
        } catch let error as NIOTooManyBytesError {
            throw error
        } catch {
            return HTML.redirect("\(pagePath)?error=\(HTML.query("未执行：表单内容无效（\(error)）"))")
        }
        do {
            switch try await services.perform(input, on: number, principal: try context.requireUser()) {
            case .applied(let view):
                return HTML.redirect("\(pagePath)?msg=\(HTML.query("已执行：\(input.fields.action ?? "")，当前状态 \(view.state.status.label)"))")
            case .commanded(let accepted): return HTML.redirect("\(pagePath)?msg=\(HTML.query(accepted.detail))")
            }
        } catch let problem as APIProblem {
            return HTML.redirect("\(pagePath)?error=\(HTML.query("未执行：\(problem.detail)"))")
        }
    }

    func caseNumber(_ context: Context) throws -> CaseNumber { try context.caseNumber() }

    // MARK: - Registration (登记)

    /// `GET /ui/register`: the registration form.
    @Sendable func registerForm(request: Request, context: Context) async throws -> Response {
        _ = try context.require(.register)
        return page(pages.registerPage(values: [:], error: nil), "register")
    }

    /// `POST /ui/register`: registers through the API's decoding and validation; on success to the
    /// new case's page (saying what the intake check found), else the form again with what was
    /// typed and the reason.
    @Sendable func register(request: Request, context: Context) async throws -> Response {
        let principal = try context.require(.register)
        let form = try await Form.values(of: request)
        func refused(_ reason: String) -> Response {
            page(pages.registerPage(values: form, error: reason), "register", status: .unprocessableContent)
        }
        let now = services.clock.now()
        do {
            // The registrar typed in the form (登记人) is the one the registration names.
            let registration = try RegistrationForm(
                form,
                registeredBy: principal.registrar(typed: form["registeredBy"]),
                today: services.database.calendar.civilDate(of: now)
            )
            .input().registration(now: now)
            let (state, _) = try await services.cases.register(registration, by: principal.caseActor)
            var message = "已登记 \(state.caseNumber)，状态：\(state.status.label)"
            if let intake = state.registration.intake { message += "；查重：\(intake.kind.label)（前件 \(intake.earlierCase)）" }
            return HTML.redirect("/ui/cases/\(state.caseNumber)?msg=\(HTML.query(message))")
        } catch let failure as ValidationFailure {
            return refused(failure.detail)
        } catch StoreError.invalid(let failure) {
            return refused(failure.detail)
        } catch is DecodingError {
            return refused("收件时间必须是日期。")
        }
    }

    // MARK: - Flags and indicators

    /// `GET /ui/flags?node=`: the open flags of the subtree (or of a node's subtree).
    @Sendable func flagList(request: Request, context: Context) async throws -> Response {
        _ = try context.require(.readSupervision)
        var query = FlagQuery()
        query.limit = FlagQuery.limitMax
        if let raw = request.uri.queryParameters["node"] {
            do { query.within = try NodeID.validated(String(raw), field: "node") } catch { throw APIProblem(error) }
        }
        let flags = try await services.database.flags(matching: query).map(FlagView.init)
        let model = FlagListPage(frame: pages.frame("对账预警", node: try scope(nil).ref(me)), count: flags.count, table: pages.flagTable(flags))
        return page(model, "flagList")
    }

    /// `GET /ui/stats?from=&to=&node=`: the indicators of the subtree and of each child subtree.
    @Sendable func statsPage(request: Request, context: Context) async throws -> Response {
        _ = try context.require(.readSupervision)
        let scope = try CaseRequests.scope(request, services)
        let now = services.clock.now()
        let (from, to) = try CaseRequests.period(request, today: services.database.calendar.civilDate(of: now))
        let report = try await StatsReport(scope: scope, database: services.database, from: from, to: to, now: now)
        return page(pages.stats(report, scope: scope, from: from, to: to), "stats")
    }
}
