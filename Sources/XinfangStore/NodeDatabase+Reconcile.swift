public import Foundation
import GRDB
public import XinfangCore

/// What one reconciliation run did.
public struct ReconcileReport: Codable, Sendable, Equatable {
    public var node: NodeID
    public var ranAt: Date
    /// The run before this one (nil for the first): a long gap means the job caught up.
    public var previousRunAt: Date?
    /// Open cases (not final) this round looked at.
    public var casesScanned: Int
    /// … of them, those whose state was decoded and evaluated: new states, and answers that
    /// reached the instant they could change (`CaseFlagMemo`); the others kept the last round's.
    public var casesEvaluated: Int
    public var raised: Int
    public var cleared: Int
    /// Open flags raised here after the run, by kind.
    public var open: [String: Int]
}

/// A stored flag with its bookkeeping.
public struct StoredFlag: Codable, Sendable, Equatable {
    public var id: Int64
    public var flag: Flag
    public var raisedAt: Date
    public var clearedAt: Date?

    public var label: String { flag.kind.label }
    public var remedy: String { flag.kind.remedy }
}

/// A filter over stored flags.
public struct FlagQuery: Sendable, Equatable {
    public var kinds: [FlagKind] = []
    public var caseNumber: CaseNumber?
    /// Flags concerning this node or a node below it.
    public var within: NodeID?
    /// true (default): open flags only; false: cleared ones only; nil: both.
    public var open: Bool? = true
    public var limit: Int = 100

    public static let limitMax = 1_000

    public init() {}
}

extension NodeDatabase {
    /// Runs the reconciliation job over this store (DESIGN §5): computes every flag the current data
    /// raises, stores the new ones, keeps the ones still true and clears the rest. A flag's `since`
    /// comes from the data (when the limit passed), so a run after a week without runs reports what
    /// a run every five minutes would have.
    public func reconcile(now: Date, limits: ReconciliationLimits) async throws -> ReconcileReport {
        try await refreshPlannerStatistics()
        try await rederiveBlobWants(now: now)
        let (desired, scanned, evaluated) = try await read { db in try computeFlags(db, now: now, limits: limits) }
        return try await write { db in
            let previous = try NodeMeta.get(db, "reconciled_at").flatMap(Int64.init).map(Date.init(milliseconds:))
            var open: [String: Int64] = [:]
            for row in try db.fetchAll("SELECT id, kind, subject, detail_key FROM flags WHERE raised_by = ? AND cleared_at IS NULL", [node.rawValue])
            {
                open["\(node)|\(row["kind"] as String)|\(row["subject"] as String)|\(row["detail_key"] as String)"] = row["id"]
            }
            var raised = 0
            var seen: Set<String> = []
            for flag in desired where seen.insert(flag.key).inserted {
                if let id = open[flag.key] {
                    try db.execute(
                        "UPDATE flags SET node = ?, since = ?, detail = ? WHERE id = ?",
                        [flag.node.rawValue, flag.since.milliseconds, flag.detail, id]
                    )
                } else {
                    try Self.insertFlag(db, flag, raisedAt: now)
                    raised += 1
                }
            }
            let gone = open.filter { !seen.contains($0.key) }.map(\.value)
            for id in gone {
                try db.execute("UPDATE flags SET cleared_at = ? WHERE id = ?", [now.milliseconds, id])
            }
            try NodeMeta.set(db, "reconciled_at", String(now.milliseconds))
            if try NodeMeta.get(db, "first_reconciled_at") == nil { try NodeMeta.set(db, "first_reconciled_at", String(now.milliseconds)) }
            var byKind: [String: Int] = [:]
            for row in try db.fetchAll(
                "SELECT kind, COUNT(*) AS n FROM flags WHERE raised_by = ? AND cleared_at IS NULL GROUP BY kind",
                [node.rawValue]
            ) {
                byKind[row["kind"]] = row["n"]
            }
            return ReconcileReport(
                node: node,
                ranAt: now,
                previousRunAt: previous,
                casesScanned: scanned,
                casesEvaluated: evaluated,
                raised: raised,
                cleared: gone.count,
                open: byKind
            )
        }
    }

    /// When the job last ran here.
    public func lastReconciledAt() async throws -> Date? {
        try await read { db in try NodeMeta.get(db, "reconciled_at").flatMap(Int64.init).map(Date.init(milliseconds:)) }
    }

    func computeFlags(_ db: some SQLSession, now: Date, limits: ReconciliationLimits) throws -> (flags: [Flag], scanned: Int, evaluated: Int) {
        var (flags, scanned, evaluated) = try caseFlags(db, now: now, limits: limits)
        flags += try conflictFlags(db)
        flags += try commandFlags(db, now: now, limits: limits)
        flags += try outboxFlags(db, now: now, limits: limits)
        flags += try silentChildFlags(db, now: now, limits: limits)
        flags += try replicaFlags(db, now: now, limits: limits)
        flags += try blobFlags(db, now: now, limits: limits)
        return (flags, scanned, evaluated)
    }

    /// The own flags (overdue, stuck, …) of every case not final: one scan of their heads, the
    /// states decoded and evaluated only where the last round's answer may not hold
    /// (`CaseFlagMemo`; every state, in one pass, when nothing is kept). Answers the flags, the
    /// cases scanned and how many were evaluated.
    func caseFlags(_ db: some SQLSession, now: Date, limits: ReconciliationLimits) throws -> (flags: [Flag], scanned: Int, evaluated: Int) {
        let finals = CaseStatus.allCases.filter(\.isFinal).map { "'\($0.rawValue)'" }.joined(separator: ",")
        let previous = caseFlagMemo.last(for: limits)
        var next = CaseFlagMemo.Round(limits: limits)
        var flags: [Flag] = []
        var scanned = 0
        var evaluated = 0
        func evaluate(_ row: SQLRow) throws {
            let state = try CaseState.decodeCanonical(row[2] as String)
            let answer = CaseFlags.evaluate(state, at: node, now: now, calendar: calendar, limits: limits, hierarchy: hierarchy)
            flags += answer.flags
            evaluated += 1
            let head = CaseFlagMemo.key(row[1])
            next.keep(CaseFlagMemo.key(row[0]), .init(head: head, evaluatedAt: now, changesAt: answer.changesAt, flags: answer.flags))
        }
        let join = "SELECT c.case_number, c.head_hash, s.state_json FROM cases c JOIN case_states s USING (case_number)"
        guard !previous.isEmpty else {
            // Nothing kept (a first round, or other limits): every state, in one pass.
            try db.eachRow("\(join) WHERE c.status NOT IN (\(finals))", arguments: []) { row in
                scanned += 1
                try evaluate(row)
            }
            caseFlagMemo.replace(with: next)
            return (flags, scanned, evaluated)
        }
        next.quiet.reserveCapacity(previous.quiet.count)
        next.answered.reserveCapacity(previous.answered.count)
        var stale: [String] = []
        try db.eachRow("SELECT case_number, head_hash FROM cases WHERE status NOT IN (\(finals))", arguments: []) { row in
            scanned += 1
            let number: String = row[0]
            let key = CaseFlagMemo.key(number)
            if let kept = previous.flags(of: key, head: CaseFlagMemo.key(row[1]), at: now) {
                flags += kept
                next.keep(key, from: previous)
            } else {
                stale.append(number)
            }
        }
        for start in stride(from: 0, to: stale.count, by: Self.caseFlagsBatch) {
            let numbers = stale[start..<min(start + Self.caseFlagsBatch, stale.count)]
            let marks = Array(repeating: "?", count: numbers.count).joined(separator: ", ")
            try db.eachRow("\(join) WHERE c.case_number IN (\(marks))", arguments: Array(numbers), evaluate)
        }
        caseFlagMemo.replace(with: next)
        return (flags, scanned, evaluated)
    }

    /// Cases whose states one statement of the round reads (bound values, far under either
    /// backend's limit).
    static let caseFlagsBatch = 500

    /// Forks no one has resolved.
    func conflictFlags(_ db: some SQLSession) throws -> [Flag] {
        var flags: [Flag] = []
        for row in try db.fetchAll(
            """
            SELECT c.case_number, c.branch, c.detected_at, c.loser_origin, c.winner_origin, c.fork_seq, k.holder
            FROM conflicts c JOIN cases k ON k.case_number = c.case_number WHERE c.resolved_at IS NULL
            """
        ) {
            let number = CaseNumber(rawValue: row["case_number"])
            flags.append(
                Flag(
                    kind: .conflict,
                    subject: number.rawValue,
                    detailKey: row["branch"],
                    caseNumber: number,
                    node: NodeID(row["holder"] as String),
                    raisedBy: node,
                    since: Date(milliseconds: row["detected_at"]),
                    detail: "第 \(row["fork_seq"] as Int) 条事件处分叉：\(row["winner_origin"] as String) 的分支胜出，\(row["loser_origin"] as String) 的分支待人工处理。"
                )
            )
        }
        return flags
    }

    /// Commands made here that the holder has not applied within the limit.
    func commandFlags(_ db: some SQLSession, now: Date, limits: ReconciliationLimits) throws -> [Flag] {
        var flags: [Flag] = []
        let commandSince = now.addingTimeInterval(-limits.commandSeconds).milliseconds
        for row in try db.fetchAll(
            """
            SELECT m.id, m.case_number, m.created_at, \(db.dialect.jsonText("m.body", ["action", "action"])) AS action, k.holder
            FROM commands m LEFT JOIN cases k ON k.case_number = m.case_number
            WHERE m.origin = ? AND m.status = 'pending' AND m.created_at <= ?
            """,
            [node.rawValue, commandSince]
        ) {
            let holder = (row["holder"] as String?).map { NodeID($0) } ?? node
            flags.append(
                Flag(
                    kind: .commandUndelivered,
                    subject: row["id"],
                    caseNumber: CaseNumber(rawValue: row["case_number"]),
                    node: holder,
                    raisedBy: node,
                    since: Date(milliseconds: row["created_at"]).addingTimeInterval(limits.commandSeconds),
                    detail: "指令 \(row["action"] as String? ?? "") 已发出，持有节点 \(holder) 尚未执行。"
                )
            )
        }
        return flags
    }

    /// Dead outbox items, and peers unreachable for longer than the limit.
    func outboxFlags(_ db: some SQLSession, now: Date, limits: ReconciliationLimits) throws -> [Flag] {
        var flags: [Flag] = []
        for row in try db.fetchAll("SELECT peer, COUNT(*) AS n, MIN(updated_at) AS since FROM outbox WHERE state = 'dead' GROUP BY peer") {
            flags.append(
                Flag(
                    kind: .deadItems,
                    subject: row["peer"],
                    caseNumber: nil,
                    node: NodeID(row["peer"] as String),
                    raisedBy: node,
                    since: Date(milliseconds: row["since"]),
                    detail: "发往 \(row["peer"] as String) 的 \(row["n"] as Int) 个条目被多次拒收，已停止重试。"
                )
            )
        }
        for row in try db.fetchAll(
            """
            SELECT o.peer, MIN(o.created_at) AS oldest, COUNT(*) AS n, p.last_success_at, p.last_error
            FROM outbox o LEFT JOIN peers p ON p.peer = o.peer
            WHERE o.state IN ('pending', 'sent', 'failed') AND o.last_error_kind = 'unreachable'
            GROUP BY o.peer, p.last_success_at, p.last_error
            """
        ) {
            let oldest: Int64 = row["oldest"]
            let start = max(oldest, row["last_success_at"] as Int64? ?? oldest)
            let since = Date(milliseconds: start).addingTimeInterval(limits.peerUnreachableSeconds)
            guard now >= since else { continue }
            flags.append(
                Flag(
                    kind: .peerUnreachable,
                    subject: row["peer"],
                    caseNumber: nil,
                    node: NodeID(row["peer"] as String),
                    raisedBy: node,
                    since: since,
                    detail: "\(row["n"] as Int) 个条目无法送达 \(row["peer"] as String)：\(row["last_error"] as String? ?? "无应答")。"
                )
            )
        }
        return flags
    }

    /// Children silent for longer than the limit.
    func silentChildFlags(_ db: some SQLSession, now: Date, limits: ReconciliationLimits) throws -> [Flag] {
        var flags: [Flag] = []
        // A child that has sent nothing (not even its periodic flag report) for longer than the
        // limit is down or cut off, even when there is nothing to send it.
        // A child never heard from counts from the first run of this job here.
        let firstRun = try NodeMeta.get(db, "first_reconciled_at").flatMap(Int64.init)
        for child in hierarchy?.topology.children(of: node) ?? [] {
            let last = try db.value("SELECT last_received_at FROM peers WHERE peer = ?", [child.rawValue], as: Int64.self)
            guard let heard = last ?? firstRun else { continue }
            let since = Date(milliseconds: heard).addingTimeInterval(limits.peerUnreachableSeconds)
            guard now >= since else { continue }
            flags.append(
                Flag(
                    kind: .peerUnreachable,
                    subject: child.rawValue,
                    detailKey: "silent",
                    caseNumber: nil,
                    node: child,
                    raisedBy: node,
                    since: since,
                    detail: "自 \(Date(milliseconds: heard)) 起未收到下级节点 \(child) 的任何数据包（含定期对账报告）。"
                )
            )
        }
        return flags
    }

    static func insertFlag(_ db: some SQLSession, _ flag: Flag, raisedAt: Date) throws {
        try db.execute(
            """
            INSERT INTO flags (kind, subject, detail_key, case_number, node, raised_by, since, raised_at, detail, remedy)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                flag.kind.rawValue, flag.subject, flag.detailKey, flag.caseNumber?.rawValue, flag.node.rawValue,
                flag.raisedBy.rawValue, flag.since.milliseconds, raisedAt.milliseconds, flag.detail, flag.kind.remedy,
            ]
        )
    }

    /// Stored flags, newest condition first.
    public func flags(matching query: FlagQuery) async throws -> [StoredFlag] {
        try await read { db in
            var conditions: [String] = []
            var arguments: [any SQLValueConvertible] = []
            if !query.kinds.isEmpty {
                conditions.append("kind IN (\(query.kinds.map { _ in "?" }.joined(separator: ",")))")
                arguments += query.kinds.map(\.rawValue)
            }
            if let number = query.caseNumber {
                conditions.append("case_number = ?")
                arguments.append(number.rawValue)
            }
            if let open = query.open { conditions.append(open ? "cleared_at IS NULL" : "cleared_at IS NOT NULL") }
            var nodes: [String]?
            if let within = query.within, let topology = hierarchy?.topology {
                nodes = topology.nodes.map(\.id).filter { $0 == within || topology.isAncestor(within, of: $0) }.map(\.rawValue)
            } else if let within = query.within {
                nodes = [within.rawValue]
            }
            if let nodes {
                conditions.append("node IN (\(nodes.map { _ in "?" }.joined(separator: ",")))")
                arguments += nodes
            }
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            return try db.rows(
                "SELECT * FROM flags \(filter) ORDER BY since DESC, id DESC LIMIT ?",
                arguments: [any SQLValueConvertible](arguments + [min(max(1, query.limit), FlagQuery.limitMax)]),
                cached: false
            ).map(Self.storedFlag)
        }
    }

    static func storedFlag(_ row: SQLRow) -> StoredFlag {
        StoredFlag(
            id: row["id"],
            flag: Flag(
                kind: FlagKind(rawValue: row["kind"]) ?? .policy,
                subject: row["subject"],
                detailKey: row["detail_key"],
                caseNumber: (row["case_number"] as String?).map(CaseNumber.init(rawValue:)),
                node: NodeID(row["node"] as String),
                raisedBy: NodeID(row["raised_by"] as String),
                since: Date(milliseconds: row["since"]),
                detail: row["detail"]
            ),
            raisedAt: Date(milliseconds: row["raised_at"]),
            clearedAt: (row["cleared_at"] as Int64?).map(Date.init(milliseconds:))
        )
    }

    /// The open node-local flags of this node and its subtree: what goes up in a flag report.
    public func flagReport() async throws -> [Flag] {
        let kinds = FlagKind.allCases.filter(\.isNodeLocal)
        var query = FlagQuery()
        query.kinds = kinds
        query.limit = FlagQuery.limitMax
        return try await flags(matching: query).map(\.flag)
    }

    /// Replaces what this node knows of the node-local flags raised in `child`'s subtree with the
    /// child's report: new ones are stored, ones no longer reported are cleared.
    public func acceptFlagReport(_ report: [Flag], from child: NodeID, now: Date) async throws {
        guard let topology = hierarchy?.topology else { return }
        let subtree = Set(topology.nodes.map(\.id).filter { $0 == child || topology.isAncestor(child, of: $0) })
        let accepted = report.filter { $0.kind.isNodeLocal && subtree.contains($0.raisedBy) }.prefix(FlagQuery.limitMax)
        try await write { db in
            let raisers = subtree.map(\.rawValue)
            var open: [String: Int64] = [:]
            for row in try db.rows(
                """
                SELECT id, raised_by, kind, subject, detail_key FROM flags
                WHERE cleared_at IS NULL AND raised_by IN (\(raisers.map { _ in "?" }.joined(separator: ",")))
                """,
                arguments: raisers as [any SQLValueConvertible],
                cached: false
            ) {
                open["\(row["raised_by"] as String)|\(row["kind"] as String)|\(row["subject"] as String)|\(row["detail_key"] as String)"] =
                    row["id"]
            }
            var seen: Set<String> = []
            for flag in accepted where seen.insert(flag.key).inserted {
                if let id = open[flag.key] {
                    try db.execute("UPDATE flags SET since = ?, detail = ? WHERE id = ?", [flag.since.milliseconds, flag.detail, id])
                } else {
                    try Self.insertFlag(db, flag, raisedAt: now)
                }
            }
            for (key, id) in open where !seen.contains(key) {
                try db.execute("UPDATE flags SET cleared_at = ? WHERE id = ?", [now.milliseconds, id])
            }
        }
    }
}
