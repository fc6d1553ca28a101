import GRDB

/// v12: the supervision board ages open work from the receipt (收件日期, the registration's or
/// ledger's `receivedAt`), not from when the current holder took the case: `petition_received_at`
/// is materialised, the open-work index carries it in place of `holder_since` for the ageing
/// buckets, and an index serves lists sorted or filtered by it. Every materialised row is
/// rewritten from its chain.
enum Migration012ReceiptAge {
    static let identifier = "012-receipt-age"

    static func migrate(_ db: Database) throws {
        try db.execute(
            sql: """
                ALTER TABLE cases ADD COLUMN petition_received_at INTEGER NOT NULL DEFAULT 0;
                DROP INDEX cases_open;
                CREATE INDEX cases_open ON cases(holder, status, petition_received_at, next_due_kind, next_due_at,
                    assigned_by, supervision_due_at) WHERE is_open = 1;
                CREATE INDEX cases_by_received ON cases(petition_received_at DESC, case_number DESC);
                INSERT INTO node_meta (key, value) VALUES ('rebuild_materialised', '1')
                    ON CONFLICT(key) DO UPDATE SET value = excluded.value;
                """
        )
    }
}
