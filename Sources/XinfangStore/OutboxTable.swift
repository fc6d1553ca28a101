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

    static func item(_ row: SQLRow) -> OutboxItem {
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

    static func load(_ db: some SQLSession, id: Int64) throws -> OutboxItem? {
        try db.fetchOne("SELECT \(columns) FROM outbox WHERE id = ?", [id]).map(item)
    }

    static func find(_ db: some SQLSession, _ key: Key) throws -> (id: Int64, item: OutboxItem)? {
        let row: SQLRow?
        switch key {
        case .chain(let peer, let number):
            row = try db.fetchOne(
                "SELECT \(columns) FROM outbox WHERE peer = ? AND kind = 'chain' AND case_number = ?",
                [peer.rawValue, number.rawValue]
            )
        case .command(let peer, _, let commandID):
            row = try db.fetchOne("SELECT \(columns) FROM outbox WHERE peer = ? AND kind = 'command' AND command_id = ?", [peer.rawValue, commandID])
        case .branch(let peer, _, let head):
            row = try db.fetchOne("SELECT \(columns) FROM outbox WHERE peer = ? AND kind = 'branch' AND branch_head = ?", [peer.rawValue, head])
        }
        return row.map { ($0["id"], item($0)) }
    }

    /// Every row of `kind` for a case (all peers), with its id.
    static func rows(_ db: some SQLSession, kind: OutboxKind, case number: CaseNumber, peer: NodeID? = nil) throws -> [(id: Int64, item: OutboxItem)]
    {
        // Two statements, not one with `(? IS NULL OR peer = ?)`: SQLite prepared that one again
        // at every call, its plan depending on the value bound (a third of anti-entropy's repair).
        let rows =
            if let peer {
                try db.fetchAll(
                    "SELECT \(columns) FROM outbox WHERE kind = ? AND case_number = ? AND peer = ?",
                    [kind.rawValue, number.rawValue, peer.rawValue]
                )
            } else {
                try db.fetchAll("SELECT \(columns) FROM outbox WHERE kind = ? AND case_number = ?", [kind.rawValue, number.rawValue])
            }
        return rows.map { ($0["id"], item($0)) }
    }

    /// A row's new state; gathered with others in a packet's transaction (`GatheredWrite`).
    static let saveStatement = """
        UPDATE outbox SET state = ?, attempts = ?, acked_seq = ?, target_seq = ?,
            next_attempt_at = ?, last_error = ?, last_error_kind = ?, updated_at = ?
        WHERE id = ?
        """

    /// Stores `item` in row `id` when it differs from `old`.
    static func save(_ db: some SQLSession, id: Int64, _ item: OutboxItem, was old: OutboxItem? = nil, now: Date) throws {
        guard item != old else { return }
        try db.execute(
            saveStatement,
            [
                item.state.rawValue, item.attempts, item.ackedSeq, item.targetSeq,
                item.nextAttemptAt.milliseconds, item.lastError,
                item.lastErrorKind?.rawValue, now.milliseconds, id,
            ]
        )
    }

    static let insertStatement = """
        INSERT INTO outbox (peer, kind, case_number, command_id, branch_head, target_seq, acked_seq, state, attempts,
            last_error, last_error_kind, next_attempt_at, created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    static func insert(_ db: some SQLSession, _ key: Key, _ item: OutboxItem, now: Date) throws {
        var commandID: String?
        var branchHead: String?
        switch key {
        case .chain: break
        case .command(_, _, let id): commandID = id
        case .branch(_, _, let head): branchHead = head
        }
        try db.execute(
            insertStatement,
            [
                key.peer.rawValue, item.kind.rawValue, key.caseNumber.rawValue, commandID,
                branchHead, item.targetSeq, item.ackedSeq, item.state.rawValue,
                item.attempts, item.lastError, item.lastErrorKind?.rawValue,
                item.nextAttemptAt.milliseconds, now.milliseconds, now.milliseconds,
            ]
        )
    }

    /// The row for `key` moved by `change`, or created as `new` when there is none (found through
    /// the packet's `reads` when it covers the row).
    static func upsert(
        _ db: some SQLSession,
        _ key: Key,
        new: OutboxItem,
        now: Date,
        reads: PacketReads = PacketReads(),
        change: (OutboxItem) -> OutboxItem
    ) throws {
        if let (id, old) = try reads.outboxRow(db, key) {
            try save(db, id: id, change(old), was: old, now: now)
        } else {
            try insert(db, key, new, now: now)
        }
    }

    /// Row `id` moved by `change`.
    static func update(_ db: some SQLSession, id: Int64, now: Date, change: (OutboxItem) -> OutboxItem) throws {
        guard let old = try load(db, id: id) else { return }
        try save(db, id: id, change(old), was: old, now: now)
    }
}
