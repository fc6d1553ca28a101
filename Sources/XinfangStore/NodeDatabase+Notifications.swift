public import Foundation
import GRDB
import Synchronization
public import XinfangCore

/// Which messages a store's events queue: none unless the node's configuration names a gateway
/// for their audience (`xinfang serve` sets it), and callbacks only for the systems that gave a
/// callback URL, so a node queues nothing it cannot send.
public final class NotificationQueueSwitch: Sendable {
    private let state = Mutex<(audiences: Set<NotificationAudience>, systems: Set<String>)>(([], []))
    init() {}
    public var isOn: Bool { state.withLock { !$0.audiences.isEmpty } }
    public func set(audiences: Set<NotificationAudience>, callbackSystems: Set<String>) {
        state.withLock { $0 = (audiences, callbackSystems) }
    }
    func queues(_ draft: NotificationDraft) -> Bool {
        state.withLock { s in
            guard s.audiences.contains(draft.kind.audience) else { return false }
            return draft.kind != .callback || s.systems.contains(draft.params["system"] ?? "")
        }
    }
}

/// One message of the notification outbox, as the sender and the operators see it: never a
/// recipient or a text (those are looked up, and kept sealed, by the sender).
public struct NotificationRow: Sendable, Equatable, Codable {
    public var id: Int64
    public var key: String
    public var kind: NotificationKind
    public var caseNumber: CaseNumber?
    public var params: [String: String]
    public var state: NotificationState
    public var attempts: Int
    public var nextAttemptAt: Date
    public var createdAt: Date
    public var sentAt: Date?
    public var lastError: String?
    /// What the gateway answered (its message id, a delivery report).
    public var report: String?
}

extension NodeDatabase {
    /// Queues the messages the stored events make here (`NotificationRules`), each once.
    func queueNotifications(_ db: some SQLSession, for events: [CaseEvent], of state: CaseState, now: Date) throws {
        guard notifications.isOn else { return }
        let organ = hierarchy?.topology.node(node)?.name ?? node.rawValue
        for event in events {
            let topology = hierarchy?.topology
            let drafts = NotificationRules.drafts(
                for: event,
                after: state,
                at: node,
                organ: organ,
                calendar: calendar,
                organName: { topology?.node($0)?.name ?? $0.rawValue }
            )
            for draft in drafts where notifications.queues(draft) {
                try insertNotification(db, draft, now: now)
            }
        }
    }

    /// Queues `draft` unless its key was queued before; answers how many it queued (0 or 1).
    @discardableResult
    func insertNotification(_ db: some SQLSession, _ draft: NotificationDraft, now: Date) throws -> Int {
        let params = String(decoding: try CanonicalJSON.encoder.encode(draft.params), as: UTF8.self)
        return try db.execute(
            """
            INSERT INTO notifications (key, kind, case_number, params_json, state, next_attempt_at, created_at)
            VALUES (?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT(key) DO NOTHING
            """,
            [draft.key, draft.kind.rawValue, draft.caseNumber?.rawValue, params, now.milliseconds, now.milliseconds]
        )
    }

    /// Queues a message made outside an event (the daily digest); false when its key was queued before.
    @discardableResult
    public func queueNotification(_ draft: NotificationDraft, now: Date) async throws -> Bool {
        let queued = try await write { db in
            try self.insertNotification(db, draft, now: now) > 0
        }
        if queued { outboxSignal.notify() }
        return queued
    }

    static func notificationRow(_ row: SQLRow) throws -> NotificationRow {
        NotificationRow(
            id: row["id"],
            key: row["key"],
            kind: NotificationKind(rawValue: row["kind"]) ?? .dailyDigest,
            caseNumber: (row["case_number"] as String?).map(CaseNumber.init(rawValue:)),
            params: try JSONDecoder().decode([String: String].self, from: Data((row["params_json"] as String).utf8)),
            state: NotificationState(rawValue: row["state"]) ?? .dead,
            attempts: row["attempts"],
            nextAttemptAt: Date(milliseconds: row["next_attempt_at"]),
            createdAt: Date(milliseconds: row["created_at"]),
            sentAt: (row["sent_at"] as Int64?).map(Date.init(milliseconds:)),
            lastError: row["last_error"],
            report: row["report"]
        )
    }

    /// The due messages, at most `limit`, claimed for sending in the same transaction (state
    /// `sending`, one more attempt): two senders never hand the same message out at once.
    public func claimDueNotifications(now: Date, limit: Int) async throws -> [NotificationRow] {
        try await write { db in
            let rows = try db.fetchAll(
                "SELECT * FROM notifications WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?",
                [now.milliseconds, limit]
            ).map(Self.notificationRow)
            for row in rows {
                try db.execute("UPDATE notifications SET state = 'sending', attempts = attempts + 1 WHERE id = ?", [row.id])
            }
            return rows.map {
                var r = $0
                r.state = .sending
                r.attempts += 1
                return r
            }
        }
    }

    /// After a restart: messages handed to a gateway whose answer was never recorded go again,
    /// under the same id (the gateway's deduplication makes it once).
    public func resumeSendingNotifications() async throws -> Int {
        try await write { db in
            try db.execute("UPDATE notifications SET state = 'pending' WHERE state = 'sending'")
        }
    }

    /// The gateway took the message: its text kept sealed, the gateway's answer recorded.
    public func recordNotificationSent(_ id: Int64, body: String, report: String?, now: Date) async throws {
        let sealed = String(decoding: try CanonicalJSON.encoder.encode(try personalData.seal(Data(body.utf8))), as: UTF8.self)
        try await write { db in
            try db.execute(
                "UPDATE notifications SET state = 'sent', sent_at = ?, report = ?, body_sealed = ?, last_error = NULL WHERE id = ?",
                [now.milliseconds, report.map { String($0.prefix(500)) }, sealed, id]
            )
        }
    }

    /// A failed attempt: again after `NotificationRetry`'s delay, dead after its last attempt or at
    /// once when `final` (the message cannot be sent: no recipient, a code since replaced).
    @discardableResult
    public func recordNotificationFailed(
        _ id: Int64,
        error: String,
        final: Bool = false,
        retryBase: TimeInterval = NotificationRetry.baseSeconds,
        now: Date
    ) async throws -> NotificationState {
        try await write { db in
            let attempts = try db.value("SELECT attempts FROM notifications WHERE id = ?", [id], as: Int.self) ?? 0
            let dead = final || attempts >= NotificationRetry.attemptsMax
            let next = now.addingTimeInterval(NotificationRetry.delay(afterAttempts: attempts, base: retryBase))
            try db.execute(
                "UPDATE notifications SET state = ?, last_error = ?, next_attempt_at = ? WHERE id = ?",
                [dead ? "dead" : "pending", String(error.prefix(500)), next.milliseconds, id]
            )
            return dead ? .dead : .pending
        }
    }

    /// Holds a claimed message back until `until` (quiet hours), without counting an attempt.
    public func deferNotification(_ id: Int64, until: Date) async throws {
        try await write { db in
            try db.execute(
                "UPDATE notifications SET state = 'pending', attempts = MAX(attempts - 1, 0), next_attempt_at = ? WHERE id = ?",
                [until.milliseconds, id]
            )
        }
    }

    /// The earliest time a pending message is due, if any.
    public func nextNotificationDue() async throws -> Date? {
        try await read { db in
            try db.value("SELECT MIN(next_attempt_at) FROM notifications WHERE state = 'pending'", as: Int64.self).map(Date.init(milliseconds:))
        }
    }

    /// The outbox for operators, newest first, optionally in one state.
    public func notificationRows(state: NotificationState? = nil, limit: Int) async throws -> [NotificationRow] {
        try await read { db in
            let rows =
                if let state {
                    try db.fetchAll("SELECT * FROM notifications WHERE state = ? ORDER BY id DESC LIMIT ?", [state.rawValue, limit])
                } else {
                    try db.fetchAll("SELECT * FROM notifications ORDER BY id DESC LIMIT ?", [limit])
                }
            return try rows.map(Self.notificationRow)
        }
    }

    /// The sealed text of a sent message, opened (for a role allowed to read personal data).
    public func notificationBody(_ id: Int64) async throws -> String? {
        let sealed = try await read { db in try db.value("SELECT body_sealed FROM notifications WHERE id = ?", [id], as: String.self) }
        guard let sealed else { return nil }
        let value = try JSONDecoder().decode(SealedValue.self, from: Data(sealed.utf8))
        return String(decoding: try personalData.open(value), as: UTF8.self)
    }

    /// 重新发送: a dead message is due again at once, its attempts counted afresh; false when
    /// there is no such dead message.
    public func resendNotification(_ id: Int64, now: Date) async throws -> Bool {
        let changed = try await write { db in
            try db.execute(
                "UPDATE notifications SET state = 'pending', attempts = 0, next_attempt_at = ? WHERE id = ? AND state = 'dead'",
                [now.milliseconds, id]
            ) > 0
        }
        if changed { outboxSignal.notify() }
        return changed
    }

    /// How many messages are in each state (the metrics).
    public func notificationCounts() async throws -> [NotificationState: Int] {
        try await read { db in
            var out: [NotificationState: Int] = [:]
            for row in try db.fetchAll("SELECT state, COUNT(*) AS n FROM notifications GROUP BY state") {
                if let state = NotificationState(rawValue: row["state"]) { out[state] = row["n"] }
            }
            return out
        }
    }

    /// A gateway's later report on a message it took (an SMS platform's 状态报告): `delivered`
    /// is kept beside the acceptance; `failed` makes the message dead, for a person to resend.
    /// False when this node sent no message of that id.
    public func recordDeliveryReport(messageID: String, delivered: Bool, detail: String, now: Date) async throws -> Bool {
        let prefix = node.rawValue + "-"
        guard messageID.hasPrefix(prefix), let id = Int64(messageID.dropFirst(prefix.count)) else { return false }
        return try await write { db in
            guard let state = try db.value("SELECT state FROM notifications WHERE id = ?", [id], as: String.self),
                state == NotificationState.sent.rawValue || state == NotificationState.sending.rawValue
            else { return false }
            let line = "\(delivered ? "delivered" : "failed") \(now.milliseconds)\(detail.isEmpty ? "" : ": " + detail)"
            try db.execute(
                """
                UPDATE notifications SET report = substr(COALESCE(report || ' | ', '') || ?, 1, 1000),
                    state = CASE WHEN ? THEN state ELSE 'dead' END, last_error = CASE WHEN ? THEN last_error ELSE ? END
                WHERE id = ?
                """,
                [line, delivered, delivered, "手机未送达：" + String(detail.prefix(200)), id]
            )
            return true
        }
    }
}
