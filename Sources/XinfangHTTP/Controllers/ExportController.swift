import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import XinfangCore
import XinfangStore

/// CSV exports of the lists and the indicators, for Excel: UTF-8 with a BOM, Chinese headers,
/// RFC 4180 quoting (`CSV`). The same filters and reports as the JSON routes.
struct ExportController<Context: NodeContext>: Sendable {
    let services: NodeServices

    /// The most cases one export holds; a larger selection is refused, not cut short silently.
    static var caseRowsMax: Int { 100_000 }

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("cases.csv", use: cases)
        group.get("backlog.csv", use: backlog)
        group.get("stats.csv", use: stats)
        group.get("flags.csv", use: flags)
        group.get("exchange/cases", use: exchange)
    }

    /// `GET /api/v1/exchange/cases?receivedFrom=&receivedTo=&format=json|csv[&unmask=true]`: the
    /// cases of the list's filters in the national field set (`ExchangeRecord`, validated by
    /// `schemas/exchange-case.schema.json`), for reporting upward; petitioners masked unless
    /// `unmask` (a role that reads personal data). Audited.
    @Sendable func exchange(request: Request, context: Context) async throws -> Response {
        let principal = try context.require(.readSupervision)
        let q = request.uri.queryParameters
        let format = q["format"].map(String.init) ?? "json"
        guard format == "json" || format == "csv" else {
            throw APIProblem(.badRequest, code: "invalid-field", detail: "format 须为 json 或 csv。", field: "format")
        }
        let unmask: Bool
        switch q["unmask"].map(String.init) {
        case nil, "false": unmask = false
        case "true": unmask = try context.require(.readPersonalData).has(.readPersonalData)
        default: throw APIProblem(.badRequest, code: "invalid-field", detail: "unmask 须为 true 或 false。", field: "unmask")
        }
        var query = try CaseRequests.caseQuery(request, scope: services.scope(for: principal), services: services)
        try await services.auditRead(
            principal,
            context: context,
            action: unmask ? "export.unmasked" : "export",
            object: "exchange/cases",
            detail: String(request.uri.query?.prefix(200) ?? "")
        )
        query.limit = CaseQuery.limitMax
        query.after = nil
        let now = services.clock.now()
        let topology = services.database.hierarchy?.topology
        var records: [ExchangeRecord] = []
        while true {
            let page = try await services.database.cases(matching: query, now: now)
            for state in page.items {
                let people =
                    unmask ? try state.registration.revealed(by: services.database.personalData).petitioners : state.registration.masked().petitioners
                records.append(
                    NationalExchange.record(
                        state,
                        petitioners: people,
                        organName: { topology?.node($0)?.name ?? $0.rawValue },
                        calendar: services.database.calendar,
                        now: now
                    )
                )
            }
            guard records.count <= Self.caseRowsMax else {
                throw APIProblem(.unprocessableContent, code: "export-too-large", detail: "导出超过 \(Self.caseRowsMax) 件，请缩小时间范围或条件。")
            }
            guard let next = page.next else { break }
            query.after = next
        }
        if format == "csv" {
            return csv(CSV.document(header: NationalExchange.csvHeader, rows: records.map(NationalExchange.csvRow)), name: "exchange")
        }
        return try APIJSON.response(ExchangeExport(count: records.count, items: records))
    }

    /// The JSON export: the records, each valid under `schemas/exchange-case.schema.json`.
    struct ExchangeExport: Encodable {
        var schema = "exchange-case.schema.json"
        var count: Int
        var items: [ExchangeRecord]
    }

    func csv(_ text: String, name: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/csv; charset=utf-8"
        let day = services.database.calendar.civilDate(of: services.clock.now())
        headers[.contentDisposition] = "attachment; filename=\"\(name)-\(services.identity.id)-\(day).csv\""
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static var caseHeader: [String] {
        [
            "信访件编号", "收件日期", "收件天数", "登记时间", "登记机关", "信访形式", "信访目的", "内容分类一级", "内容分类二级", "内容分类三级", "问题属地", "摘要",
            "信访人", "状态", "办理机关", "责任单位", "受理时间", "限办截止时间", "办结时间", "下一期限", "下一期限届满日", "红黄绿", "是否超期", "超期天数", "重复信访",
            "越级访", "联名信", "集体访人次",
        ]
    }

    /// `GET /api/v1/cases.csv`: every case matching the list's filters (not paged), newest first.
    @Sendable func cases(request: Request, context: Context) async throws -> Response {
        let principal = try context.require(.readCases)
        var query = try CaseRequests.caseQuery(request, scope: services.scope(for: principal), services: services)
        try await services.auditRead(
            principal,
            context: context,
            action: "export",
            object: "cases.csv",
            detail: String(request.uri.query?.prefix(200) ?? "")
        )
        query.limit = CaseQuery.limitMax
        query.after = nil
        let now = services.clock.now()
        let calendar = services.database.calendar
        let lights = services.lights(now: now)
        var rows: [[String]] = []
        while true {
            let page = try await services.database.cases(matching: query, now: now)
            for state in page.items { rows.append(caseRow(state, calendar: calendar, now: now, lights: lights)) }
            guard rows.count <= Self.caseRowsMax else {
                throw APIProblem(
                    .unprocessableContent,
                    code: "export-too-large",
                    detail: "导出超过 \(Self.caseRowsMax) 件，请用 status、holder、region、category 等条件缩小范围。"
                )
            }
            guard let next = page.next else { break }
            query.after = next
        }
        return csv(CSV.document(header: Self.caseHeader, rows: rows), name: "cases")
    }

    func caseRow(_ state: CaseState, calendar: DeadlineCalendar, now: Date, lights: DueLightRule) -> [String] {
        let r = state.registration
        let deadlines = state.deadlines(calendar: calendar)
        let limit = (deadlines.first { $0.kind == .assignment } ?? deadlines.first { $0.kind == .handling })?.dueAt
        let summary = CaseSummaryView(state, calendar: calendar, now: now, lights: lights)
        let due = summary.nextDeadline
        func name(_ id: NodeID) -> String { services.database.hierarchy?.topology.node(id)?.name ?? id.rawValue }
        return [
            state.caseNumber.rawValue, "\(calendar.civilDate(of: r.receivedAt))", String(summary.ageDays), HTML.time(state.registeredAt),
            name(state.registeredAtNode),
            r.channel.label, r.purpose.label,
            r.category.level1, r.category.level2, r.category.level3, r.issueRegion.rawValue, r.summary,
            r.petitioners.map { Masking.name($0.name) }.joined(separator: "、"), state.status.label, name(state.holder), name(state.owner),
            state.acceptedAt.map(HTML.time) ?? "", limit.map(HTML.time) ?? "", state.closedAt.map(HTML.time) ?? "",
            due?.kind.label ?? "", due.map { "\($0.dueDate)" } ?? "", summary.light?.label ?? "", summary.light == .red ? "是" : "否",
            summary.daysOverdue > 0 ? String(summary.daysOverdue) : "",
            r.linkedCases.isEmpty && r.intake == nil ? "否" : "是", r.intake?.kind == .skipLevel ? "是" : "否",
            r.jointLetter ? "是" : "否", r.collective.map { String($0.personVisits) } ?? "",
        ]
    }

    /// `GET /api/v1/backlog.csv?node=`: one row per node of the subtree (its own open work).
    @Sendable func backlog(request: Request, context: Context) async throws -> Response {
        let principal = try context.require(.readSupervision)
        try await services.auditRead(
            principal,
            context: context,
            action: "export",
            object: "backlog.csv",
            detail: String(request.uri.query?.prefix(200) ?? "")
        )
        let scope = try CaseRequests.scope(request, services)
        let report = try await BacklogReport(scope: scope, services: services, now: services.clock.now())
        let header =
            ["单位编号", "单位名称", "层级", "在办"] + BacklogPhase.allCases.map(\.label) + AgeBucket.allCases.map { "收件\($0.label)" }
            + ["超期（红）", "临期（黄）", "正常（绿）", "交办待报结", "督办待反馈", "督办反馈超期", "滞留/冲突预警", "全部预警"]
        let rows = report.nodes.map { entry -> [String] in
            let c = entry.counts.counts
            return [entry.node.id.rawValue, entry.node.name, entry.node.levelLabel, String(c.open)]
                + BacklogPhase.allCases.map { String(c.byPhase[$0.rawValue] ?? 0) } + AgeBucket.allCases.map { String(c.byAge[$0.rawValue] ?? 0) }
                + [
                    c.overdue, c.dueSoon, c.onTime, c.awaitingClosureReport, c.awaitingSupervisionFeedback, c.supervisionFeedbackOverdue, c.stuck,
                    c.flags,
                ].map(String.init)
        }
        return csv(CSV.document(header: header, rows: rows), name: "backlog")
    }

    /// `GET /api/v1/stats.csv?from=&to=&node=`: the subtree, its own unit and each child subtree.
    @Sendable func stats(request: Request, context: Context) async throws -> Response {
        let principal = try context.require(.readSupervision)
        try await services.auditRead(
            principal,
            context: context,
            action: "export",
            object: "stats.csv",
            detail: String(request.uri.query?.prefix(200) ?? "")
        )
        let scope = try CaseRequests.scope(request, services)
        let now = services.clock.now()
        let (from, to) = try CaseRequests.period(request, today: services.database.calendar.civilDate(of: now))
        let report = try await StatsReport(scope: scope, database: services.database, from: from, to: to, now: now)
        let header =
            [
                "范围", "节点编号", "节点名称", "期间起", "期间止", "登记件数", "网上信访", "来信", "来访", "来电", "重复信访", "越级访", "联名信", "集体访件数", "集体访批次", "集体访人次",
                "应受理件数", "及时受理", "超期受理", "超期未受理", "应办结件数", "按期办结", "超期办结", "超期未办结", "已评价", "超期未评价",
            ] + Indicators.rateLabels
        func row(_ label: String, _ node: NodeRef, _ view: IndicatorView) -> [String] {
            let c = view.counts
            let counts = [
                c.registered, c.online, c.byChannel["letter"] ?? 0, c.byChannel["visit"] ?? 0, c.byChannel["phone"] ?? 0, c.repeats, c.skipLevel,
                c.jointLetters, c.collectiveCases, c.collectiveBatches, c.collectivePersons, c.acceptDue, c.acceptedOnTime, c.acceptedLate,
                c.notAcceptedOverdue, c.closeDue, c.closedOnTime, c.closedLate, c.openOverdue, c.evaluated, c.evaluationOverdue,
            ]
            return [label, node.id.rawValue, node.name, "\(from)", "\(to)"] + counts.map(String.init) + view.indicators.rates.map(HTML.percent)
        }
        let rows =
            [row("辖区合计", report.node, report.subtree), row("本级", report.node, report.own)] + report.children.map { row("下级辖区", $0.node, $0.stats) }
        return csv(CSV.document(header: header, rows: rows), name: "stats")
    }

    /// `GET /api/v1/flags.csv?node=`: the open flags of the subtree (or of `node`'s subtree).
    @Sendable func flags(request: Request, context: Context) async throws -> Response {
        let principal = try context.require(.readSupervision)
        try await services.auditRead(
            principal,
            context: context,
            action: "export",
            object: "flags.csv",
            detail: String(request.uri.query?.prefix(200) ?? "")
        )
        var query = FlagQuery()
        query.limit = FlagQuery.limitMax
        if let raw = request.uri.queryParameters["node"] {
            do { query.within = try NodeID.validated(String(raw), field: "node") } catch { throw APIProblem(error) }
        }
        let flags = try await services.database.flags(matching: query)
        let rows = flags.map { stored -> [String] in
            let f = stored.flag
            return [
                f.kind.label, f.kind.rawValue, f.caseNumber?.rawValue ?? "", f.subject, f.node.rawValue, HTML.time(f.since), f.detail, f.kind.remedy,
            ]
        }
        return csv(CSV.document(header: ["预警", "类型", "信访件编号", "对象", "节点", "起始时间", "说明", "处理建议"], rows: rows), name: "flags")
    }
}
