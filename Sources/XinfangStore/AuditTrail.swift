public import Foundation
public import XinfangCore

/// The audit trail (审计日志): an append-only chain of rows, each hashed with the one before, on
/// either backend. Its rules are here once: how a row is appended and chained, how retention
/// prunes the oldest rows and keeps the anchor the rest starts from, and how the chain is checked.
/// `NodeDatabase` serves it on SQLite; `PostgresTransactions` is the other store it runs on.
public struct AuditTrail: Sendable {
    let store: any SQLTransactions

    public init(_ store: any SQLTransactions) { self.store = store }

    /// Records an entry in a transaction of its own (a read, a refusal, a login).
    public func record(_ entry: AuditEntry) async throws {
        try await AuditScope.$current.withValue(nil) {
            try await store.writing { db in try Self.append(db, entry) }
        }
    }

    /// Rows after `seq`, oldest first, optionally only of one user or action.
    public func rows(after seq: Int64, limit: Int, user: String? = nil, action: String? = nil) async throws -> [AuditRow] {
        try await store.reading { db in
            try db.fetchAll(
                """
                SELECT * FROM audit_log WHERE seq > ? AND (CAST(? AS TEXT) IS NULL OR "user" = ?)
                AND (CAST(? AS TEXT) IS NULL OR action = ?) ORDER BY seq LIMIT ?
                """,
                [seq, user, user, action, action, limit]
            ).map(Self.row)
        }
    }

    /// Deletes the rows older than `cutoff` (retention), keeping the last deleted row's sequence
    /// number and hash as the anchor the remaining chain starts from. Answers the rows deleted.
    public func prune(before cutoff: Date) async throws -> Int {
        try await store.writing { db in
            guard let last = try db.fetchOne("SELECT seq, hash FROM audit_log WHERE at < ? ORDER BY seq DESC LIMIT 1", [cutoff.milliseconds])
            else { return 0 }
            let seq: Int64 = last["seq"]
            // The trigger lets a row go only under this mark, set for the length of the deletion.
            try NodeMeta.set(db, "audit_prune_before", String(cutoff.milliseconds))
            let deleted = try db.execute("DELETE FROM audit_log WHERE seq <= ? AND at < ?", [seq, cutoff.milliseconds])
            try NodeMeta.remove(db, "audit_prune_before")
            try NodeMeta.set(db, "audit_anchor_seq", String(seq))
            try NodeMeta.set(db, "audit_anchor_hash", last["hash"])
            return deleted
        }
    }

    /// Checks the chain: each row's hash, its link to the row before, no gap in the sequence.
    public func verify() async throws -> IntegrityReport {
        try await store.reading { db in
            var report = IntegrityReport()
            try Self.verify(db, into: &report)
            return report
        }
    }

    // MARK: Inside a transaction

    /// Appends one row, chained to the last one, inside the caller's transaction.
    public static func append(_ db: some SQLSession, _ entry: AuditEntry) throws {
        func clipped(_ s: String) -> String { s.count > AuditEntry.fieldLengthMax ? String(s.prefix(AuditEntry.fieldLengthMax)) : s }
        let last = try db.fetchOne("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        let anchorSeq = Int64(try NodeMeta.get(db, "audit_anchor_seq") ?? "0") ?? 0
        let anchorHash = try NodeMeta.get(db, "audit_anchor_hash") ?? ""
        let seq: Int64 = (last?["seq"] as Int64? ?? anchorSeq) + 1
        let prev: String = last?["hash"] ?? anchorHash
        let at = entry.at.milliseconds
        let f = [entry.user, entry.node.rawValue, entry.source, entry.action, entry.object, entry.result, entry.detail].map(clipped)
        let hash = AuditEntry.hash(
            seq: seq,
            atMilliseconds: at,
            user: f[0],
            node: f[1],
            source: f[2],
            action: f[3],
            object: f[4],
            result: f[5],
            detail: f[6],
            prevHash: prev
        )
        try db.execute(
            """
            INSERT INTO audit_log (seq, at, "user", node, source, action, object, result, detail, prev_hash, hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [seq, at, f[0], f[1], f[2], f[3], f[4], f[5], f[6], prev, hash]
        )
    }

    /// Checks the chain inside the caller's read transaction, adding its rows and problems to
    /// `report`. Problems name the row, first broken link first.
    public static func verify(_ db: some SQLSession, into report: inout IntegrityReport) throws {
        var expectedSeq = (Int64(try NodeMeta.get(db, "audit_anchor_seq") ?? "0") ?? 0) + 1
        var prev = try NodeMeta.get(db, "audit_anchor_hash") ?? ""
        var problems: [String] = []
        var count = 0
        try db.eachRow("SELECT * FROM audit_log ORDER BY seq", arguments: []) { stored in
            let r = row(stored)
            count += 1
            let e = r.entry
            let computed = AuditEntry.hash(
                seq: r.seq,
                atMilliseconds: stored["at"],
                user: e.user,
                node: e.node.rawValue,
                source: e.source,
                action: e.action,
                object: e.object,
                result: e.result,
                detail: e.detail,
                prevHash: r.prevHash
            )
            if r.seq != expectedSeq {
                problems.append("audit_log row \(r.seq): expected row \(expectedSeq) here (rows missing or inserted)")
            } else if r.prevHash != prev {
                problems.append("audit_log row \(r.seq): prev_hash does not match row \(r.seq - 1)'s hash")
            } else if computed != r.hash {
                problems.append("audit_log row \(r.seq): its hash does not match its contents (altered)")
            }
            expectedSeq = r.seq + 1
            prev = r.hash
        }
        report.auditRows += count
        report.problems += problems
    }

    static func row(_ row: SQLRow) -> AuditRow {
        AuditRow(
            seq: row["seq"],
            entry: AuditEntry(
                at: Date(milliseconds: row["at"]),
                user: row["user"],
                node: NodeID(row["node"] as String),
                source: row["source"],
                action: row["action"],
                object: row["object"],
                result: row["result"],
                detail: row["detail"]
            ),
            prevHash: row["prev_hash"],
            hash: row["hash"]
        )
    }
}

extension AuditScope {
    /// Appends the entry `scope` still owes, inside the caller's write transaction: the first
    /// write of a request commits its audit row with it, on either backend.
    public static func appendPending(_ scope: AuditScope?, in db: some SQLSession) throws {
        if let scope, let entry = scope.claim() { try AuditTrail.append(db, entry) }
    }
}
