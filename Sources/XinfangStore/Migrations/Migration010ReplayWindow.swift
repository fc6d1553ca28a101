import GRDB

/// v10: the packet numbers seen from each neighbour within a window below the highest
/// (`ReplayWindow`), so a genuine packet that arrives after a later one is taken, not refused as a
/// replay.
enum Migration010ReplayWindow {
    static let identifier = "010-replay-window"

    static func migrate(_ db: Database) throws {
        try db.execute(sql: "ALTER TABLE peers ADD COLUMN recent_packets INTEGER NOT NULL DEFAULT 0;")
    }
}
