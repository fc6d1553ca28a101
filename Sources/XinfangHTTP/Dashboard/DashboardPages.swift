import Foundation
import XinfangCore
import XinfangStore

/// Builds the dashboard's page models from the same reports as the API (`BacklogReport`,
/// `StatsReport`, the case view), so a page and `GET /api/v1/…` always agree.
struct DashboardPages {
    let services: NodeServices

    var me: NodeID { services.identity.id }

    func frame(_ title: String, node: NodeRef? = nil) -> Frame {
        let node = node ?? SupervisionScope.ref(services: services)
        return Frame(title: title, node: node.name, level: node.levelLabel, viewer: HTML.viewer, generatedAt: APIJSON.format(services.clock.now()))
    }

    func nodeName(_ id: NodeID) -> String {
        services.database.hierarchy?.topology.node(id)?.name ?? (id == me ? services.identity.name : id.rawValue)
    }

    func crumbs(_ scope: SupervisionScope) -> Crumbs? {
        guard scope.root != me else { return nil }
        let path = (scope.topology?.ancestors(of: scope.root) ?? []).reversed().filter { scope.topology?.isInSubtree($0, of: me) ?? false }
        return Crumbs(
            links: path.map { Link(href: $0 == me ? "/" : "/ui/nodes/\($0)", text: scope.ref($0).name) },
            current: scope.ref(scope.root).name
        )
    }

    // MARK: Overview

    func overview(_ scope: SupervisionScope) async throws -> OverviewPage {
        let now = services.clock.now()
        let database = services.database
        let backlog = try await BacklogReport(scope: scope, database: database, now: now)
        let today = database.calendar.civilDate(of: now)
        let yearStart = CivilDate(year: today.year, month: 1, day: 1) ?? today
        let stats = try await StatsReport(scope: scope, database: database, from: yearStart, to: today, now: now)
        let s = backlog.subtree.counts
        let cards = [
            Card(label: "在办件", value: s.open, id: "open", alert: false),
            Card(label: "超期件", value: s.overdue, id: "overdue", alert: s.overdue > 0, href: "/ui/cases?overdue=true"),
            Card(label: "滞留/冲突预警", value: s.stuck, id: "stuck", alert: s.stuck > 0, href: "/ui/flags"),
            Card(label: "全部预警", value: s.flags, id: "flags", alert: s.flags > 0, href: "/ui/flags"),
            Card(label: "交办待报结", value: s.awaitingClosureReport, id: "awaitingClosureReport", alert: false),
            Card(label: "督办待反馈", value: s.awaitingSupervisionFeedback, id: "awaitingSupervisionFeedback", alert: false),
            Card(
                label: "督办反馈超期",
                value: s.supervisionFeedbackOverdue,
                id: "supervisionFeedbackOverdue",
                alert: s.supervisionFeedbackOverdue > 0
            ),
        ]
        let barItems = (backlog.children.isEmpty ? backlog.nodes : backlog.children).map {
            SVGChart.Bar(label: HTML.shortName($0.node.name), value: $0.counts.counts.open, href: "/ui/nodes/\($0.node.id)")
        }
        let ages = AgeBucket.allCases.map { SVGChart.Bar(label: $0.label, value: s.byAge[$0.rawValue] ?? 0, href: nil) }
        let panels = [
            Panel(title: "在办件（按辖区）", svg: SVGChart.bars(barItems)),
            Panel(title: "在办时长（当前持有节点持有天数）", svg: SVGChart.bars(ages, color: "#d97706")),
            try await trendPanel(scope, today: today),
            Panel(
                title: "考核指标（\(yearStart) 至 \(today)）",
                svg: indicatorChart(stats.subtree.indicators),
                link: Link(href: "/ui/stats?node=\(scope.root)", text: "查看指标明细")
            ),
        ]
        return OverviewPage(
            frame: frame("辖区在办情况", node: scope.ref(me)),
            crumbs: crumbs(scope),
            name: backlog.node.name,
            root: scope.root.rawValue,
            cards: cards,
            children: backlog.children.isEmpty ? nil : backlogTable(backlog.children, linkCases: false, tableID: "children"),
            nodes: backlogTable(backlog.nodes, linkCases: true, tableID: "nodes"),
            panels: panels,
            held: try await heldCases(scope.root, now: now),
            moved: backlog.movedMost.map {
                MovedRow(
                    number: $0.caseNumber.rawValue,
                    summary: $0.summary,
                    moves: $0.moves,
                    holder: scope.ref($0.holder).name,
                    status: $0.status.label
                )
            }
        )
    }

    /// Registrations and closures of the last 12 months in the scope.
    func trendPanel(_ scope: SupervisionScope, today: CivilDate) async throws -> Panel {
        let database = services.database
        let firstMonth = CivilDate(year: today.month == 12 ? today.year : today.year - 1, month: today.month % 12 + 1, day: 1) ?? today
        let trend = try await database.monthlyTrend(since: firstMonth.startOfDay(utcOffsetSeconds: database.calendar.utcOffsetSeconds))
        var months: [String] = []
        var month = firstMonth
        for _ in 0..<12 {
            months.append(String(month.description.prefix(7)))
            month = CivilDate(year: month.month == 12 ? month.year + 1 : month.year, month: month.month % 12 + 1, day: 1) ?? month
        }
        let inScope = trend.filter { scope.contains($0.key) }.values
        let registered = months.map { m in inScope.reduce(0) { $0 + ($1[m]?.registered ?? 0) } }
        let closed = months.map { m in inScope.reduce(0) { $0 + ($1[m]?.closed ?? 0) } }
        return Panel(title: "近12个月受理与办结", svg: SVGChart.grouped(periods: months, series: [("登记", registered), ("办结", closed)]))
    }

    /// One row per node: the figures the API's `children` or `nodes` entries carry.
    func backlogTable(_ entries: [BacklogEntry], linkCases: Bool, tableID: String) -> BacklogTable {
        BacklogTable(
            tableID: tableID,
            linkCases: linkCases,
            rows: entries.map { entry in
                let c = entry.counts.counts
                let id = entry.node.id
                func cell(_ value: Int, _ cls: String, alert: Bool = false) -> Cell {
                    Cell(cls: alert && value > 0 ? "\(cls) alert" : cls, value: value)
                }
                return BacklogRow(
                    rowID: "\(tableID)-\(id)",
                    href: id == me ? "/" : "/ui/nodes/\(id)",
                    name: entry.node.name,
                    level: entry.node.levelLabel,
                    cells: [
                        cell(c.open, "open"), cell(c.overdue, "overdue", alert: true), cell(c.stuck, "stuck", alert: true),
                        cell(c.flags, "flags", alert: true), cell(c.awaitingClosureReport, "awaitingClosureReport"),
                        cell(c.awaitingSupervisionFeedback, "awaitingSupervisionFeedback"),
                        cell(c.byAge[AgeBucket.over90.rawValue] ?? 0, "over90", alert: true),
                    ],
                    casesOf: linkCases ? id.rawValue : nil
                )
            }
        )
    }

    func indicatorChart(_ i: Indicators) -> String {
        typealias T = IndicatorTargets
        let targets = [T.timelyAcceptanceRate, T.onTimeClosureRate, T.evaluationRate, T.satisfactionRate, T.satisfactionRate, nil, nil]
        let rates = i.rates
        return SVGChart.rates(Indicators.rateLabels.indices.map { (Indicators.rateLabels[$0], rates[$0], targets[$0]) })
    }

    /// The open cases the node holds, overdue ones first.
    func heldCases(_ node: NodeID, now: Date) async throws -> HeldCases? {
        var overdue = CaseQuery()
        overdue.holder = node
        overdue.overdue = true
        overdue.limit = 20
        var open = overdue
        open.overdue = false
        let late = try await services.database.cases(matching: overdue, now: now).items.filter(\.isBacklog)
        let rest = try await services.database.cases(matching: open, now: now).items.filter(\.isBacklog)
        guard !(late.isEmpty && rest.isEmpty) else { return nil }
        return HeldCases(title: "\(nodeName(node))持有的在办件（超期在前）", table: caseTable(late + rest, now: now), node: node.rawValue)
    }

    func caseTable(_ cases: [CaseState], now: Date) -> CaseTable {
        let calendar = services.database.calendar
        return CaseTable(
            rows: cases.map { state in
                let due = state.nextObligation(calendar: calendar)
                return CaseRow(
                    number: state.caseNumber.rawValue,
                    summary: state.registration.summary,
                    status: state.status.label,
                    holder: nodeName(state.holder),
                    registered: "\(calendar.civilDate(of: state.registeredAt))",
                    due: due.map { "\($0.kind.label) \($0.dueDate)" },
                    late: due.map { now > $0.dueAt } ?? false
                )
            }
        )
    }

    func flagTable(_ flags: [FlagView]) -> FlagTable? {
        guard !flags.isEmpty else { return nil }
        return FlagTable(
            rows: flags.map {
                FlagRow(
                    label: $0.label,
                    caseNumber: $0.caseNumber?.rawValue,
                    subject: $0.subject,
                    node: nodeName($0.node),
                    since: HTML.time($0.since),
                    detail: $0.detail,
                    remedy: $0.remedy
                )
            }
        )
    }

    // MARK: Statistics

    func stats(_ report: StatsReport, scope: SupervisionScope, from: CivilDate, to: CivilDate) -> StatsPage {
        let rows = [StatsEntry(node: report.node, stats: report.subtree)] + report.children
        return StatsPage(
            frame: frame("考核指标", node: scope.ref(me)),
            crumbs: crumbs(scope),
            name: report.node.name,
            from: "\(from)",
            to: "\(to)",
            root: scope.root.rawValue,
            panel: Panel(title: "辖区合计", svg: indicatorChart(report.subtree.indicators)),
            rows: rows.enumerated().map { i, entry in
                let c = entry.stats.counts
                return StatsRow(
                    name: i == 0 ? "合计" : entry.node.name,
                    href: i == 0 ? nil : "/ui/stats?node=\(entry.node.id)&from=\(from)&to=\(to)",
                    counts: [c.registered, c.online, c.repeats, c.skipLevel].map(String.init)
                        + ["\(c.collectiveBatches)/\(c.collectivePersons)", String(c.jointLetters)],
                    rates: entry.stats.indicators.rates.map(HTML.percent)
                )
            }
        )
    }
}
