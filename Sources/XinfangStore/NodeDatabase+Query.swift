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
    public var limit: Int = CaseQuery.limitDefault
    public var after: CaseCursor?
    /// Who reads: only cases held within these nodes, and no 检举控告 against `excluded`.
    public var scope: CaseScope?

    public static let limitDefault = 50
    public static let limitMax = 200
    public static let textLengthMax = 100

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
    var clause: (String, StatementArguments) {
        let sorted = holders.map(\.rawValue).sorted()
        var arguments = StatementArguments(sorted + sorted)
        _ = arguments.append(contentsOf: [respondentExcluded.rawValue])
        let list = sorted.map { _ in "?" }.joined(separator: ",")
        return ("(holder IN (\(list)) OR unit_node IN (\(list))) AND (respondent_node IS NULL OR respondent_node <> ?)", arguments)
    }
}

/// A position in the list of cases (newest registration first), opaque to clients.
public struct CaseCursor: Sendable, Equatable {
    public var registeredAtMs: Int64
    public var caseNumber: String

    public var encoded: String {
        Data("\(registeredAtMs)|\(caseNumber)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Decodes a cursor a client sent back; nil when it is not one of ours.
    public init?(encoded: String) {
        var base64 = encoded.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard encoded.count <= 200, let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8) else { return nil }
        let parts = text.split(separator: "|", maxSplits: 1)
        guard parts.count == 2, let ms = Int64(parts[0]) else { return nil }
        self.registeredAtMs = ms
        self.caseNumber = String(parts[1])
    }

    init(registeredAtMs: Int64, caseNumber: String) {
        self.registeredAtMs = registeredAtMs
        self.caseNumber = caseNumber
    }
}

/// One page of cases and the cursor of the next page (nil on the last page).
public struct CasePage: Sendable {
    public var items: [CaseState]
    public var next: CaseCursor?
}

extension NodeDatabase {
    /// Lists cases matching `query`, newest registration first, one page at a time.
    public func cases(matching query: CaseQuery, now: Date) async throws -> CasePage {
        var clauses: [String] = []
        var arguments = StatementArguments()
        if let scope = query.scope {
            let (sql, args) = scope.clause
            clauses.append(sql)
            _ = arguments.append(contentsOf: args)
        }
        if !query.statuses.isEmpty {
            clauses.append("status IN (\(query.statuses.map { _ in "?" }.joined(separator: ",")))")
            for s in query.statuses { _ = arguments.append(contentsOf: [s.rawValue]) }
        }
        if let holder = query.holder {
            clauses.append("holder = ?")
            _ = arguments.append(contentsOf: [holder.rawValue])
        }
        if let overdue = query.overdue {
            clauses.append(overdue ? "next_due_at < ?" : "(next_due_at IS NULL OR next_due_at >= ?)")
            _ = arguments.append(contentsOf: [now.milliseconds])
        }
        if let region = query.region {
            clauses.append("issue_region LIKE ? ESCAPE '\\'")
            _ = arguments.append(contentsOf: [region.significantPrefix + "%"])
        }
        if let category = query.category {
            clauses.append("(category_l1 = ? OR category_l2 = ? OR category_l3 = ?)")
            _ = arguments.append(contentsOf: [category, category, category])
        }
        if let text = query.text, !text.isEmpty {
            clauses.append("search_text LIKE ? ESCAPE '\\'")
            let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                .replacingOccurrences(of: "_", with: "\\_")
            _ = arguments.append(contentsOf: ["%\(escaped)%"])
        }
        if let skipLevel = query.skipLevel {
            clauses.append("skip_level = ?")
            _ = arguments.append(contentsOf: [skipLevel])
        }
        if let after = query.after {
            clauses.append("(registered_at < ? OR (registered_at = ? AND case_number < ?))")
            _ = arguments.append(contentsOf: [after.registeredAtMs, after.registeredAtMs, after.caseNumber])
        }
        let limit = min(max(query.limit, 1), CaseQuery.limitMax)
        let whereSQL = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        let sql = "SELECT state_json FROM cases \(whereSQL) ORDER BY registered_at DESC, case_number DESC LIMIT \(limit + 1)"
        let bound = arguments
        let items = try await read { db in
            try String.fetchAll(db, sql: sql, arguments: bound).map {
                try CanonicalJSON.decoder.decode(CaseState.self, from: Data($0.utf8))
            }
        }
        let page = Array(items.prefix(limit))
        let next =
            items.count > limit ? page.last.map { CaseCursor(registeredAtMs: $0.registeredAt.milliseconds, caseNumber: $0.caseNumber.rawValue) } : nil
        return CasePage(items: page, next: next)
    }
}

extension NodeDatabase {
    /// The case, when `scope` lets its reader see it (nil otherwise, as for an unknown number).
    public func caseState(_ number: CaseNumber, in scope: CaseScope) async throws -> CaseState? {
        let (sql, args) = scope.clause
        return try await read { db in
            try String.fetchOne(db, sql: "SELECT state_json FROM cases WHERE case_number = ? AND \(sql)", arguments: [number.rawValue] + args)
                .map { try CanonicalJSON.decoder.decode(CaseState.self, from: Data($0.utf8)) }
        }
    }
}

extension NodeDatabase {
    /// The number of rows in each table of the store (for checks that a request from outside
    /// cannot grow it, and for operators).
    public func tableSizes() async throws -> [String: Int] {
        try await read { db in
            let tables = try String.fetchAll(
                db,
                sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
            var sizes: [String: Int] = [:]
            for table in tables {
                sizes[table] = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \"\(table.replacingOccurrences(of: "\"", with: "\"\""))\"") ?? 0
            }
            return sizes
        }
    }
}
