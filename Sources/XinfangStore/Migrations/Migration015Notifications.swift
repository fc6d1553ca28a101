import GRDB

/// v15: the notification outbox (issue 18). One row per message, queued in the transaction that
/// stores the event that makes it, once (`key` is unique: a replayed event queues nothing new).
/// No personal data: the recipient is looked up when the message is sent, and the text sent is
/// kept sealed (`body_sealed`) as long as the case. `state`: pending, sending (handed to the
/// gateway; after a crash handed again under the same id), sent, dead (re-sent by a person).
enum Migration015Notifications {
    static let identifier = "015-notifications"

    static func migrate(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE notifications (
                    id INTEGER PRIMARY KEY,
                    key TEXT NOT NULL UNIQUE,
                    kind TEXT NOT NULL,
                    case_number TEXT,
                    params_json TEXT NOT NULL,
                    state TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    sent_at INTEGER,
                    last_error TEXT,
                    report TEXT,
                    body_sealed TEXT
                );
                CREATE INDEX notifications_due ON notifications(next_attempt_at) WHERE state = 'pending';
                CREATE INDEX notifications_state ON notifications(state, id);
                """
        )
    }
}
