import XinfangCore

/// The node's small facts in `node_meta` (its counters, clock and anchors), on either backend.
public enum NodeMeta {
    public static func get(_ db: some SQLSession, _ key: String) throws -> String? {
        try db.value("SELECT value FROM node_meta WHERE key = ?", [key])
    }

    public static func set(_ db: some SQLSession, _ key: String, _ value: String) throws {
        try db.execute(
            "INSERT INTO node_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, value]
        )
    }

    /// The node's hybrid clock as stored (nil before its first tick).
    static func clock(_ db: some SQLSession) throws -> HLCTimestamp? {
        try get(db, "hlc").flatMap(HLCTimestamp.init(stored:))
    }

    static func setClock(_ db: some SQLSession, _ time: HLCTimestamp) throws {
        try set(db, "hlc", time.stored)
    }

    public static func remove(_ db: some SQLSession, _ key: String) throws {
        try db.execute("DELETE FROM node_meta WHERE key = ?", [key])
    }
}
