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
        return Frame(
            title: title,
            node: node.name,
            level: node.levelLabel,
            viewer: HTML.viewer,
            generatedAt: HTML.time(services.clock.now()) + "（北京时间）"
        )
    }

    func nodeName(_ id: NodeID) -> String {
        services.database.hierarchy?.topology.node(id)?.name ?? (id == me ? services.identity.name : id.rawValue)
    }

    /// A region as officers name it: the area of the narrowest node that covers it (芙蓉区), and
    /// "辖内" when the region lies below it; the code only when no node covers it.
    func regionName(_ region: RegionCode) -> String {
        let covering = (services.database.hierarchy?.topology.nodes ?? []).filter { region.isWithin($0.area) }
        guard let node = covering.max(by: { $0.area.significantPrefix.count < $1.area.significantPrefix.count }) else { return region.rawValue }
        let area = HTML.shortName(node.name)
        return node.area == region ? area : "\(area)辖内"
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

    /// The dashboard's list of the cases behind a figure: the same filters as `GET /api/v1/cases`.
    static func casesHref(_ filters: [(String, String)]) -> String {
        "/ui/cases?" + filters.map { "\($0.0)=\(HTML.query($0.1))" }.joined(separator: "&")
    }

    func overview(_ scope: SupervisionScope) async throws -> OverviewPage {
        let now = services.clock.now()
        let database = services.database
        let today = database.calendar.civilDate(of: now)
        let yearStart = CivilDate(year: today.year, month: 1, day: 1) ?? today
        // Independent reads, run side by side (each its own read transaction): the page takes the
        // time of the longest, the backlog, not the sum.
        async let statsReport = StatsReport(scope: scope, database: database, from: yearStart, to: today, now: now)
        async let trend = trendPanel(scope, today: today)
        async let held = heldCases(scope.root, now: now)
        let backlog = try await BacklogReport(scope: scope, services: services, now: now)
        let stats = try await statsReport
        let s = backlog.subtree.counts
        let within = ("within", scope.root.rawValue)
        let panels = [
            Panel(title: "在办件（按辖区，含本级）", svg: SVGChart.bars(areaBars(backlog, scope: scope))),
            Panel(
                title: "在办件已历时（自收件日期起算）",
                svg: SVGChart.bars(
                    AgeBucket.allCases.map { bucket in
                        SVGChart.Bar(
                            label: bucket.label,
                            value: s.byAge[bucket.rawValue] ?? 0,
                            href: Self.casesHref([within, ("open", "true")] + Self.ageFilter(bucket))
                        )
                    },
                    color: "#d97706"
                )
            ),
            try await trend,
            Panel(
                title: "考核指标（\(yearStart) 至 \(today)）",
                svg: indicatorChart(stats.subtree.indicators),
                link: Link(href: "/ui/stats?node=\(scope.root)", text: "查看指标明细")
            ),
        ]
        var childRows = backlog.children.map { BacklogLine(entry: $0, filter: ("within", $0.node.id.rawValue), name: $0.node.name) }
        if !childRows.isEmpty {
            childRows.insert(
                BacklogLine(
                    entry: BacklogEntry(node: backlog.node, counts: backlog.own),
                    filter: ("holder", scope.root.rawValue),
                    name: "本级（\(backlog.node.name)）",
                    isOwn: true
                ),
                at: 0
            )
        }
        let total = BacklogLine(entry: BacklogEntry(node: backlog.node, counts: backlog.subtree), filter: within, name: "合计")
        return OverviewPage(
            frame: frame("辖区在办情况", node: scope.ref(me)),
            crumbs: crumbs(scope),
            name: backlog.node.name,
            root: scope.root.rawValue,
            cards: cards(s, root: scope.root),
            yellowDays: services.yellowWorkingDays,
            children: childRows.isEmpty ? nil : backlogTable(childRows, total: total, tableID: "children"),
            nodes: backlogTable(
                backlog.nodes.map { BacklogLine(entry: $0, filter: ("holder", $0.node.id.rawValue), name: $0.node.name) },
                total: total,
                tableID: "nodes"
            ),
            panels: panels,
            held: try await held,
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

    /// The landing page's figures, each linking to the list of its cases (or flags).
    func cards(_ s: BacklogCounts, root: NodeID) -> [Card] {
        let within = ("within", root.rawValue)
        func card(_ label: String, _ value: Int, _ id: String, alert: Bool = false, _ filter: [(String, String)]) -> Card {
            Card(label: label, value: value, id: id, alert: alert && value > 0, href: Self.casesHref([within] + filter))
        }
        return [
            card("在办件", s.open, "open", [("open", "true")]),
            card("超期（红灯）", s.overdue, "overdue", alert: true, [("light", "red")]),
            card("临期（\(services.yellowWorkingDays)个工作日内）", s.dueSoon, "dueSoon", [("light", "yellow")]),
            card("正常（绿灯）", s.onTime, "onTime", [("light", "green")]),
            card("交办待报结", s.awaitingClosureReport, "awaitingClosureReport", [("awaitingReport", "true")]),
            card("督办待反馈", s.awaitingSupervisionFeedback, "awaitingSupervisionFeedback", [("awaitingFeedback", "true")]),
            card("督办反馈超期", s.supervisionFeedbackOverdue, "supervisionFeedbackOverdue", alert: true, [("feedbackOverdue", "true")]),
            Card(label: "滞留/冲突预警", value: s.stuck, id: "stuck", alert: s.stuck > 0, href: "/ui/flags?node=\(root)"),
            Card(label: "全部预警", value: s.flags, id: "flags", alert: s.flags > 0, href: "/ui/flags?node=\(root)"),
        ]
    }

    /// Open cases per child subtree and the node's own (本级), so the bars add up to the whole;
    /// per node for a node without children.
    func areaBars(_ backlog: BacklogReport, scope: SupervisionScope) -> [SVGChart.Bar] {
        guard !backlog.children.isEmpty else {
            return backlog.nodes.map {
                SVGChart.Bar(
                    label: HTML.shortName($0.node.name),
                    value: $0.counts.counts.open,
                    href: Self.casesHref([("holder", $0.node.id.rawValue), ("open", "true")])
                )
            }
        }
        let own = SVGChart.Bar(
            label: "本级",
            value: backlog.own.counts.open,
            href: Self.casesHref([("holder", scope.root.rawValue), ("open", "true")])
        )
        return [own]
            + backlog.children.map {
                SVGChart.Bar(
                    label: HTML.shortName($0.node.name),
                    value: $0.counts.counts.open,
                    href: Self.casesHref([("within", $0.node.id.rawValue), ("open", "true")])
                )
            }
    }

    /// The list filters of an ageing bucket.
    static func ageFilter(_ bucket: AgeBucket) -> [(String, String)] {
        let next = AgeBucket.allCases.firstIndex(of: bucket).map { $0 + 1 }.flatMap { $0 < AgeBucket.allCases.count ? AgeBucket.allCases[$0] : nil }
        return [("ageFrom", String(bucket.firstDay))] + (next.map { [("ageTo", String($0.firstDay - 1))] } ?? [])
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
        let registered = months.map { m in inScope.reduce(0) { $0 + ($1[m]?.received ?? 0) } }
        let closed = months.map { m in inScope.reduce(0) { $0 + ($1[m]?.closed ?? 0) } }
        return Panel(title: "近12个月收件与办结（收件按收件日期计）", svg: SVGChart.grouped(periods: months, series: [("收件", registered), ("办结", closed)]))
    }

    /// One row of a backlog table: whose counts, the list filter that finds its cases, its name.
    struct BacklogLine {
        var entry: BacklogEntry
        var filter: (String, String)
        var name: String
        var isOwn = false
    }

    /// The rows and their total (合计, which equals the sum of the rows); every cell links to the
    /// cases (or flags) behind it.
    func backlogTable(_ lines: [BacklogLine], total: BacklogLine, tableID: String) -> BacklogTable {
        func row(_ line: BacklogLine, isTotal: Bool) -> BacklogRow {
            let c = line.entry.counts.counts
            let id = line.entry.node.id
            let base = [line.filter]
            func cell(_ value: Int, _ cls: String, alert: Bool = false, _ filter: [(String, String)]) -> Cell {
                Cell(cls: alert && value > 0 ? "\(cls) alert" : cls, value: value, href: Self.casesHref(base + filter))
            }
            let flags = "/ui/flags?node=\(id)"
            return BacklogRow(
                rowID: isTotal ? "\(tableID)-total" : "\(tableID)-\(line.isOwn ? "own-" : "")\(id)",
                href: isTotal ? nil : (id == me ? "/" : "/ui/nodes/\(id)"),
                name: line.name,
                level: isTotal ? "" : line.entry.node.levelLabel,
                cells: [
                    cell(c.open, "open", [("open", "true")]),
                    cell(c.overdue, "overdue", alert: true, [("light", "red")]),
                    cell(c.dueSoon, "dueSoon", [("light", "yellow")]),
                    Cell(cls: c.stuck > 0 ? "stuck alert" : "stuck", value: c.stuck, href: flags, wide: true),
                    Cell(cls: c.flags > 0 ? "flags alert" : "flags", value: c.flags, href: flags, wide: true),
                    cell(c.awaitingClosureReport, "awaitingClosureReport", [("awaitingReport", "true")]),
                    cell(c.awaitingSupervisionFeedback, "awaitingSupervisionFeedback", [("awaitingFeedback", "true")]),
                    Cell(
                        cls: (c.byAge[AgeBucket.over90.rawValue] ?? 0) > 0 ? "over90 alert" : "over90",
                        value: c.byAge[AgeBucket.over90.rawValue] ?? 0,
                        href: Self.casesHref(base + [("open", "true")] + Self.ageFilter(.over90)),
                        wide: true
                    ),
                ],
                isTotal: isTotal
            )
        }
        return BacklogTable(tableID: tableID, rows: lines.map { row($0, isTotal: false) } + [row(total, isTotal: true)])
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
        overdue.open = true
        overdue.overdue = true
        overdue.limit = 20
        var open = overdue
        open.overdue = false
        let late = try await services.database.cases(matching: overdue, now: now).items
        let rest = try await services.database.cases(matching: open, now: now).items
        guard !(late.isEmpty && rest.isEmpty) else { return nil }
        return HeldCases(title: "\(nodeName(node))持有的在办件（超期在前）", table: caseTable(late + rest, now: now), node: node.rawValue)
    }

    /// The columns of a case table: the label, the order it sorts by (nil: not sortable), and
    /// whether a phone's narrow screen leaves it out.
    static let caseColumns: [(label: String, sort: CaseSort?, wide: Bool)] = [
        ("灯", .due, false), ("信访件编号", .number, false), ("摘要", nil, false), ("状态", .status, true), ("办理机关", .holder, true),
        ("收件日期", .received, true), ("已历时", .received, true), ("下一期限", .due, false), ("超期天数", .due, false),
    ]

    /// A table of cases; with `sortHref`, each sortable header links to the list in its order
    /// (`current` marked, a second click reversing it).
    func caseTable(_ cases: [CaseState], now: Date, sortHref: ((CaseSort, Bool) -> String)? = nil, current: (CaseSort, Bool)? = nil) -> CaseTable {
        let calendar = services.database.calendar
        let lights = services.lights(now: now)
        let headers = Self.caseColumns.map { column -> CaseHeader in
            guard let sort = column.sort, let sortHref else {
                return CaseHeader(label: column.label, cls: column.wide ? "wide" : "", href: nil, mark: "")
            }
            let isCurrent = current?.0 == sort
            let reversed = isCurrent ? !(current?.1 ?? false) : false
            let descending = sort.descendingByDefault != (current?.1 ?? false)
            return CaseHeader(
                label: column.label,
                cls: column.wide ? "wide" : "",
                href: sortHref(sort, reversed),
                mark: isCurrent ? (descending ? " ▼" : " ▲") : ""
            )
        }
        return CaseTable(
            headers: headers,
            rows: cases.map { state in
                let view = CaseSummaryView(state, calendar: calendar, now: now, lights: lights)
                return CaseRow(
                    light: view.light?.rawValue ?? "none",
                    lightLabel: view.light?.label ?? "已结",
                    number: state.caseNumber.rawValue,
                    summary: state.registration.summary,
                    status: state.status.label,
                    holder: nodeName(state.holder),
                    received: "\(calendar.civilDate(of: state.registration.receivedAt))",
                    age: view.ageDays,
                    due: view.nextDeadline.map { "\($0.label) \($0.dueDate)" },
                    daysOverdue: view.daysOverdue > 0 ? view.daysOverdue : nil
                )
            }
        )
    }

    /// The filters of a case list in the officer's words (names, not codes).
    func describe(_ query: CaseQuery, within: NodeID?) -> [String] {
        var filters: [String] = []
        if let within { filters.append("辖区：\(nodeName(within))（含下级）") }
        if let holder = query.holder { filters.append("办理机关：\(nodeName(holder))") }
        if let unit = query.unit { filters.append("承办单位：\(nodeName(unit))") }
        if let open = query.open { filters.append(open ? "在办" : "已结") }
        if query.overdue == true { filters.append("超期") }
        if let light = query.light { filters.append(light == .yellow ? "临期（\(services.yellowWorkingDays)个工作日内到期）" : "\(light.label)") }
        if query.awaitingClosureReport == true { filters.append("交办待报结") }
        if query.awaitingFeedback == true { filters.append("督办待反馈") }
        if query.feedbackOverdue == true { filters.append("督办反馈超期") }
        switch (query.ageFrom, query.ageTo) {
        case (let from?, let to?): filters.append("收件已历时 \(from)–\(to) 天")
        case (let from?, nil): filters.append("收件已历时 \(from) 天以上")
        case (nil, let to?): filters.append("收件已历时 \(to) 天以内")
        default: break
        }
        if query.receivedFrom != nil || query.receivedTo != nil {
            filters.append("收件日期 \(query.receivedFrom.map { "\($0)" } ?? "…") 至 \(query.receivedTo.map { "\($0)" } ?? "…")")
        }
        if !query.statuses.isEmpty { filters.append("状态：" + query.statuses.map(\.label).joined(separator: "、")) }
        if let region = query.region { filters.append("问题属地：\(regionName(region))") }
        if let category = query.category { filters.append("内容分类：\(category)") }
        if query.skipLevel == true { filters.append("越级访") }
        if let text = query.text { filters.append("关键词：\(text)") }
        return filters
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
