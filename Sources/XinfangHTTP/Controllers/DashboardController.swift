import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import XinfangCore
import XinfangService
import XinfangStore

/// The dashboard (督查看板): server-rendered pages in Chinese for supervision teams, registrars and
/// handlers. Every figure comes from the same reports as the API (`BacklogReport`, `StatsReport`,
/// the case view), so the page and `GET /api/v1/…` always agree.
struct DashboardController<Context: NodeContext>: Sendable {
    let services: NodeServices

    /// The most cases a list page shows.
    static var pageSize: Int { 50 }
    /// The largest form body the dashboard takes.
    static var formBytesMax: Int { 64 * 1024 }

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

    var me: NodeID { services.identity.id }

    func scope(_ node: NodeID?) throws -> SupervisionScope {
        do { return try SupervisionScope(services: services, node: node) } catch { throw APIProblem(error) }
    }

    // MARK: - The node page (landing page and drill-down)

    /// `GET /`: this node's overview.
    @Sendable func home(request: Request, context: Context) async throws -> Response {
        guard let principal = context.principal else { throw APIProblem.unauthenticated }
        guard principal.has(.readSupervision) else {
            // Registrars see their cases; the administrators and auditors have no case pages.
            if principal.has(.readCases) { return HTML.redirect("/ui/cases") }
            return HTML.response(
                HTML.page(
                    title: "首页",
                    node: SupervisionScope.ref(services: services),
                    now: services.clock.now(),
                    body: "<h1>\(HTML.escape(principal.user.role.label))</h1><p class=\"muted\">本角色不查阅信访件内容；请使用 /api/v1/users 或 /api/v1/audit。</p>"
                )
            )
        }
        return HTML.response(try await overview(scope(nil)))
    }

    /// `GET /ui/nodes/{node}`: the overview of a node of the subtree.
    @Sendable func nodePage(request: Request, context: Context) async throws -> Response {
        _ = try context.require(.readSupervision)
        let raw = context.parameters.get("node") ?? ""
        let node: NodeID
        do { node = try NodeID.validated(raw, field: "node") } catch { throw APIProblem(error) }
        return HTML.response(try await overview(scope(node)))
    }

    func overview(_ scope: SupervisionScope) async throws -> String {
        let now = services.clock.now()
        let database = services.database
        let backlog = try await BacklogReport(scope: scope, database: database, now: now)
        let today = database.calendar.civilDate(of: now)
        let yearStart = CivilDate(year: today.year, month: 1, day: 1) ?? today
        let stats = try await StatsReport(scope: scope, database: database, from: yearStart, to: today, now: now)
        let monthsBack = 12
        let firstMonth = CivilDate(year: today.month == 12 ? today.year : today.year - 1, month: today.month % 12 + 1, day: 1) ?? today
        let trend = try await database.monthlyTrend(since: firstMonth.startOfDay(utcOffsetSeconds: database.calendar.utcOffsetSeconds))
        let s = backlog.subtree.counts
        var body = crumbs(scope) + "<h1>\(HTML.escape(backlog.node.name))　辖区在办情况</h1>"
        body += "<div class=\"cards\" id=\"summary\">"
        body += card("在办件", s.open, id: "open")
        body += card("超期件", s.overdue, id: "overdue", alert: true, href: "/ui/cases?overdue=true")
        body += card("滞留/冲突预警", s.stuck, id: "stuck", alert: true, href: "/ui/flags")
        body += card("全部预警", s.flags, id: "flags", alert: true, href: "/ui/flags")
        body += card("交办待报结", s.awaitingClosureReport, id: "awaitingClosureReport")
        body += card("督办待反馈", s.awaitingSupervisionFeedback, id: "awaitingSupervisionFeedback")
        body += card("督办反馈超期", s.supervisionFeedbackOverdue, id: "supervisionFeedbackOverdue", alert: true)
        body += "</div>"
        if !backlog.children.isEmpty {
            body += "<h2>下级辖区（点击进入）</h2>" + backlogTable(backlog.children, linkCases: false, tableID: "children")
        }
        body += "<h2>各节点在办情况 <a class=\"muted\" href=\"/api/v1/backlog.csv?node=\(scope.root)\">导出CSV</a></h2>"
        body += backlogTable(backlog.nodes, linkCases: true, tableID: "nodes")
        body += "<div class=\"grid\">"
        let barItems = (backlog.children.isEmpty ? backlog.nodes : backlog.children).map {
            SVGChart.Bar(label: HTML.shortName($0.node.name), value: $0.counts.counts.open, href: "/ui/nodes/\($0.node.id)")
        }
        body += panel("在办件（按辖区）", SVGChart.bars(barItems))
        body += panel(
            "在办时长（当前持有节点持有天数）",
            SVGChart.bars(AgeBucket.allCases.map { SVGChart.Bar(label: $0.label, value: s.byAge[$0.rawValue] ?? 0, href: nil) }, color: "#d97706")
        )
        var months: [String] = []
        var month = firstMonth
        for _ in 0..<monthsBack {
            months.append(String(month.description.prefix(7)))
            month = CivilDate(year: month.month == 12 ? month.year + 1 : month.year, month: month.month % 12 + 1, day: 1) ?? month
        }
        let inScope = trend.filter { scope.contains($0.key) }.values
        let registered = months.map { m in inScope.reduce(0) { $0 + ($1[m]?.registered ?? 0) } }
        let closed = months.map { m in inScope.reduce(0) { $0 + ($1[m]?.closed ?? 0) } }
        body += panel("近12个月受理与办结", SVGChart.grouped(periods: months, series: [("登记", registered), ("办结", closed)]))
        body += panel(
            "考核指标（\(yearStart) 至 \(today)）",
            indicatorChart(stats.subtree.indicators) + "<p><a href=\"/ui/stats?node=\(scope.root)\">查看指标明细</a></p>"
        )
        body += "</div>"
        body += try await heldCases(scope.root, now: now)
        if !backlog.movedMost.isEmpty {
            body += "<h2>流转最频繁的信访件</h2><table><tr><th>信访件编号</th><th>摘要</th><th class=\"n\">流转次数</th><th>持有节点</th><th>状态</th></tr>"
            for moved in backlog.movedMost {
                body += "<tr><td><a href=\"/ui/cases/\(moved.caseNumber)\">\(moved.caseNumber)</a></td><td>\(HTML.escape(moved.summary))</td>"
                body += "<td class=\"n\">\(moved.moves)</td><td>\(HTML.escape(scope.ref(moved.holder).name))</td><td>\(moved.status.label)</td></tr>"
            }
            body += "</table>"
        }
        return HTML.page(title: "辖区在办情况", node: scope.ref(me), now: now, body: body)
    }

    func crumbs(_ scope: SupervisionScope) -> String {
        guard scope.root != me else { return "" }
        let path = (scope.topology?.ancestors(of: scope.root) ?? []).reversed().filter { scope.topology?.isInSubtree($0, of: me) ?? false }
        let links = path.map { "<a href=\"\($0 == me ? "/" : "/ui/nodes/\($0)")\">\(HTML.escape(scope.ref($0).name))</a>" }
        return "<div class=\"crumbs\">" + (links + [HTML.escape(scope.ref(scope.root).name)]).joined(separator: " › ") + "</div>"
    }

    func card(_ label: String, _ value: Int, id: String, alert: Bool = false, href: String? = nil) -> String {
        let inner = "<div class=\"v\" data-figure=\"\(id)\">\(value)</div><div class=\"k\">\(label)</div>"
        let content = href.map { "<a href=\"\($0)\" style=\"color:inherit;text-decoration:none\">\(inner)</a>" } ?? inner
        return "<div class=\"card\(alert && value > 0 ? " alert" : "")\">\(content)</div>"
    }

    func panel(_ title: String, _ content: String) -> String { "<div class=\"panel\"><h2>\(HTML.escape(title))</h2>\(content)</div>" }

    /// One row per node: the figures the API's `children` or `nodes` entries carry.
    func backlogTable(_ entries: [BacklogEntry], linkCases: Bool, tableID: String) -> String {
        var out = "<table id=\"\(tableID)\"><tr><th>辖区/节点</th><th>层级</th><th class=\"n\">在办</th><th class=\"n\">超期</th>"
        out += "<th class=\"n\">滞留/冲突预警</th><th class=\"n\">全部预警</th><th class=\"n\">交办待报结</th><th class=\"n\">督办待反馈</th><th class=\"n\">持有超90天</th>"
        out += linkCases ? "<th>信访件</th></tr>" : "</tr>"
        for entry in entries {
            let c = entry.counts.counts
            let id = entry.node.id
            out += "<tr id=\"\(tableID)-\(id)\"><td><a href=\"\(id == me ? "/" : "/ui/nodes/\(id)")\">\(HTML.escape(entry.node.name))</a></td>"
            out += "<td>\(HTML.escape(entry.node.levelLabel))</td>"
            out += HTML.count(c.open, cls: "open") + HTML.count(c.overdue, alert: true, cls: "overdue")
            out += HTML.count(c.stuck, alert: true, cls: "stuck") + HTML.count(c.flags, alert: true, cls: "flags")
            out += HTML.count(c.awaitingClosureReport, cls: "awaitingClosureReport")
            out += HTML.count(c.awaitingSupervisionFeedback, cls: "awaitingSupervisionFeedback")
            out += HTML.count(c.byAge[AgeBucket.over90.rawValue] ?? 0, alert: true, cls: "over90")
            if linkCases {
                out += "<td><a href=\"/ui/cases?holder=\(id)\">在办</a> · <a href=\"/ui/cases?holder=\(id)&amp;overdue=true\">超期</a></td>"
            }
            out += "</tr>"
        }
        return out + "</table>"
    }

    func indicatorChart(_ i: Indicators) -> String {
        typealias T = IndicatorTargets
        return SVGChart.rates([
            ("及时受理率", i.timelyAcceptanceRate, T.timelyAcceptanceRate),
            ("按期办结率", i.onTimeClosureRate, T.onTimeClosureRate),
            ("参评率", i.evaluationRate, T.evaluationRate),
            ("满意率（信访部门）", i.officeSatisfactionRate, T.satisfactionRate),
            ("满意率（责任单位）", i.unitSatisfactionRate, T.satisfactionRate),
            ("重复信访率", i.repeatRate, nil),
            ("网信占比", i.onlineShare, nil),
        ])
    }

    /// The open cases the node holds, overdue ones first.
    func heldCases(_ node: NodeID, now: Date) async throws -> String {
        var overdue = CaseQuery()
        overdue.holder = node
        overdue.overdue = true
        overdue.limit = 20
        var open = CaseQuery()
        open.holder = node
        open.overdue = false
        open.limit = 20
        let late = try await services.database.cases(matching: overdue, now: now).items.filter(\.isBacklog)
        let rest = try await services.database.cases(matching: open, now: now).items.filter(\.isBacklog)
        guard !(late.isEmpty && rest.isEmpty) else { return "" }
        return "<h2>\(HTML.escape(services.database.hierarchy?.topology.node(node)?.name ?? node.rawValue))持有的在办件（超期在前）</h2>"
            + caseTable(late + rest, now: now) + "<p><a href=\"/ui/cases?holder=\(node)\">全部 ›</a></p>"
    }

    func caseTable(_ cases: [CaseState], now: Date) -> String {
        let calendar = services.database.calendar
        var out = "<table class=\"cases\"><tr><th>信访件编号</th><th>摘要</th><th>状态</th><th>持有节点</th><th>登记日期</th><th>下一期限</th></tr>"
        for state in cases {
            let due = state.nextObligation(calendar: calendar)
            let late = due.map { now > $0.dueAt } ?? false
            out += "<tr><td><a href=\"/ui/cases/\(state.caseNumber)\">\(state.caseNumber)</a></td><td>\(HTML.escape(state.registration.summary))</td>"
            out +=
                "<td>\(state.status.label)</td><td>\(HTML.escape(nodeName(state.holder)))</td><td>\(calendar.civilDate(of: state.registeredAt))</td>"
            out += "<td>" + (due.map { "\($0.kind.label) \($0.dueDate)" + (late ? " <span class=\"tag red\">超期</span>" : "") } ?? "—") + "</td></tr>"
        }
        return out + "</table>"
    }

    func nodeName(_ id: NodeID) -> String {
        services.database.hierarchy?.topology.node(id)?.name ?? (id == me ? services.identity.name : id.rawValue)
    }

    // MARK: - The case list

    /// `GET /ui/cases?holder=&overdue=&status=&q=&cursor=`: one page of cases, newest first.
    @Sendable func caseList(request: Request, context: Context) async throws -> Response {
        // The API's filters, checked the same way; the page size is the dashboard's.
        let principal = try context.require(.readCases)
        var query = try CaseController<Context>.caseQuery(request, scope: services.scope(for: principal))
        query.limit = Self.pageSize
        var filters: [String] = []
        if let holder = query.holder { filters.append("持有节点：\(nodeName(holder))") }
        if query.overdue == true { filters.append("超期") }
        if !query.statuses.isEmpty { filters.append("状态：" + query.statuses.map(\.label).joined(separator: "、")) }
        if let text = query.text { filters.append("关键词：\(text)") }
        let now = services.clock.now()
        let page = try await services.database.cases(matching: query, now: now)
        var body =
            "<h1>信访件</h1><form method=\"get\" action=\"/ui/cases\" class=\"act\"><label>关键词 <input name=\"q\" maxlength=\"100\" value=\"\(HTML.escape(query.text ?? ""))\"></label>"
        if let holder = query.holder { body += "<input type=\"hidden\" name=\"holder\" value=\"\(holder)\">" }
        body +=
            "<label><input type=\"checkbox\" name=\"overdue\" value=\"true\"\(query.overdue == true ? " checked" : "")> 只看超期</label><button>查询</button></form>"
        if !filters.isEmpty { body += "<p class=\"muted\">筛选：\(HTML.escape(filters.joined(separator: "；")))</p>" }
        let exportQuery = request.uri.queryParameters.filter { $0.key != "cursor" }.map { "\($0.key)=\(HTML.query(String($0.value)))" }
        body += "<p><a href=\"/api/v1/cases.csv?\(HTML.escape(exportQuery.joined(separator: "&")))\">导出CSV（全部符合条件的件）</a></p>"
        body += page.items.isEmpty ? "<p class=\"muted\">没有符合条件的信访件。</p>" : caseTable(page.items, now: now)
        if let next = page.next {
            var params = request.uri.queryParameters.filter { $0.key != "cursor" }.map { "\($0.key)=\(HTML.query(String($0.value)))" }
            params.append("cursor=\(next.encoded)")
            body += "<p><a href=\"/ui/cases?\(HTML.escape(params.joined(separator: "&")))\">下一页 ›</a></p>"
        }
        return HTML.response(HTML.page(title: "信访件", node: try scope(nil).ref(me), now: now, body: body))
    }

    // MARK: - The case page

    /// `GET /ui/cases/{caseNumber}`: the case, its deadlines, flags, conflicts, its path through
    /// the levels, and forms for what this node may do.
    @Sendable func casePage(request: Request, context: Context) async throws -> Response {
        let principal = try context.require(.readCases)
        let number = try caseNumber(context)
        let now = services.clock.now()
        let state = try await CaseController<Context>(services: services).scopedCase(number, principal: principal)
        let view = try await CaseView(state: state, services: services, now: now)
        let events = try await services.database.events(of: number)
        let r = view.state.registration
        var body = ""
        if let message = request.uri.queryParameters["msg"] { body += "<div class=\"msg\">\(HTML.escape(String(message)))</div>" }
        if let error = request.uri.queryParameters["error"] { body += "<div class=\"msg error\">\(HTML.escape(String(error)))</div>" }
        body += "<h1>信访件 \(number)</h1><table class=\"facts\">"
        func row(_ k: String, _ v: String) { body += "<tr><th>\(k)</th><td>\(v)</td></tr>" }
        row(
            "状态",
            "<span class=\"tag\">\(state.status.label)</span>" + (view.flags.isEmpty ? "" : " <span class=\"tag red\">预警 \(view.flags.count)</span>")
        )
        row("持有节点", "\(HTML.escape(nodeName(state.holder)))（自 \(state.holderSince.map(HTML.time) ?? "—")）")
        row("责任节点", HTML.escape(nodeName(state.owner)))
        row("摘要", HTML.escape(r.summary))
        row("诉求内容", HTML.escape(r.text))
        row(
            "信访人",
            HTML.escape(r.petitioners.map { Masking.name($0.name) }.joined(separator: "、"))
                + (r.collective.map { "（集体访 \($0.batches) 批 \($0.personVisits) 人次）" } ?? "")
        )
        row("形式 / 目的", "\(Self.channelLabel(r.channel))\(r.jointLetter ? "（联名信）" : "") / \(Self.purposeLabel(r.purpose))")
        row("内容分类", HTML.escape("\(r.category.level1) › \(r.category.level2) › \(r.category.level3)"))
        row("问题属地", r.issueRegion.rawValue)
        row("登记", "\(HTML.escape(nodeName(state.registeredAtNode))) \(HTML.time(state.registeredAt))，登记人 \(HTML.escape(r.registeredBy))")
        if let intake = r.intake {
            row(
                "查重结果",
                "<span class=\"tag red\">\(intake.kind.label)</span> 前件 <a href=\"/ui/cases/\(intake.earlierCase)\">\(intake.earlierCase)</a>（当时持有：\(HTML.escape(nodeName(intake.earlierHolder)))）"
            )
        }
        if !state.repeats.isEmpty {
            row("重复信访", state.repeats.map { "<a href=\"/ui/cases/\($0)\">\($0)</a>" }.joined(separator: "、"))
        }
        body += "</table><h2>期限</h2><table><tr><th>期限</th><th>届满日</th><th>完成时间</th><th>情况</th></tr>"
        for d in view.deadlines {
            let tag =
                d.overdue ? "<span class=\"tag red\">超期</span>" : d.open ? "<span class=\"tag\">进行中</span>" : "<span class=\"tag green\">已完成</span>"
            body += "<tr><td>\(d.label)</td><td>\(d.dueDate)</td><td>\(d.metAt.map(HTML.time) ?? "—")</td><td>\(tag)</td></tr>"
        }
        body += "</table>"
        if !view.flags.isEmpty {
            body += "<h2>对账预警</h2>" + flagTable(view.flags)
        }
        if !view.conflicts.isEmpty {
            body += "<h2>强制接管冲突</h2><table><tr><th>分叉位置</th><th>胜出方</th><th>失败分支</th><th>失败分支的操作</th><th>处理</th></tr>"
            for c in view.conflicts {
                body += "<tr><td>第 \(c.conflict.forkSeq) 条</td><td>\(HTML.escape(nodeName(c.conflict.winnerOrigin)))</td>"
                body += "<td>\(HTML.escape(nodeName(c.conflict.loserOrigin)))：<code>\(c.conflict.branch.prefix(12))…</code></td>"
                body += "<td>\(HTML.escape(c.losing.map(\.label).joined(separator: "、")))</td>"
                body +=
                    "<td>\(c.conflict.resolvedAt == nil ? "<span class=\"tag red\">待处理</span>" : HTML.escape(c.conflict.decision?.rawValue ?? "已处理"))</td></tr>"
            }
            body += "</table>"
        }
        body += "<h2>流转轨迹（各层级所见相同）</h2>" + timeline(events, conflicts: view.conflicts)
        body += actionForms(view, number: number)
        return HTML.response(HTML.page(title: "信访件 \(number)", node: try scope(nil).ref(me), now: now, body: body))
    }

    static func purposeLabel(_ purpose: Purpose) -> String {
        switch purpose {
        case .appeal: "申诉"
        case .request: "求决"
        case .suggestion: "意见建议"
        case .accusation: "揭发控告"
        case .other: "其他"
        }
    }

    static func channelLabel(_ channel: XinfangCore.Channel) -> String {
        switch channel {
        case .letter: "来信"
        case .visit: "来访"
        case .phone: "来电"
        case .online: "网上信访"
        }
    }

    /// The chain as a timeline: who held the case when, every handoff, command and takeover.
    func timeline(_ events: [CaseEvent], conflicts: [ConflictView]) -> String {
        var out = "<ol class=\"timeline\">"
        var holder: NodeID?
        var state: CaseState?
        for event in events {
            if state == nil { state = try? CaseState.opened(by: event) } else { try? state?.apply(event) }
            let moved = state.map { $0.holder != holder && holder != nil } ?? false
            let cls =
                event.body.kind == "takeOver" || event.body.kind == "resolveConflict"
                ? "conflict" : moved ? "move" : event.command != nil ? "cmd" : ""
            out +=
                "<li class=\"\(cls)\"><strong>\(HTML.escape(event.body.label))</strong>　\(HTML.escape(nodeName(event.origin)))　\(HTML.escape(event.actor))"
            out += "　<span class=\"muted\">\(HTML.time(event.date)) · 第 \(event.seq) 条 · 纪元 \(event.epoch)</span>"
            if let command = event.command {
                out += "<br><span class=\"tag\">指令</span>来自 \(HTML.escape(nodeName(command.origin)))（\(HTML.escape(command.actor))）"
            }
            let detail = Self.detail(of: event.body)
            if !detail.isEmpty { out += "<br>\(HTML.escape(detail))" }
            if moved, let now = state?.holder { out += "<br><span class=\"tag\">持有节点 → \(HTML.escape(nodeName(now)))</span>" }
            out += "</li>"
            holder = state?.holder
        }
        for conflict in conflicts {
            for event in conflict.losing {
                out +=
                    "<li class=\"conflict\"><span class=\"tag red\">失败分支</span><strong>\(HTML.escape(event.label))</strong>　\(HTML.escape(nodeName(event.origin)))　"
                out += "\(HTML.escape(event.actor))　<span class=\"muted\">\(HTML.time(event.at)) · 第 \(event.seq) 条</span></li>"
            }
        }
        return out + "</ol>"
    }

    /// The words of an event worth showing: its reason, note, opinion or text.
    static func detail(of body: CaseEventBody) -> String {
        switch body {
        case .register(let r): return "登记：\(r.summary)"
        case .refuse(let code, let detail): return "指令未执行（\(code)）：\(detail)"
        case .act(let action):
            switch action {
            case .offer(let to, let mode, let dueAt, let note):
                return "\(mode == .assign ? "交办" : "转送")至 \(to)" + (dueAt.map { "，期限 \(HTML.time($0))" } ?? "") + (note.map { "：\($0)" } ?? "")
            case .escalate(let to, let reason, let routing): return "上报至 \(to)：\(reason)" + (routing.map { "（\($0)）" } ?? "")
            case .decline(let reason), .reject(let reason), .returnClosure(let reason), .terminate(let reason): return reason
            case .recall(_, let reason), .takeOver(_, let reason): return reason
            case .refuseRepeat(let earlier, let reason): return reason + (earlier.map { "（前件 \($0)）" } ?? "")
            case .extend(let days, let approver, let reason): return "延期 \(days) 天，批准人 \(approver)：\(reason)"
            case .reply(let outcome, let opinion), .decideReview(let outcome, let opinion), .decideReReview(let outcome, let opinion):
                return "\(outcome.rawValue)：\(opinion)"
            case .evaluate(let office, let unit, let comment):
                return "信访部门 \(office.rawValue)，责任单位 \(unit.rawValue)" + (comment.map { "：\($0)" } ?? "")
            case .supervise(_, let dueAt, let note): return "督办：\(note)（反馈期限 \(HTML.time(dueAt))）"
            case .supervisionFeedback(let text), .comment(let text): return text
            case .requestReview(let reason, let reviewer, let routing), .requestReReview(let reason, let reviewer, let routing):
                return reason + (reviewer.map { "（复查/复核机关 \($0)）" } ?? "") + (routing.map { "（\($0)）" } ?? "")
            case .deliver(let on, let method, let signed, let note):
                return "\(on) \(method.label)，\(signed ? "已签收" : "拒收")" + (note.map { "：\($0)" } ?? "")
            case .hearing(let from, let to, let note): return "听证 \(from) 至 \(to)：\(note)"
            case .repeatPetition(let newCase, _): return "重复信访新件 \(newCase)"
            case .resolveConflict(let branch, let decision, let reason): return "\(decision.rawValue) 分支 \(branch.prefix(12))…：\(reason)"
            case .notify(let note), .verifyClosure(let note): return note ?? ""
            case .close(let report): return report ?? ""
            case .routeOut(let channel, let note): return "导入 \(channel.rawValue)" + (note.map { "：\($0)" } ?? "")
            case .accept: return ""
            }
        }
    }

    /// The fields each action's form asks for (the flat `ActionFields` names).
    static func formFields(_ action: ActionName) -> [String] {
        switch action {
        case .offer: ["to", "mode", "dueAt", "note"]
        case .notify, .verifyClosure: ["note"]
        case .decline, .reject, .returnClosure, .terminate, .escalate, .recall, .takeOver, .requestReview, .requestReReview: ["reason"]
        case .routeOut: ["channel", "note"]
        case .refuseRepeat: ["earlierCase", "reason"]
        case .extend: ["days", "approver", "reason"]
        case .reply, .decideReview, .decideReReview: ["outcome", "opinion"]
        case .close: ["report"]
        case .evaluate: ["officeRating", "unitRating", "comment"]
        case .comment, .supervisionFeedback: ["text"]
        case .supervise: ["dueAt", "note"]
        case .resolveConflict: ["branch", "decision", "reason"]
        case .deliver: ["deliveredOn", "method", "signed", "note"]
        case .hearing: ["hearingFrom", "hearingTo", "note"]
        case .accept, .repeatPetition: []
        }
    }

    func field(_ name: String) -> String {
        func select(_ label: String, _ options: [(String, String)]) -> String {
            "<label>\(label) <select name=\"\(name)\">" + options.map { "<option value=\"\($0.0)\">\(HTML.escape($0.1))</option>" }.joined()
                + "</select></label>"
        }
        switch name {
        case "to":
            let nodes = services.database.hierarchy?.topology.nodes.filter { $0.id != me } ?? []
            return select("接收节点", nodes.map { ($0.id.rawValue, "\($0.name)（\($0.id)）") })
        case "mode": return select("方式", [("assign", "交办"), ("transfer", "转送")])
        case "outcome": return select("处理结果", [("supported", "支持"), ("explained", "解释说明"), ("notSupported", "不支持")])
        case "officeRating", "unitRating":
            return select(name == "officeRating" ? "对信访部门" : "对责任单位", [("satisfied", "满意"), ("basicallySatisfied", "基本满意"), ("dissatisfied", "不满意")])
        case "decision": return select("处理", [("adopt", "采纳失败分支"), ("dismiss", "驳回失败分支")])
        case "channel": return select("导入渠道", RouteOutChannel.allCases.map { ($0.rawValue, $0.rawValue) })
        case "dueAt": return "<label>期限 <input type=\"date\" name=\"dueAt\" required></label>"
        case "deliveredOn": return "<label>送达日期 <input type=\"date\" name=\"deliveredOn\" required></label>"
        case "hearingFrom": return "<label>听证开始日期 <input type=\"date\" name=\"hearingFrom\" required></label>"
        case "hearingTo": return "<label>听证结束日期 <input type=\"date\" name=\"hearingTo\" required></label>"
        case "method": return select("送达方式", DeliveryMethod.allCases.map { ($0.rawValue, $0.label) })
        case "signed": return select("签收情况", [("true", "签收"), ("false", "拒收")])
        case "days": return "<label>延期天数 <input type=\"number\" name=\"days\" min=\"1\" max=\"30\" required></label>"
        case "approver": return "<label>批准人 <input name=\"approver\" maxlength=\"50\" required></label>"
        case "earlierCase": return "<label>前件编号 <input name=\"earlierCase\" maxlength=\"30\"></label>"
        case "branch": return "<label>失败分支首事件哈希 <input name=\"branch\" size=\"66\" maxlength=\"64\"></label>"
        default:
            let labels = ["note": "说明", "reason": "理由", "opinion": "处理意见", "report": "办结报告", "comment": "评价意见", "text": "内容"]
            return "<label style=\"display:block\">\(labels[name] ?? name)<textarea name=\"\(name)\" maxlength=\"2000\"></textarea></label>"
        }
    }

    /// One form per action this node may take now (as holder) or send (as a command).
    func actionForms(_ view: CaseView, number: CaseNumber) -> String {
        let actions = view.allowedActions + view.commandActions.filter { !view.allowedActions.contains($0) && $0 != .repeatPetition }
        guard !actions.isEmpty else { return "" }
        var out = "<h2>办理操作</h2>"
        for action in actions {
            let isCommand = !view.allowedActions.contains(action)
            out += "<details><summary>\(HTML.escape(action.label))\(isCommand ? "（作为指令发往持有节点）" : "")</summary>"
            out +=
                "<form class=\"act\" method=\"post\" action=\"/ui/cases/\(number)/actions\"><input type=\"hidden\" name=\"action\" value=\"\(action.rawValue)\">"
            out += Self.formFields(action).map(field).joined()
            out +=
                "<label>经办人 <input name=\"actor\" maxlength=\"\(ActionLimits.actorLengthMax)\" required></label><button>提交</button></form></details>"
        }
        return out
    }

    /// `POST /ui/cases/{caseNumber}/actions`: a form's action, through the same path as the API;
    /// answers with a redirect to the case page saying what happened (or why it was refused).
    @Sendable func caseAction(request: Request, context: Context) async throws -> Response {
        let number = try caseNumber(context)
        let buffer = try await request.body.collect(upTo: Self.formBytesMax)
        let form = Self.formValues(String(buffer: buffer))
        // The form's fields are the API's flat fields: decode them the way the API does.
        var object: [String: any Sendable] = form
        if let days = form["days"], let n = Int(days) { object["days"] = n }
        if let signed = form["signed"] { object["signed"] = signed == "true" }
        let input: ActionInput
        do {
            input = try APIJSON.decoder.decode(ActionInput.self, from: try JSONSerialization.data(withJSONObject: object))
        } catch {
            return HTML.redirect("/ui/cases/\(number)?error=\(HTML.query("未执行：表单内容无效（\(error)）"))")
        }
        let page = "/ui/cases/\(number)"
        do {
            switch try await CaseController<Context>.perform(input, on: number, principal: try context.requireUser(), services: services) {
            case .applied(let view):
                return HTML.redirect("\(page)?msg=\(HTML.query("已执行：\(input.fields.action ?? "")，当前状态 \(view.state.status.label)"))")
            case .commanded(let accepted): return HTML.redirect("\(page)?msg=\(HTML.query(accepted.detail))")
            }
        } catch let problem as APIProblem {
            return HTML.redirect("\(page)?error=\(HTML.query("未执行：\(problem.detail)"))")
        }
    }

    /// Decodes an `application/x-www-form-urlencoded` body; empty values are left out.
    static func formValues(_ body: String) -> [String: String] {
        var values: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = parts.first.flatMap({ String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding }) else { continue }
            let value = parts.count > 1 ? (String(parts[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "") : ""
            if !value.trimmingCharacters(in: .whitespaces).isEmpty { values[key] = value }
        }
        return values
    }

    func caseNumber(_ context: Context) throws -> CaseNumber {
        do { return try CaseNumber.validated(context.parameters.get("caseNumber") ?? "", field: "caseNumber") } catch { throw APIProblem(error) }
    }

    // MARK: - Registration (登记)

    /// `GET /ui/register`: the registration form.
    @Sendable func registerForm(request: Request, context: Context) async throws -> Response {
        _ = try context.require(.register)
        return HTML.response(registrationPage(values: [:], error: nil))
    }

    /// `POST /ui/register`: registers through the API's decoding and validation; on success to the
    /// new case's page (saying what the intake check found), else the form again with what was
    /// typed and the reason.
    @Sendable func register(request: Request, context: Context) async throws -> Response {
        let principal = try context.require(.register)
        let buffer = try await request.body.collect(upTo: Self.formBytesMax)
        let form = Self.formValues(String(buffer: buffer))
        let parts = (form["category"] ?? "").split(separator: "|").map(String.init)
        var person: [String: any Sendable] = ["name": form["name"] ?? "", "isLead": true]
        if let id = form["idNumber"] { person["idNumber"] = id }
        if let mobile = form["mobile"] { person["mobile"] = mobile }
        var object: [String: any Sendable] = [
            "channel": form["channel"] ?? "", "purpose": form["purpose"] ?? "", "issueRegion": form["issueRegion"] ?? "",
            "summary": form["summary"] ?? "", "text": form["text"] ?? "", "registeredBy": principal.actorName,
            "petitioners": [person], "lawRelated": form["lawRelated"] == "true", "urgent": form["urgent"] == "true",
            "category": ["level1": parts.first ?? "", "level2": parts.dropFirst().first ?? "", "level3": parts.dropFirst(2).first ?? ""],
        ]
        if let respondent = form["respondent"] { object["respondent"] = respondent }
        let now = services.clock.now()
        // A date from the form: today is now; an earlier day is its noon (the end of the day, as
        // the API reads a bare date, would lie in the future for today).
        if let received = form["receivedAt"], received != "\(services.database.calendar.civilDate(of: now))" {
            object["receivedAt"] = CivilDate(iso: received) == nil ? received : "\(received)T12:00:00+08:00"
        }
        do {
            let input = try APIJSON.decoder.decode(RegistrationInput.self, from: try JSONSerialization.data(withJSONObject: object))
            let registration = try input.registration(now: now)
            let (state, _) = try await services.cases.register(registration, by: principal.caseActor)
            var message = "已登记 \(state.caseNumber)，状态：\(state.status.label)"
            if let intake = state.registration.intake { message += "；查重：\(intake.kind.label)（前件 \(intake.earlierCase)）" }
            return HTML.redirect("/ui/cases/\(state.caseNumber)?msg=\(HTML.query(message))")
        } catch let failure as ValidationFailure {
            return HTML.response(registrationPage(values: form, error: failure.detail), status: .unprocessableContent)
        } catch StoreError.invalid(let failure) {
            return HTML.response(registrationPage(values: form, error: failure.detail), status: .unprocessableContent)
        } catch is DecodingError {
            return HTML.response(registrationPage(values: form, error: "收件时间必须是日期。"), status: .unprocessableContent)
        }
    }

    func registrationPage(values: [String: String], error: String?) -> String {
        func v(_ name: String) -> String { HTML.escape(values[name] ?? "") }
        func select(_ name: String, _ label: String, _ options: [(String, String)]) -> String {
            "<label>\(label) <select name=\"\(name)\">"
                + options.map { value, text in
                    "<option value=\"\(HTML.escape(value))\"\(values[name] == value ? " selected" : "")>\(HTML.escape(text))</option>"
                }.joined() + "</select></label>"
        }
        var body = "<h1>登记信访件</h1>"
        if let error { body += "<div class=\"msg error\">未登记：\(HTML.escape(error))</div>" }
        body += "<form class=\"act\" method=\"post\" action=\"/ui/register\">"
        body += select("channel", "信访形式", Channel.allCases.map { ($0.rawValue, Self.channelLabel($0)) })
        body += select("purpose", "信访目的", Purpose.allCases.map { ($0.rawValue, Self.purposeLabel($0)) })
        body += select(
            "category",
            "内容分类",
            ContentCategoryCatalog.all.map { ("\($0.level1)|\($0.level2)|\($0.level3)", "\($0.level1) › \($0.level2) › \($0.level3)") }
        )
        body +=
            "<br><label>问题属地（区划代码） <input name=\"issueRegion\" required maxlength=\"12\" value=\"\(values["issueRegion"].map(HTML.escape) ?? services.identity.area.rawValue)\"></label>"
        body += "<label>收件日期 <input type=\"date\" name=\"receivedAt\" value=\"\(v("receivedAt"))\"></label>"
        body += "<br><label>信访人姓名 <input name=\"name\" required maxlength=\"50\" value=\"\(v("name"))\"></label>"
        body += "<label>证件号码 <input name=\"idNumber\" maxlength=\"30\" value=\"\(v("idNumber"))\"></label>"
        body += "<label>手机 <input name=\"mobile\" maxlength=\"11\" value=\"\(v("mobile"))\"></label>"
        body += "<br><label>被反映人/单位 <input name=\"respondent\" maxlength=\"200\" value=\"\(v("respondent"))\"></label>"
        body += "<label style=\"display:block\">摘要<textarea name=\"summary\" required maxlength=\"500\">\(v("summary"))</textarea></label>"
        body +=
            "<label style=\"display:block\">诉求内容<textarea name=\"text\" required maxlength=\"20000\" style=\"height:120px\">\(v("text"))</textarea></label>"
        body += "<label><input type=\"checkbox\" name=\"lawRelated\" value=\"true\"\(values["lawRelated"] == "true" ? " checked" : "")> 涉法涉诉</label>"
        body += "<label><input type=\"checkbox\" name=\"urgent\" value=\"true\"\(values["urgent"] == "true" ? " checked" : "")> 重大紧急</label>"
        body += "<label>登记人 <input name=\"registeredBy\" required maxlength=\"50\" value=\"\(v("registeredBy"))\"></label>"
        body += "<button>登记</button></form><p class=\"muted\">登记时自动查重：同一信访人同一事项的，关联为重复信访；下级已受理的，按越级访转交办理机关；已复核或终结的，不再受理。</p>"
        let me = SupervisionScope.ref(services: services)
        return HTML.page(title: "登记", node: me, now: services.clock.now(), body: body)
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
        let body =
            "<h1>对账预警（\(flags.count)）</h1><p><a href=\"/api/v1/flags.csv\">导出CSV</a></p>"
            + (flags.isEmpty ? "<p class=\"muted\">没有未处理的预警。</p>" : flagTable(flags))
        return HTML.response(HTML.page(title: "对账预警", node: try scope(nil).ref(me), now: services.clock.now(), body: body))
    }

    func flagTable(_ flags: [FlagView]) -> String {
        var out = "<table><tr><th>预警</th><th>对象</th><th>节点</th><th>自</th><th>说明</th><th>处理建议</th></tr>"
        for flag in flags {
            let subject = flag.caseNumber.map { "<a href=\"/ui/cases/\($0)\">\($0)</a>" } ?? HTML.escape(flag.subject)
            out +=
                "<tr><td><span class=\"tag red\">\(HTML.escape(flag.label))</span></td><td>\(subject)</td><td>\(HTML.escape(nodeName(flag.node)))</td>"
            out += "<td>\(HTML.time(flag.since))</td><td>\(HTML.escape(flag.detail))</td><td>\(HTML.escape(flag.remedy))</td></tr>"
        }
        return out + "</table>"
    }

    /// `GET /ui/stats?from=&to=&node=`: the indicators of the subtree and of each child subtree.
    @Sendable func statsPage(request: Request, context: Context) async throws -> Response {
        _ = try context.require(.readSupervision)
        var node: NodeID?
        if let raw = request.uri.queryParameters["node"] {
            do { node = try NodeID.validated(String(raw), field: "node") } catch { throw APIProblem(error) }
        }
        let scope = try scope(node)
        let now = services.clock.now()
        let (from, to) = try SupervisionController<Context>.period(request, today: services.database.calendar.civilDate(of: now))
        let report = try await StatsReport(scope: scope, database: services.database, from: from, to: to, now: now)
        var body = crumbs(scope) + "<h1>考核指标　\(HTML.escape(report.node.name))（\(from) 至 \(to)）</h1>"
        body += "<form method=\"get\" class=\"act\"><input type=\"hidden\" name=\"node\" value=\"\(scope.root)\">"
        body +=
            "<label>自 <input type=\"date\" name=\"from\" value=\"\(from)\"></label><label>至 <input type=\"date\" name=\"to\" value=\"\(to)\"></label><button>统计</button></form>"
        body += "<div class=\"grid\">" + panel("辖区合计", indicatorChart(report.subtree.indicators)) + "</div>"
        let rows = [StatsEntry(node: report.node, stats: report.subtree)] + report.children
        body +=
            "<h2>分辖区</h2><table id=\"stats\"><tr><th>辖区</th><th class=\"n\">登记</th><th class=\"n\">网信</th><th class=\"n\">重复</th><th class=\"n\">越级</th>"
        body += "<th class=\"n\">集体访批/人次</th><th class=\"n\">联名信</th><th class=\"n\">及时受理率</th><th class=\"n\">按期办结率</th><th class=\"n\">参评率</th>"
        body += "<th class=\"n\">部门满意率</th><th class=\"n\">单位满意率</th><th class=\"n\">重复率</th><th class=\"n\">网信占比</th></tr>"
        for (i, entry) in rows.enumerated() {
            let c = entry.stats.counts
            let x = entry.stats.indicators
            let name = i == 0 ? "合计" : "<a href=\"/ui/stats?node=\(entry.node.id)&amp;from=\(from)&amp;to=\(to)\">\(HTML.escape(entry.node.name))</a>"
            body += "<tr><td>\(name)</td><td class=\"n\">\(c.registered)</td><td class=\"n\">\(c.online)</td><td class=\"n\">\(c.repeats)</td>"
            body +=
                "<td class=\"n\">\(c.skipLevel)</td><td class=\"n\">\(c.collectiveBatches)/\(c.collectivePersons)</td><td class=\"n\">\(c.jointLetters)</td>"
            for rate in [
                x.timelyAcceptanceRate, x.onTimeClosureRate, x.evaluationRate, x.officeSatisfactionRate, x.unitSatisfactionRate, x.repeatRate,
                x.onlineShare,
            ] {
                body += "<td class=\"n\">\(HTML.percent(rate))</td>"
            }
            body += "</tr>"
        }
        body +=
            "</table><p><a href=\"/api/v1/stats.csv?node=\(scope.root)&amp;from=\(from)&amp;to=\(to)\">导出CSV</a></p><p class=\"muted\">口径：及时受理率按登记后15日届满日落在期间内的件；按期办结率按限办截止日落在期间内的件；参评率、满意率按评价时间；比率不含涉法涉诉件。</p>"
        return HTML.response(HTML.page(title: "考核指标", node: scope.ref(me), now: now, body: body))
    }
}
