import Foundation
import GRDB
import XinfangCore

/// The outbox rows, read and written by column name. What a row becomes is `OutboxItem`'s to
/// decide; this type only finds, loads and stores.
enum OutboxTable {
    /// Which row: a chain per (peer, case), a command per (peer, command), a branch per (peer, head).
    enum Key {
        case chain(NodeID, CaseNumber)
        case command(NodeID, CaseNumber, commandID: String)
        case branch(NodeID, CaseNumber, head: String)

        var peer: NodeID {
            switch self {
            case .chain(let peer, _), .command(let peer, _, _), .branch(let peer, _, _): peer
            }
        }

        var caseNumber: CaseNumber {
            switch self {
            case .chain(_, let number), .command(_, let number, _), .branch(_, let number, _): number
            }
        }
    }

    static func item(_ row: Row) -> OutboxItem {
        OutboxItem(
            kind: OutboxKind(rawValue: row["kind"]) ?? .chain,
            state: OutboxState(rawValue: row["state"]) ?? .pending,
            attempts: row["attempts"],
            ackedSeq: row["acked_seq"],
            targetSeq: row["target_seq"],
            nextAttemptAt: Date(milliseconds: row["next_attempt_at"]),
            lastError: row["last_error"],
            lastErrorKind: (row["last_error_kind"] as String?).flatMap(DeliveryFailure.init(rawValue:))
        )
    }

    static let columns = "id, kind, state, attempts, acked_seq, target_seq, next_attempt_at, last_error, last_error_kind"

    static func load(_ db: Database, id: Int64) throws -> OutboxItem? {
        try Row.fetchOne(db, cached: "SELECT \(columns) FROM outbox WHERE id = ?", arguments: [id]).map(item)
    }

    static func find(_ db: Database, _ key: Key) throws -> (id: Int64, item: OutboxItem)? {
        let row: Row?
        switch key {
        case .chain(let peer, let number):
            row = try Row.fetchOne(
                db,
                cached: "SELECT \(columns) FROM outbox WHERE peer = ? AND kind = 'chain' AND case_number = ?",
                arguments: [peer.rawValue, number.rawValue]
            )
        case .command(let peer, _, let commandID):
            row = try Row.fetchOne(
                db,
                cached: "SELECT \(columns) FROM outbox WHERE peer = ? AND kind = 'command' AND command_id = ?",
                arguments: [peer.rawValue, commandID]
            )
        case .branch(let peer, _, let head):
            row = try Row.fetchOne(
                db,
                cached: "SELECT \(columns) FROM outbox WHERE peer = ? AND kind = 'branch' AND branch_head = ?",
                arguments: [peer.rawValue, head]
            )
        }
        return row.map { ($0["id"], item($0)) }
    }

    /// Every row of `kind` for a case (all peers), with its id.
    static func rows(_ db: Database, kind: OutboxKind, case number: CaseNumber, peer: NodeID? = nil) throws -> [(id: Int64, item: OutboxItem)] {
        try Row.fetchAll(
            db,
            cached: "SELECT \(columns) FROM outbox WHERE kind = ? AND case_number = ? AND (? IS NULL OR peer = ?)",
            arguments: [kind.rawValue, number.rawValue, peer?.rawValue, peer?.rawValue]
        ).map { ($0["id"], item($0)) }
    }

    /// Stores `item` in row `id` when it differs from `old`.
    static func save(_ db: Database, id: Int64, _ item: OutboxItem, was old: OutboxItem? = nil, now: Date) throws {
        guard item != old else { return }
        try db.execute(
            cached: """
                UPDATE outbox SET state = :state, attempts = :attempts, acked_seq = :ackedSeq, target_seq = :targetSeq,
                    next_attempt_at = :nextAttemptAt, last_error = :lastError, last_error_kind = :lastErrorKind, updated_at = :now
                WHERE id = :id
                """,
            arguments: [
                "state": item.state.rawValue, "attempts": item.attempts, "ackedSeq": item.ackedSeq, "targetSeq": item.targetSeq,
                "nextAttemptAt": item.nextAttemptAt.milliseconds, "lastError": item.lastError,
                "lastErrorKind": item.lastErrorKind?.rawValue, "now": now.milliseconds, "id": id,
            ]
        )
    }

    static func insert(_ db: Database, _ key: Key, _ item: OutboxItem, now: Date) throws {
        var commandID: String?
        var branchHead: String?
        switch key {
        case .chain: break
        case .command(_, _, let id): commandID = id
        case .branch(_, _, let head): branchHead = head
        }
        try db.execute(
            cached: """
                INSERT INTO outbox (peer, kind, case_number, command_id, branch_head, target_seq, acked_seq, state, attempts,
                    last_error, last_error_kind, next_attempt_at, created_at, updated_at)
                VALUES (:peer, :kind, :caseNumber, :commandID, :branchHead, :targetSeq, :ackedSeq, :state, :attempts,
                    :lastError, :lastErrorKind, :nextAttemptAt, :now, :now)
                """,
            arguments: [
                "peer": key.peer.rawValue, "kind": item.kind.rawValue, "caseNumber": key.caseNumber.rawValue, "commandID": commandID,
                "branchHead": branchHead, "targetSeq": item.targetSeq, "ackedSeq": item.ackedSeq, "state": item.state.rawValue,
                "attempts": item.attempts, "lastError": item.lastError, "lastErrorKind": item.lastErrorKind?.rawValue,
                "nextAttemptAt": item.nextAttemptAt.milliseconds, "now": now.milliseconds,
            ]
        )
    }

    /// The row for `key` moved by `change`, or created as `new` when there is none.
    static func upsert(_ db: Database, _ key: Key, new: OutboxItem, now: Date, change: (OutboxItem) -> OutboxItem) throws {
        if let (id, old) = try find(db, key) {
            try save(db, id: id, change(old), was: old, now: now)
        } else {
            try insert(db, key, new, now: now)
        }
    }

    /// Row `id` moved by `change`.
    static func update(_ db: Database, id: Int64, now: Date, change: (OutboxItem) -> OutboxItem) throws {
        guard let old = try load(db, id: id) else { return }
        try save(db, id: id, change(old), was: old, now: now)
    }
}
