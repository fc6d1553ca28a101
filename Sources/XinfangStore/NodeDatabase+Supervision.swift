public import Foundation
import GRDB
public import XinfangCore

/// A case that changed hands often: the backlog's "moved between levels most often" list.
public struct MovedCase: Codable, Equatable, Sendable {
    public var caseNumber: CaseNumber
    public var moves: Int
    public var holder: NodeID
    public var unit: NodeID
    public var status: CaseStatus
    public var summary: String
}

extension NodeDatabase {
    /// The open work of every holder this store knows of, and the open flags about each node.
    /// Ages count whole civil days from the receipt (收件日期); an unmet deadline ending by
    /// `lights.yellowUntil` is due soon (临期, `DueLight.yellow`).
    ///
    /// One read transaction: one pass over the partial index of open cases (`cases_open`) in its
    /// order, and the open flags, so its cost grows with the open work, not with the history.
    public func backlog(now: Date, lights: DueLightRule) async throws -> [NodeID: BacklogCounts] {
        let nowMs = now.milliseconds
        let boundaries = AgeBucket.allCases.dropFirst()
        let sql = backlogPassSQL(now: now)
        return try await read { db in
            var result: [NodeID: BacklogCounts] = [:]
            let rows = try db.rows(sql, arguments: [nowMs, nowMs, lights.yellowUntil.milliseconds, nowMs], cached: false)
            for row in rows {
                let status: String = row["status"]
                let n: Int = row["n"]
                var counts = result[NodeID(row["holder"] as String), default: BacklogCounts()]
                counts.open += n
                counts.byStatus[status, default: 0] += n
                if let phase = CaseStatus(rawValue: status)?.backlogPhase { counts.byPhase[phase.rawValue, default: 0] += n }
                // Received at least each boundary's days ago, cumulatively: a bucket is the difference of two.
                var atLeast = [n] + boundaries.map { row["age_\($0.firstDay)"] as Int }
                atLeast.append(0)
                for (i, bucket) in AgeBucket.allCases.enumerated() where atLeast[i] > atLeast[i + 1] {
                    counts.byAge[bucket.rawValue, default: 0] += atLeast[i] - atLeast[i + 1]
                }
                let overdue = row["overdue"] as Int? ?? 0
                counts.overdue += overdue
                if overdue > 0, let kind = row["next_due_kind"] as String? { counts.overdueByKind[kind, default: 0] += overdue }
                counts.dueSoon += (row["due_soon"] as Int? ?? 0)
                counts.awaitingClosureReport += row["assigned"] as Int
                counts.awaitingSupervisionFeedback += row["supervised"] as Int
                counts.supervisionFeedbackOverdue += (row["supervision_overdue"] as Int? ?? 0)
                result[NodeID(row["holder"] as String)] = counts
            }
            // A condition may be both computed here and reported by a child: count it once.
            let flags = try db.fetchAll(
                """
                SELECT node, kind, COUNT(DISTINCT subject || '|' || detail_key) AS n FROM flags
                WHERE cleared_at IS NULL GROUP BY node, kind
                """
            )
            for row in flags {
                let kind: String = row["kind"]
                result[NodeID(row["node"] as String), default: BacklogCounts()].flagsByKind[kind, default: 0] += row["n"] as Int
            }
            return result
        }
    }

    /// The backlog's pass at `now`, whose arguments are now, now and the end of 临期, now.
    ///
    /// One streaming pass in the index's order (holder, status, next_due_kind; migration 020): no
    /// expression in the GROUP BY, and cumulative conditions (received at least b days ago), which
    /// are cheaper than ranges. Grouping by the deadline's kind too gives the overdue cases by kind
    /// in the same pass (a second query scanned the index again and sorted). A comparison with
    /// NULL is NULL, which SUM and COUNT skip: no `IS NOT NULL` beside each (a third of the pass's
    /// time at a province); a group with none sums to NULL, read as 0.
    func backlogPassSQL(now: Date) -> String {
        let ageSums = AgeBucket.allCases.dropFirst().map {
            "\(dialect.count(where: "petition_received_at < \(receivedBefore(ageAtLeast: $0.firstDay, now: now).milliseconds)")) AS age_\($0.firstDay)"
        }.joined(separator: ", ")
        return """
            SELECT holder, status, next_due_kind, COUNT(*) AS n, \(ageSums),
                \(dialect.count(where: "next_due_at < ?")) AS overdue,
                \(dialect.count(where: "next_due_at BETWEEN ? AND ?")) AS due_soon,
                COUNT(assigned_by) AS assigned,
                COUNT(supervision_due_at) AS supervised,
                \(dialect.count(where: "supervision_due_at < ?")) AS supervision_overdue
            FROM cases WHERE is_open = 1 GROUP BY holder, status, next_due_kind
            """
    }

    /// The instant before which a receipt is at least `days` whole civil days old at `now`: the
    /// start of the day `days - 1` days before today (age 0 is today).
    public func receivedBefore(ageAtLeast days: Int, now: Date) -> Date {
        calendar.startOfDay(calendar.civilDate(of: now).adding(days: 1 - days))
    }

    /// The open cases that changed hands most often (at least twice), most first, whose holder or
    /// unit lies in `subtree` when given (an index in that order: a page of rows, not a sort).
    public func movedMost(in subtree: Set<NodeID>?, limit: Int) async throws -> [MovedCase] {
        let scanMax = 2_000
        return try await read { db in
            var result: [MovedCase] = []
            let rows = try db.fetchAll(
                """
                SELECT case_number, moves, holder, unit_node, status, summary FROM cases
                WHERE is_open = 1 AND moves >= 2 ORDER BY moves DESC, case_number LIMIT ?
                """,
                [scanMax]
            )
            for row in rows where result.count < limit {
                let holder = NodeID(row["holder"] as String)
                let unit = NodeID(row["unit_node"] as String)
                if let subtree, !subtree.contains(holder), !subtree.contains(unit) { continue }
                result.append(
                    MovedCase(
                        caseNumber: CaseNumber(rawValue: row["case_number"]),
                        moves: row["moves"],
                        holder: holder,
                        unit: unit,
                        status: CaseStatus(rawValue: row["status"]) ?? .registered,
                        summary: row["summary"]
                    )
                )
            }
            return result
        }
    }

    /// The indicator counts of the period `[from, to)`, per unit (`CaseState.statisticsUnit`), at `now`.
    ///
    /// One read transaction. A period of whole civil days is answered from `daily_counts` (whole
    /// months from the monthly rows, the edges from the daily ones), except what depends on `now`
    /// (the overdue counts) from today on, which is counted from `cases`; any other period is
    /// counted from `cases`, each population a range over its own indexed time column.
    public func indicatorCounts(from: Date, to: Date, now: Date) async throws -> [NodeID: IndicatorCounts] {
        let offsetMs = Int64(calendar.utcOffsetSeconds) * 1000
        return try await read { db in
            try Self.indicatorCounts(db, from: from.milliseconds, to: to.milliseconds, now: now.milliseconds, offsetMs: offsetMs)
        }
    }

    /// The same counts by scanning `cases` only (the reference the daily counts must equal).
    public func indicatorCountsScanning(from: Date, to: Date, now: Date) async throws -> [NodeID: IndicatorCounts] {
        try await read { db in
            var result: [NodeID: IndicatorCounts] = [:]
            try Self.scanCounts(
                db,
                from: from.milliseconds,
                to: to.milliseconds,
                now: now.milliseconds,
                populations: Set(Population.allCases),
                into: &result
            )
            return result
        }
    }

    /// The groups of cases the indicators count, each over its own time column.
    enum Population: CaseIterable {
        case registrations, acceptance, closure, evaluations, unevaluated
    }

    static func indicatorCounts(
        _ db: some SQLSession,
        from fromMs: Int64,
        to toMs: Int64,
        now nowMs: Int64,
        offsetMs: Int64
    ) throws -> [NodeID: IndicatorCounts] {
        var result: [NodeID: IndicatorCounts] = [:]
        let day = IndicatorRules.dayMs
        let fromAligned: Bool = (fromMs + offsetMs) % day == 0 && fromMs + offsetMs >= 0
        let toAligned: Bool = (toMs + offsetMs) % day == 0
        let counted: Bool = try DailyCounts.areCurrent(db, offsetMs: offsetMs)
        guard fromAligned, toAligned, counted, fromMs < toMs else {
            try scanCounts(db, from: fromMs, to: toMs, now: nowMs, populations: Set(Population.allCases), into: &result)
            return result
        }
        let fromDay = (fromMs + offsetMs) / day
        let toDay = (toMs + offsetMs) / day
        // Days before today are over: whatever is still undone on them is overdue now.
        let today = (nowMs + offsetMs) / day
        let split = min(max(today, fromDay), toDay)
        try addDailyCounts(
            db,
            [
                DailySpan(measures: ["registered", "category", "evaluated"], fromDay: fromDay, toDay: toDay),
                DailySpan(measures: ["acceptance", "closure", "evaluationDue"], fromDay: fromDay, toDay: split),
            ],
            into: &result
        )
        if split < toDay {
            try scanCounts(db, from: split * day - offsetMs, to: toMs, now: nowMs, populations: [.acceptance, .closure, .unevaluated], into: &result)
        }
        return result
    }

    /// Some measures of `daily_counts` over the days `[fromDay, toDay)` (civil day numbers).
    struct DailySpan {
        var measures: [String]
        var fromDay: Int64
        var toDay: Int64

        /// The rows that hold the span: whole months from the monthly rows, the days before the
        /// first and after the last whole month from the daily ones.
        var ranges: [(grain: String, from: Int64, to: Int64)] {
            guard fromDay < toDay else { return [] }
            let firstMonth = DayNumber.dayOfMonth(fromDay) == 1 ? DayNumber.month(of: fromDay) : DayNumber.month(of: fromDay) + 1
            let endMonth = DayNumber.month(of: toDay)
            let ranges: [(grain: String, from: Int64, to: Int64)] =
                firstMonth < endMonth
                ? [
                    ("d", fromDay, DayNumber.firstDay(ofMonth: firstMonth)), ("m", firstMonth, endMonth),
                    ("d", DayNumber.firstDay(ofMonth: endMonth), toDay),
                ]
                : [("d", fromDay, toDay)]
            return ranges.filter { $0.from < $0.to }
        }
    }

    /// Adds the counts of `spans` (their measures disjoint): each range of rows summed per measure,
    /// unit and keys. On a server (`statementIsRoundTrip`) the ranges are the branches of one
    /// `UNION ALL`, one round trip where they were four for a year to date, and PostgreSQL hashes
    /// the sum where it sorted the monthly rows it had underestimated (3.5 ms against 1.6 ms at
    /// the server). SQLite answers that compound slower than its branches one by one (3.9 against
    /// 3.2 ms), so there each range is a statement of its own. PostgreSQL reads the spans without
    /// parallel workers (`SQLDialect.serialPlans`). docs/BENCHMARKS.md, P9.
    static func addDailyCounts(_ db: some SQLSession, _ spans: [DailySpan], into result: inout [NodeID: IndicatorCounts]) throws {
        // Every write transaction counts what it staged before it commits (`NodeDatabase.beforeCommit`).
        assert((try? DailyCounts.nothingStaged(db)) ?? true, "a committed write left daily counts staged")
        var branches: [(sql: String, arguments: [any SQLValueConvertible])] = []
        for span in spans {
            let names = span.measures.map { "'\($0)'" }.joined(separator: ", ")
            for range in span.ranges {
                branches.append(
                    (
                        """
                        SELECT measure, unit_node, k1, k2, n, a, b, c, d, e, f FROM daily_counts
                        WHERE measure IN (\(names)) AND grain = ? AND period >= ? AND period < ?
                        """,
                        [range.grain, range.from, range.to]
                    )
                )
            }
        }
        let statements =
            db.dialect.statementIsRoundTrip && branches.count > 1
            ? [(branches.map(\.sql).joined(separator: " UNION ALL "), branches.flatMap(\.arguments))] : branches
        if let serial = db.dialect.serialPlans, !statements.isEmpty { _ = try db.execute(serial) }
        for (body, arguments) in statements {
            let rows = try db.rows(
                """
                SELECT measure, unit_node, k1, k2, SUM(n) AS n, SUM(a) AS a, SUM(b) AS b, SUM(c) AS c, SUM(d) AS d,
                    SUM(e) AS e, SUM(f) AS f
                FROM (\(body)) AS spans
                GROUP BY measure, unit_node, k1, k2 HAVING SUM(n) != 0
                """,
                arguments: arguments,
                cached: false
            )
            for row in rows {
                let n: Int = row["n"]
                let k1: String = row["k1"]
                let k2: String = row["k2"]
                let (a, b, c, d, e, f): (Int, Int, Int, Int, Int, Int) = (row["a"], row["b"], row["c"], row["d"], row["e"], row["f"])
                let measure: String = row["measure"]
                let unit = NodeID(row["unit_node"] as String)
                var counts = result[unit, default: IndicatorCounts()]
                switch measure {
                case "registered":
                    counts.registered += n
                    if k1 == Channel.online.rawValue { counts.online += n }
                    counts.byChannel[k1, default: 0] += n
                    counts.repeats += a
                    counts.skipLevel += b
                    counts.jointLetters += c
                    counts.collectiveCases += d
                    counts.collectiveBatches += e
                    counts.collectivePersons += f
                case "category":
                    counts.byCategory[k1, default: 0] += n
                case "acceptance":
                    counts.acceptDue += n
                    counts.acceptedOnTime += a
                    counts.acceptedLate += b
                    counts.notAcceptedOverdue += c
                case "closure":
                    counts.closeDue += n
                    counts.closedOnTime += a
                    counts.closedLate += b
                    counts.openOverdue += c
                case "evaluated":
                    counts.evaluated += n
                    counts.officeRatings[k1, default: 0] += n
                    counts.unitRatings[k2, default: 0] += n
                default:
                    counts.evaluationOverdue += n
                }
                result[unit] = counts
            }
        }
    }

    /// Counts `populations` of the period `[fromMs, toMs)` at `nowMs` from `cases` into `result`:
    /// one grouped query per population, each row added to its unit's counts.
    static func scanCounts(
        _ db: some SQLSession,
        from fromMs: Int64,
        to toMs: Int64,
        now nowMs: Int64,
        populations: Set<Population>,
        into result: inout [NodeID: IndicatorCounts]
    ) throws {
        let queries: [(Population, PopulationQuery)] = [
            (.registrations, registrationsQuery(from: fromMs, to: toMs, now: nowMs, db.dialect)),
            (.acceptance, acceptanceQuery(from: fromMs, to: toMs, now: nowMs, db.dialect)),
            (.closure, closureQuery(from: fromMs, to: toMs, now: nowMs, db.dialect)),
            (.evaluations, evaluationsQuery(from: fromMs, to: toMs, now: nowMs)),
            (.unevaluated, unevaluatedQuery(from: fromMs, to: toMs, now: nowMs)),
        ]
        for (population, query) in queries where populations.contains(population) {
            let rows = try db.fetchAll(query.sql, query.arguments)
            for row in rows { query.add(row, &result[NodeID(row["unit_node"] as String), default: IndicatorCounts()]) }
        }
    }

    /// One population's grouped query over `cases`, and how a row of it adds to its unit's counts.
    struct PopulationQuery {
        var sql: String
        var arguments: [any SQLValueConvertible]
        var add: (SQLRow, inout IndicatorCounts) -> Void
    }

    /// The registrations of the period by unit, channel and category.
    static func registrationsQuery(from: Int64, to: Int64, now: Int64, _ dialect: SQLDialect) -> PopulationQuery {
        PopulationQuery(
            sql: """
                SELECT unit_node, channel, category_l1, COUNT(*) AS n, SUM(is_repeat) AS repeats,
                    SUM(skip_level) AS skip_level, SUM(joint_letter) AS joint,
                    \(dialect.count(where: "collective_batches > 0")) AS collective, SUM(collective_batches) AS batches,
                    SUM(collective_persons) AS persons
                FROM cases WHERE registered_at >= ? AND registered_at < ?
                GROUP BY unit_node, channel, category_l1
                """,
            arguments: [from, to]
        ) { row, c in
            let n: Int = row["n"]
            let channel: String = row["channel"]
            c.registered += n
            if channel == Channel.online.rawValue { c.online += n }
            c.byChannel[channel, default: 0] += n
            c.byCategory[row["category_l1"] as String, default: 0] += n
            c.repeats += row["repeats"] as Int
            c.skipLevel += row["skip_level"] as Int
            c.jointLetters += row["joint"] as Int
            c.collectiveCases += row["collective"] as Int
            c.collectiveBatches += row["batches"] as Int
            c.collectivePersons += row["persons"] as Int
        }
    }

    /// The 受理告知 deadlines that fall in the period, met, late or overdue.
    static func acceptanceQuery(from: Int64, to: Int64, now: Int64, _ dialect: SQLDialect) -> PopulationQuery {
        deadlineQuery(due: "accept_due_at", met: "decided_at", from: from, to: to, now: now, dialect) { c, t in
            c.acceptDue += t.due
            c.acceptedOnTime += t.onTime
            c.acceptedLate += t.late
            c.notAcceptedOverdue += t.overdue
        }
    }

    /// The handling deadlines that fall in the period, met, late or overdue.
    static func closureQuery(from: Int64, to: Int64, now: Int64, _ dialect: SQLDialect) -> PopulationQuery {
        deadlineQuery(due: "handling_due_at", met: "handling_met_at", from: from, to: to, now: now, dialect) { c, t in
            c.closeDue += t.due
            c.closedOnTime += t.onTime
            c.closedLate += t.late
            c.openOverdue += t.overdue
        }
    }

    /// How the deadlines of one kind that fall in a period went, per unit.
    struct DeadlineTally {
        var due: Int
        var onTime: Int
        var late: Int
        var overdue: Int
    }

    /// The deadlines in column `due` that fall in `[from, to)`, met (column `met`) on time, late,
    /// or unmet and past at `now`; law-related cases aside. The columns are this file's constants.
    static func deadlineQuery(
        due: String,
        met: String,
        from: Int64,
        to: Int64,
        now: Int64,
        _ dialect: SQLDialect,
        add: @escaping (inout IndicatorCounts, DeadlineTally) -> Void
    ) -> PopulationQuery {
        PopulationQuery(
            sql: """
                SELECT unit_node, COUNT(*) AS n,
                    \(dialect.count(where: "\(met) IS NOT NULL AND \(met) <= \(due)")) AS on_time,
                    \(dialect.count(where: "\(met) IS NOT NULL AND \(met) > \(due)")) AS late,
                    \(dialect.count(where: "\(met) IS NULL AND \(due) < ?")) AS overdue
                FROM cases WHERE law_related = 0 AND \(due) >= ? AND \(due) < ?
                GROUP BY unit_node
                """,
            arguments: [now, from, to]
        ) { row, c in
            add(&c, DeadlineTally(due: row["n"], onTime: row["on_time"], late: row["late"], overdue: row["overdue"]))
        }
    }

    /// The evaluations given in the period, by rating.
    static func evaluationsQuery(from: Int64, to: Int64, now: Int64) -> PopulationQuery {
        PopulationQuery(
            sql: """
                SELECT unit_node, office_rating, unit_rating, COUNT(*) AS n FROM cases
                WHERE law_related = 0 AND evaluated_at >= ? AND evaluated_at < ?
                GROUP BY unit_node, office_rating, unit_rating
                """,
            arguments: [from, to]
        ) { row, c in
            let n: Int = row["n"]
            c.evaluated += n
            c.officeRatings[row["office_rating"] as String, default: 0] += n
            c.unitRatings[row["unit_rating"] as String, default: 0] += n
        }
    }

    /// Evaluation windows of the period that ended with none given.
    static func unevaluatedQuery(from: Int64, to: Int64, now: Int64) -> PopulationQuery {
        PopulationQuery(
            sql: """
                SELECT unit_node, COUNT(*) AS n FROM cases
                WHERE law_related = 0 AND evaluated_at IS NULL AND eval_due_at >= ? AND eval_due_at < ? AND eval_due_at < ?
                GROUP BY unit_node
                """,
            arguments: [from, to, now]
        ) { row, c in
            do { c.evaluationOverdue += row["n"] as Int }
        }
    }

    /// Receipts (by 收件日期) and closures per unit and month (the calendar's civil time, `YYYY-MM`)
    /// since `from`: from the monthly rows of `daily_counts` (and the daily rows of a first, partial month).
    public func monthlyTrend(since from: Date) async throws -> [NodeID: [String: (received: Int, closed: Int)]] {
        let offsetMs = Int64(calendar.utcOffsetSeconds) * 1000
        let local = from.milliseconds + offsetMs
        let day = IndicatorRules.dayMs
        return try await read { db in
            guard try DailyCounts.areCurrent(db, offsetMs: offsetMs), local >= 0, local % day == 0 else {
                return try Self.monthlyTrendScanning(db, since: from, offsetSeconds: calendar.utcOffsetSeconds)
            }
            var result: [NodeID: [String: (received: Int, closed: Int)]] = [:]
            func month(_ index: Int64) -> String { String(format: "%04d-%02d", Int(index / 12), Int(index % 12) + 1) }
            func add(_ rows: [SQLRow], monthOf: (Int64) -> Int64) throws {
                for row in rows {
                    let unit = NodeID(row["unit_node"] as String)
                    let key = month(monthOf(row["period"]))
                    var entry = result[unit, default: [:]][key] ?? (0, 0)
                    if (row["measure"] as String) == "closed" { entry.closed += row["n"] as Int } else { entry.received += row["n"] as Int }
                    result[unit, default: [:]][key] = entry
                }
            }
            let fromDay = local / day
            var firstMonth = DayNumber.month(of: fromDay)
            if DayNumber.dayOfMonth(fromDay) != 1 {
                firstMonth += 1
                try add(
                    db.fetchAll(
                        """
                        SELECT measure, period, unit_node, SUM(n) AS n FROM daily_counts
                        WHERE measure IN ('received', 'closed') AND grain = 'd' AND period >= ? AND period < ?
                        GROUP BY measure, period, unit_node HAVING SUM(n) != 0
                        """,
                        [fromDay, DayNumber.firstDay(ofMonth: firstMonth)]
                    ),
                    monthOf: DayNumber.month(of:)
                )
            }
            try add(
                db.fetchAll(
                    """
                    SELECT measure, period, unit_node, SUM(n) AS n FROM daily_counts
                    WHERE measure IN ('received', 'closed') AND grain = 'm' AND period >= ?
                    GROUP BY measure, period, unit_node HAVING SUM(n) != 0
                    """,
                    [firstMonth]
                ),
                monthOf: { $0 }
            )
            return result
        }
    }

    /// The same by scanning `cases` (the reference the daily counts must equal).
    public func monthlyTrendScanning(since from: Date) async throws -> [NodeID: [String: (received: Int, closed: Int)]] {
        try await read { db in try Self.monthlyTrendScanning(db, since: from, offsetSeconds: calendar.utcOffsetSeconds) }
    }

    static func monthlyTrendScanning(
        _ db: some SQLSession,
        since from: Date,
        offsetSeconds: Int
    ) throws -> [NodeID: [String: (received: Int, closed: Int)]] {
        var result: [NodeID: [String: (received: Int, closed: Int)]] = [:]
        for (column, isClosure) in [("petition_received_at", false), ("closed_at", true)] {
            let rows = try db.rows(
                """
                SELECT unit_node, \(db.dialect.month(ofSeconds: "\(column) / 1000 + ?")) AS month, COUNT(*) AS n
                FROM cases WHERE \(column) >= ? GROUP BY unit_node, month
                """,
                arguments: [offsetSeconds, from.milliseconds],
                cached: false
            )
            for row in rows {
                let n: Int = row["n"]
                let month: String = row["month"]
                var entry = result[NodeID(row["unit_node"] as String), default: [:]][month] ?? (0, 0)
                if isClosure { entry.closed += n } else { entry.received += n }
                result[NodeID(row["unit_node"] as String), default: [:]][month] = entry
            }
        }
        return result
    }
}
