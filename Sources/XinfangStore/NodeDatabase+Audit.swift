public import Foundation
import GRDB
public import XinfangCore

extension NodeDatabase {
    /// Appends one row to the audit trail, chained to the last one (inside the caller's transaction).
    static func appendAudit(_ db: Database, _ entry: AuditEntry) throws {
        func clipped(_ s: String) -> String { s.count > AuditEntry.fieldLengthMax ? String(s.prefix(AuditEntry.fieldLengthMax)) : s }
        let last = try Row.fetchOne(db, cached: "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        let anchorSeq = Int64(try meta(db, "audit_anchor_seq") ?? "0") ?? 0
        let anchorHash = try meta(db, "audit_anchor_hash") ?? ""
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
            cached: """
                INSERT INTO audit_log (seq, at, user, node, source, action, object, result, detail, prev_hash, hash)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [seq, at, f[0], f[1], f[2], f[3], f[4], f[5], f[6], prev, hash]
        )
    }

    /// Records an audit entry in a transaction of its own (a read, a refusal, a login).
    public func audit(_ entry: AuditEntry) async throws {
        try await AuditScope.$current.withValue(nil) {
            try await write { db in try Self.appendAudit(db, entry) }
        }
    }

    /// Audit rows after `seq`, oldest first, optionally only of one user or action.
    public func auditRows(after seq: Int64, limit: Int, user: String? = nil, action: String? = nil) async throws -> [AuditRow] {
        try await read { db in
            try Row.fetchAll(
                db,
                cached: """
                    SELECT * FROM audit_log WHERE seq > ? AND (? IS NULL OR user = ?) AND (? IS NULL OR action = ?)
                    ORDER BY seq LIMIT ?
                    """,
                arguments: [seq, user, user, action, action, limit]
            ).map(Self.auditRow)
        }
    }

    static func auditRow(_ row: Row) -> AuditRow {
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

    /// Deletes audit rows older than `cutoff` (retention), keeping the last deleted row's sequence
    /// number and hash as the anchor the remaining chain starts from. Returns the rows deleted.
    public func pruneAudit(before cutoff: Date) async throws -> Int {
        try await write { db in
            guard
                let last = try Row.fetchOne(
                    db,
                    cached: "SELECT seq, hash FROM audit_log WHERE at < ? ORDER BY seq DESC LIMIT 1",
                    arguments: [cutoff.milliseconds]
                )
            else { return 0 }
            let seq: Int64 = last["seq"]
            try Self.setMeta(db, "audit_prune_before", String(cutoff.milliseconds))
            try db.execute(cached: "DELETE FROM audit_log WHERE seq <= ? AND at < ?", arguments: [seq, cutoff.milliseconds])
            let deleted = db.changesCount
            try db.execute(cached: "DELETE FROM node_meta WHERE key = 'audit_prune_before'")
            try Self.setMeta(db, "audit_anchor_seq", String(seq))
            try Self.setMeta(db, "audit_anchor_hash", last["hash"])
            return deleted
        }
    }

    /// Checks the audit chain (each row's hash, its link to the previous row, no gap in the
    /// sequence) and every stored event (canonical body, hash, signature by its origin's key,
    /// predecessor present). Problems name the table and the row, first broken link first.
    /// `progress` is called after each 10,000 events.
    public func verifyIntegrity(progress: @escaping @Sendable (Int) -> Void = { _ in }) async throws -> IntegrityReport {
        let topology = hierarchy?.topology
        return try await read { db in
            var report = IntegrityReport()
            var expectedSeq = (Int64(try Self.meta(db, "audit_anchor_seq") ?? "0") ?? 0) + 1
            var prev = try Self.meta(db, "audit_anchor_hash") ?? ""
            let rows = try Row.fetchCursor(db, sql: "SELECT * FROM audit_log ORDER BY seq")
            while let row = try rows.next() {
                let r = Self.auditRow(row)
                report.auditRows += 1
                let e = r.entry
                let computed = AuditEntry.hash(
                    seq: r.seq,
                    atMilliseconds: row["at"],
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
                    report.problems.append("audit_log row \(r.seq): expected row \(expectedSeq) here (rows missing or inserted)")
                } else if r.prevHash != prev {
                    report.problems.append("audit_log row \(r.seq): prev_hash does not match row \(r.seq - 1)'s hash")
                } else if computed != r.hash {
                    report.problems.append("audit_log row \(r.seq): its hash does not match its contents (altered)")
                }
                expectedSeq = r.seq + 1
                prev = r.hash
            }
            let events = try Row.fetchCursor(db, sql: "SELECT * FROM events ORDER BY case_number, epoch, seq")
            var cases = Set<String>()
            // The hashes of the case being read: a predecessor among them is stored, unasked.
            var caseHashes = Set<String>()
            var batch: [Row] = []
            func flush() throws {
                for (row, check) in zip(batch, Self.checkEvents(batch, topology: topology, node: node)) {
                    report.events += 1
                    if report.events % 10_000 == 0 { progress(report.events) }
                    let number: String = row["case_number"]
                    if cases.insert(number).inserted { caseHashes.removeAll(keepingCapacity: true) }
                    caseHashes.insert(row["hash"])
                    if let problem = check.problem { report.problems.append(problem) }
                    if let p = check.prevHash, !caseHashes.contains(p), !(try Self.hasEvent(db, hash: p)) {
                        report.problems.append("\(Self.eventPlace(row)): its predecessor \(p.prefix(16)) is missing")
                    }
                }
                batch.removeAll(keepingCapacity: true)
            }
            while let row = try events.next() {
                batch.append(row.copy())
                if batch.count == Self.verifiedPerBatch { try flush() }
            }
            try flush()
            report.cases = cases.count
            return report
        }
    }

    /// Events checked together, spread over the cores (the pure part of each check).
    static let verifiedPerBatch = 4_096

    /// What the pure check of one stored event found: the problem, and its predecessor's hash (for
    /// the check that needs the store).
    struct EventCheck: Sendable {
        var problem: String?
        var prevHash: String?
    }

    /// The pure checks of stored events (decoding, the canonical body, the hash, the signature),
    /// on every core; in the rows' order.
    static func checkEvents(_ rows: [Row], topology: Topology?, node: NodeID) -> [EventCheck] {
        let shared = SharedRows(rows)
        return parallelMap(rows.count) { index in checkEvent(shared.rows[index], topology: topology, node: node) }
    }

    /// How a problem names a stored event's row (made only for a problem).
    static func eventPlace(_ row: Row) -> String {
        "events row \((row["hash"] as String).prefix(16)) (case \(row["case_number"] as String), seq \(row["seq"] as Int))"
    }

    static func checkEvent(_ row: Row, topology: Topology?, node: NodeID) -> EventCheck {
        var check = EventCheck()
        let event: CaseEvent
        do { event = try CaseEvent(row: row) } catch {
            check.problem = "\(eventPlace(row)): its body does not decode (altered)"
            return check
        }
        check.prevHash = event.prevHash
        let canonical = (try? CanonicalJSON.encoder.encode(event.body)).map { String(decoding: $0, as: UTF8.self) }
        if event.body.kind != (row["kind"] as String) {
            check.problem = "\(eventPlace(row)): its kind column does not match its body (altered)"
        } else if canonical != (row["body"] as String) {
            check.problem = "\(eventPlace(row)): its body is not the bytes that were hashed (altered)"
        } else if event.computedHash() != event.hash {
            check.problem = "\(eventPlace(row)): its hash does not match its contents (altered)"
        } else if let topology, event.signature != nil || event.origin != node {
            if !(topology.node(event.origin)?.verifies(event) ?? false) {
                check.problem = "\(eventPlace(row)): the signature does not verify against \(event.origin)'s key"
            }
        }
        return check
    }
}

/// Copied rows, read (never changed) by the workers of `checkEvents`.
private final class SharedRows: @unchecked Sendable {
    let rows: [Row]
    init(_ rows: [Row]) { self.rows = rows }
}
