public import Foundation
import GRDB
import XinfangCore

/// What an operator's monitoring reads from the store at each scrape (issue 16).
public struct OperationalFigures: Sendable {
    public struct Link: Sendable {
        public var peer: String
        /// Items waiting (pending, failed, in flight) and dead.
        public var queued: Int
        public var dead: Int
        /// When the oldest waiting item was queued.
        public var oldestQueuedAt: Date?
        public var lastSuccessAt: Date?
    }

    public var links: [Link]
    /// Refused incoming packets by sender and code.
    public var refusals: [(peer: String, code: String, count: Int)]
    /// Open flags by kind.
    public var openFlags: [String: Int]
    /// Bytes of the database file's pages, and of its write-ahead log.
    public var databaseBytes: Int64
    public var walBytes: Int64
    /// The notification outbox's messages by state.
    public var notifications: [String: Int] = [:]

}

extension NodeDatabase {
    /// The figures a node exports for monitoring: a few grouped reads, cheap at any size.
    public func operationalFigures() async throws -> OperationalFigures {
        let path: String? = if case .sqlite(let writer) = backend { writer.path } else { nil }
        var figures = try await read { db in
            var links: [String: OperationalFigures.Link] = [:]
            for row in try db.fetchAll(
                """
                SELECT peer, \(db.dialect.count(where: "state IN ('pending', 'failed', 'sent')")) AS queued,
                    \(db.dialect.count(where: "state = 'dead'")) AS dead,
                    MIN(CASE WHEN state IN ('pending', 'failed', 'sent') THEN created_at END) AS oldest
                FROM outbox GROUP BY peer
                """
            ) {
                let peer: String = row["peer"]
                links[peer] = OperationalFigures.Link(
                    peer: peer,
                    queued: row["queued"] ?? 0,
                    dead: row["dead"] ?? 0,
                    oldestQueuedAt: (row["oldest"] as Int64?).map(Date.init(milliseconds:)),
                    lastSuccessAt: nil
                )
            }
            for row in try db.fetchAll("SELECT peer, last_success_at FROM peers") {
                let peer: String = row["peer"]
                var link = links[peer] ?? OperationalFigures.Link(peer: peer, queued: 0, dead: 0, oldestQueuedAt: nil, lastSuccessAt: nil)
                link.lastSuccessAt = (row["last_success_at"] as Int64?).map(Date.init(milliseconds:))
                links[peer] = link
            }
            let refusals = try db.fetchAll("SELECT peer, code, count FROM packet_refusals ORDER BY peer, code").map {
                (peer: $0["peer"] as String, code: $0["code"] as String, count: $0["count"] as Int)
            }
            var flags: [String: Int] = [:]
            for row in try db.fetchAll("SELECT kind, COUNT(*) AS n FROM flags WHERE cleared_at IS NULL GROUP BY kind") {
                flags[row["kind"]] = row["n"]
            }
            let size =
                switch db.dialect {
                case .sqlite: "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"
                case .postgres: "SELECT pg_database_size(current_database())"
                }
            let pages = try db.value(size, as: Int64.self) ?? 0
            var notifications: [String: Int] = [:]
            for row in try db.fetchAll("SELECT state, COUNT(*) AS n FROM notifications GROUP BY state") {
                notifications[row["state"]] = row["n"]
            }
            return OperationalFigures(
                links: links.values.sorted { $0.peer < $1.peer },
                refusals: refusals,
                openFlags: flags,
                databaseBytes: pages,
                walBytes: 0,
                notifications: notifications
            )
        }
        let wal = path.flatMap { (try? FileManager.default.attributesOfItem(atPath: $0 + "-wal")[.size] as? NSNumber)?.int64Value }
        figures.walBytes = wal ?? 0
        return figures
    }
}
