public import Foundation
import GRDB
public import XinfangCore

extension NodeDatabase {
    /// The audit trail (`AuditTrail`) of this store.
    public var auditTrail: AuditTrail { AuditTrail(self) }

    /// Records an audit entry in a transaction of its own (a read, a refusal, a login).
    public func audit(_ entry: AuditEntry) async throws { try await auditTrail.record(entry) }

    /// Audit rows after `seq`, oldest first, optionally only of one user or action.
    public func auditRows(after seq: Int64, limit: Int, user: String? = nil, action: String? = nil) async throws -> [AuditRow] {
        try await auditTrail.rows(after: seq, limit: limit, user: user, action: action)
    }

    /// Deletes audit rows older than `cutoff` (`AuditTrail.prune`). Returns the rows deleted.
    public func pruneAudit(before cutoff: Date) async throws -> Int { try await auditTrail.prune(before: cutoff) }

    /// Checks the audit chain (each row's hash, its link to the previous row, no gap in the
    /// sequence) and every stored event (canonical body, hash, signature by its origin's key,
    /// predecessor present). Problems name the table and the row, first broken link first.
    /// `progress` is called after each 10,000 events.
    public func verifyIntegrity(progress: @escaping @Sendable (Int) -> Void = { _ in }) async throws -> IntegrityReport {
        let topology = hierarchy?.topology
        return try await read { db in
            var report = IntegrityReport()
            try AuditTrail.verify(db, into: &report)

            var cases = Set<String>()
            // The hashes of the case being read: a predecessor among them is stored, unasked.
            var caseHashes = Set<String>()
            var batch: [SQLRow] = []
            func flush() throws {
                for (row, check) in zip(batch, Self.checkEvents(batch, topology: topology, node: node)) {
                    report.events += 1
                    if report.events % 10_000 == 0 { progress(report.events) }
                    let number: String = row["case_number"]
                    if cases.insert(number).inserted { caseHashes.removeAll(keepingCapacity: true) }
                    caseHashes.insert(row["hash"])
                    if let problem = check.problem { report.problems.append(problem) }
                    if let p = check.prevHash, !caseHashes.contains(p), !(try Self.hasEvent(db, hash: p, of: number)) {
                        report.problems.append("\(Self.eventPlace(row)): its predecessor \(p.prefix(16)) is missing")
                    }
                }
                batch.removeAll(keepingCapacity: true)
            }
            try db.eachRow("SELECT * FROM events ORDER BY case_number, epoch, seq", arguments: []) { row in
                batch.append(row)
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
    static func checkEvents(_ rows: [SQLRow], topology: Topology?, node: NodeID) -> [EventCheck] {
        let shared = SharedRows(rows)
        return parallelMap(rows.count) { index in checkEvent(shared.rows[index], topology: topology, node: node) }
    }

    /// How a problem names a stored event's row (made only for a problem).
    static func eventPlace(_ row: SQLRow) -> String {
        "events row \((row["hash"] as String).prefix(16)) (case \(row["case_number"] as String), seq \(row["seq"] as Int))"
    }

    static func checkEvent(_ row: SQLRow, topology: Topology?, node: NodeID) -> EventCheck {
        var check = EventCheck()
        let event: CaseEvent
        do { event = try CaseEvent(row: row) } catch {
            check.problem = "\(eventPlace(row)): its body does not decode (altered)"
            return check
        }
        check.prevHash = event.prevHash
        // The body's canonical bytes and the hash from one encoding (`CaseEvent.encoded`).
        let encoded = event.encoded()
        if event.body.kind != (row["kind"] as String) {
            check.problem = "\(eventPlace(row)): its kind column does not match its body (altered)"
        } else if encoded.body != (row["body"] as String) {
            check.problem = "\(eventPlace(row)): its body is not the bytes that were hashed (altered)"
        } else if encoded.computedHash() != event.hash {
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
    let rows: [SQLRow]
    init(_ rows: [SQLRow]) { self.rows = rows }
}
