public import Foundation
import GRDB
public import XinfangCore

/// A filter over the cases a node holds or replicates.
public struct CaseQuery: Sendable, Equatable {
    public var statuses: [CaseStatus] = []
    public var holder: NodeID?
    /// true: an obligation is past due and unmet; false: none is.
    public var overdue: Bool?
    /// The matter's region lies within this division.
    public var region: RegionCode?
    /// Matches the first, second or third level of the content category.
    public var category: String?
    /// Free text over the case number, summary, respondent and petitioners' names.
    public var text: String?
    /// 越级访: registered two or more levels above the competent node.
    public var skipLevel: Bool?
    /// true: open work only (the backlog's cases); false: finished only.
    public var open: Bool?
    /// Held by one of these nodes (a subtree the supervision board drills into).
    public var holders: Set<NodeID>?
    /// Handled by this unit (the unit the indicators count the case for).
    public var unit: NodeID?
    /// The light of the next obligation (红黄绿) under `lights`.
    public var light: DueLight?
    /// Where yellow ends; required with `light`.
    public var lights: DueLightRule?
    /// A 交办 accepted and its closure report still owed to the assigner (交办待报结).
    public var awaitingClosureReport: Bool?
    /// A 督办 awaiting the holder's written feedback (督办待反馈).
    public var awaitingFeedback: Bool?
    /// … and past its feedback date (督办反馈超期).
    public var feedbackOverdue: Bool?
    /// Age from the receipt (收件日期) in whole days, at least and at most.
    public var ageFrom: Int?
    public var ageTo: Int?
    /// Received (收件日期) on or after, on or before these days.
    public var receivedFrom: CivilDate?
    public var receivedTo: CivilDate?
    public var sort: CaseSort = .registered
    /// Against the sort's own direction (`CaseSort.descendingByDefault`).
    public var reversed = false
    public var limit: Int = CaseQuery.limitDefault
    public var after: CaseCursor?
    /// Who reads: only cases held within these nodes, and no 检举控告 against `excluded`.
    public var scope: CaseScope?

    public static let limitDefault = 50
    public static let limitMax = 200
    /// How far a list counts its matches: beyond, `CasePage.total` says "at least this many"
    /// (`totalIsExact` false). Counting every match of a million cases costs a scan of them all
    /// (about half a second at a province); the first 10,000 cost milliseconds. Elasticsearch
    /// bounds its hit count at the same figure by default (`track_total_hits`).
    public static let countMax = 10_000
    public static let textLengthMax = 100
    /// The oldest age a filter may name (the ledger's oldest receipt is 20 years back).
    public static let ageMax = 20 * 366

    public init() {}
}

/// The cases a user may see: held by a node of the user's subtree, or handled there (the unit the
/// indicators count it for, which answers for it also while the assigner verifies its closure),
/// and not a 检举控告 naming the user's own organisation. Applied inside the SQL of every list and
/// lookup.
public struct CaseScope: Sendable, Equatable {
    public var holders: Set<NodeID>
    public var respondentExcluded: NodeID
    public init(holders: Set<NodeID>, respondentExcluded: NodeID) {
        self.holders = holders
        self.respondentExcluded = respondentExcluded
    }

    /// The SQL condition and its arguments.
    var clause: (String, [any SQLValueConvertible]) {
        let sorted = holders.map(\.rawValue).sorted()
        var arguments = [any SQLValueConvertible](sorted + sorted)
        arguments.append(contentsOf: [respondentExcluded.rawValue])
        let list = sorted.map { _ in "?" }.joined(separator: ",")
        return ("(holder IN (\(list)) OR unit_node IN (\(list))) AND (respondent_node IS NULL OR respondent_node <> ?)", arguments)
    }
}

/// The orders a case list can take: each a column of the list, then the case number.
public enum CaseSort: String, Sendable, CaseIterable {
    /// 登记时间, newest first.
    case registered
    /// 收件日期, newest first.
    case received
    /// 超期天数: the next obligation's end, most overdue first (none last).
    case due
    /// 信访件编号.
    case number
    /// 状态.
    case status
    /// 承办单位.
    case holder

    /// The SQL expression the list orders by (a column of `cases`, or the case number).
    var expression: String {
        switch self {
        case .registered: "registered_at"
        case .received: "petition_received_at"
        case .due: "coalesce(next_due_at, 9223372036854775807)"
        case .number: "case_number"
        case .status: "status"
        case .holder: "holder"
        }
    }

    var isNumeric: Bool { [.registered, .received, .due].contains(self) }

    public var descendingByDefault: Bool { [.registered, .received].contains(self) }
}

/// A position in a case list, in its order, opaque to clients: the sort, the sort key of the
/// last case shown and its number.
public struct CaseCursor: Sendable, Equatable {
    public var sort: CaseSort
    public var key: String
    public var caseNumber: String

    public var encoded: String {
        Data("\(sort.rawValue)|\(key)|\(caseNumber)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Decodes a cursor a client sent back; nil when it is not one of ours.
    public init?(encoded: String) {
        var base64 = encoded.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard encoded.count <= 300, let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8) else { return nil }
        let parts = text.split(separator: "|", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let sort = CaseSort(rawValue: String(parts[0])), !parts[2].isEmpty else { return nil }
        if sort.isNumeric, Int64(parts[1]) == nil { return nil }
        self.sort = sort
        self.key = String(parts[1])
        self.caseNumber = String(parts[2])
    }

    init(sort: CaseSort, key: String, caseNumber: String) {
        self.sort = sort
        self.key = key
        self.caseNumber = caseNumber
    }
}

/// One page of cases, the cursor of the next page (nil on the last page) and how many cases
/// match in all, counted up to `CaseQuery.countMax`.
public struct CasePage: Sendable {
    public var items: [CaseState]
    public var next: CaseCursor?
    /// How many cases match; `CaseQuery.countMax` when more do (`totalIsExact` false).
    public var total: Int
    public var totalIsExact: Bool
}

extension NodeDatabase {
    /// Lists cases matching `query` in its order, one page at a time, with the number matching in all.
    public func cases(matching query: CaseQuery, now: Date) async throws -> CasePage {
        var (clauses, arguments) = conditions(of: query, now: now)
        let countSQL =
            "SELECT COUNT(*) FROM (SELECT 1 FROM cases" + (clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND "))
            + " LIMIT \(CaseQuery.countMax + 1)) AS matched"
        let countArguments = arguments
        let sort = query.sort
        let descending = sort.descendingByDefault != query.reversed
        if let after = query.after {
            let key: (any SQLValueConvertible) = sort.isNumeric ? (Int64(after.key) ?? 0) : after.key
            let beyond = descending ? "<" : ">"
            clauses.append("(\(sort.expression) \(beyond) ? OR (\(sort.expression) = ? AND case_number \(beyond) ?))")
            arguments.append(contentsOf: [key, key, after.caseNumber])
        }
        let limit = min(max(query.limit, 1), CaseQuery.limitMax)
        let whereSQL = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        let direction = descending ? "DESC" : "ASC"
        let sql = """
            SELECT case_number, \(sort.expression) AS sort_key FROM cases \(whereSQL)
            ORDER BY \(sort.expression) \(direction), case_number \(direction) LIMIT \(limit + 1)
            """
        let bound = arguments
        let (rows, total) = try await read { db in
            // The page's numbers first, from the rows alone; then the states of those cases only.
            let keys = try db.fetchAll(sql, bound).map { row in (row[0] as String, row[1] as SQLValue) }
            let states = try Self.encodedStates(db, keys.map(\.0))
            let rows = try keys.map { number, key in
                guard let json = states[number] else { throw StoreError.database("case \(number) has no stored state") }
                return (try CaseState.decodeCanonical(json), key)
            }
            return (rows, try db.value(countSQL, countArguments, as: Int.self) ?? 0)
        }
        let page = Array(rows.prefix(limit))
        let next =
            rows.count > limit
            ? page.last.map { state, key in
                CaseCursor(sort: sort, key: key.cursorText, caseNumber: state.caseNumber.rawValue)
            } : nil
        return CasePage(items: page.map(\.0), next: next, total: min(total, CaseQuery.countMax), totalIsExact: total <= CaseQuery.countMax)
    }

    /// The SQL conditions of a case list's filters (without its cursor), and their arguments.
    func conditions(of query: CaseQuery, now: Date) -> ([String], [any SQLValueConvertible]) {
        var clauses: [String] = []
        var arguments = [any SQLValueConvertible]()
        func add(_ clause: String, _ values: [any SQLValueConvertible] = []) {
            clauses.append(clause)
            arguments.append(contentsOf: values as [any SQLValueConvertible])
        }
        let nowMs = now.milliseconds
        if let scope = query.scope {
            let (sql, args) = scope.clause
            clauses.append(sql)
            arguments.append(contentsOf: args)
        }
        if !query.statuses.isEmpty {
            add("status IN (\(query.statuses.map { _ in "?" }.joined(separator: ",")))", query.statuses.map(\.rawValue))
        }
        if let holder = query.holder { add("holder = ?", [holder.rawValue]) }
        if let holders = query.holders {
            let sorted = holders.map(\.rawValue).sorted()
            add(sorted.isEmpty ? "0" : "holder IN (\(sorted.map { _ in "?" }.joined(separator: ",")))", sorted)
        }
        if let unit = query.unit { add("unit_node = ?", [unit.rawValue]) }
        if let open = query.open { add("is_open = ?", [open]) }
        if let overdue = query.overdue {
            add(overdue ? "next_due_at < ?" : "(next_due_at IS NULL OR next_due_at >= ?)", [nowMs])
        }
        if let light = query.light {
            let yellowUntil = (query.lights?.yellowUntil ?? now).milliseconds
            switch light {
            case .red: add("next_due_at < ?", [nowMs])
            case .yellow: add("next_due_at >= ? AND next_due_at <= ?", [nowMs, yellowUntil])
            case .green: add("(next_due_at IS NULL OR next_due_at > ?)", [yellowUntil])
            }
        }
        if let awaiting = query.awaitingClosureReport {
            add(awaiting ? "(is_open = 1 AND assigned_by IS NOT NULL)" : "NOT (is_open = 1 AND assigned_by IS NOT NULL)")
        }
        if let awaiting = query.awaitingFeedback {
            add(awaiting ? "(is_open = 1 AND supervision_due_at IS NOT NULL)" : "NOT (is_open = 1 AND supervision_due_at IS NOT NULL)")
        }
        if let late = query.feedbackOverdue {
            add(
                late ? "(is_open = 1 AND supervision_due_at < ?)" : "NOT (is_open = 1 AND supervision_due_at IS NOT NULL AND supervision_due_at < ?)",
                [nowMs]
            )
        }
        if let days = query.ageFrom { add("petition_received_at < ?", [receivedBefore(ageAtLeast: days, now: now).milliseconds]) }
        if let days = query.ageTo { add("petition_received_at >= ?", [receivedBefore(ageAtLeast: days + 1, now: now).milliseconds]) }
        if let day = query.receivedFrom { add("petition_received_at >= ?", [calendar.startOfDay(day).milliseconds]) }
        if let day = query.receivedTo { add("petition_received_at < ?", [calendar.startOfDay(day.adding(days: 1)).milliseconds]) }
        if let region = query.region {
            add("issue_region LIKE ? ESCAPE '\\'", [region.significantPrefix + "%"])
        }
        if let category = query.category {
            add("(category_l1 = ? OR category_l2 = ? OR category_l3 = ?)", [category, category, category])
        }
        if let text = query.text, !text.isEmpty {
            let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                .replacingOccurrences(of: "_", with: "\\_")
            add("search_text LIKE ? ESCAPE '\\'", ["%\(escaped)%"])
        }
        if let skipLevel = query.skipLevel { add("skip_level = ?", [skipLevel]) }
        return (clauses, arguments)
    }
}

extension NodeDatabase {
    /// The case, when `scope` lets its reader see it (nil otherwise, as for an unknown number).
    public func caseState(_ number: CaseNumber, in scope: CaseScope) async throws -> CaseState? {
        let (sql, args) = scope.clause
        return try await read { db in
            try db.rows(
                "SELECT state_json FROM case_states WHERE case_number = (SELECT case_number FROM cases WHERE case_number = ? AND \(sql))",
                arguments: [number.rawValue] + args,
                cached: false
            ).first.flatMap { $0[0] as String? }
                .map(CaseState.decodeCanonical)
        }
    }
}

extension NodeDatabase {
    /// The number of rows in each table of the store (for checks that a request from outside
    /// cannot grow it, and for operators).
    public func tableSizes() async throws -> [String: Int] {
        try await read { db in
            let tables = try db.values(db.dialect.tableNames, as: String.self)
            var sizes: [String: Int] = [:]
            for table in tables {
                sizes[table] =
                    try db.rows("SELECT COUNT(*) FROM \"\(table.replacingOccurrences(of: "\"", with: "\"\""))\"", arguments: [], cached: false).first
                    .flatMap { $0[0] as Int? } ?? 0
            }
            return sizes
        }
    }
}
