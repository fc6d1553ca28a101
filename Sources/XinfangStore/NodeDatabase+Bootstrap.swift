public import Foundation
import GRDB
public import XinfangCore

/// One page of what a parent holds of a child's replicas, for a child whose store was lost
/// (`xinfang bootstrap --from-parent`): the cases the child replicates are those the parent's
/// outbox keeps a chain item for with that child, each sent as its whole winning chain.
public struct SubtreeExport: Codable, Sendable, Equatable {
    public var chains: [[CaseEvent]]
    /// The case number the next page starts after; nil after the last page.
    public var next: String?
    /// The cases the child replicates, on every page (for progress).
    public var total: Int
    /// When the parent last took a packet from the child: what the child did after it never
    /// reached the parent.
    public var lastReceivedAt: Date?
    /// The cases the child held as the parent last saw them (at most `heldListedMax`), and how
    /// many there were: the ones the child may have changed after `lastReceivedAt`. On the first
    /// page only.
    public var heldByChild: [CaseNumber]?
    public var heldByChildCount: Int?

    public static let heldListedMax = 1_000
    /// Cases a page carries at most (and `DeliveryPolicy.eventsPerPacketMax` events, unless one
    /// case alone has more).
    public static let casesPerPage = 200
    /// The encoded chains of a page at most (unless one case alone is larger), under the 5 MiB a
    /// node reads of an answer.
    public static let pageBytesMax = 4 << 20
}

extension NodeDatabase {
    /// Events of one case a bootstrap page carries at most (far more than any case has).
    static let chainEventsMax = 100_000

    /// A page of the replicas `child` holds, after the case number `after` (the first page when nil).
    public func subtreeExport(for child: NodeID, after: String?) async throws -> SubtreeExport {
        try await read { db in
            let numbers = try db.values(
                """
                SELECT case_number FROM outbox WHERE peer = ? AND kind = 'chain' AND case_number > ?
                ORDER BY case_number LIMIT ?
                """,
                [child.rawValue, after ?? "", SubtreeExport.casesPerPage + 1],
                as: String.self
            )
            var chains: [[CaseEvent]] = []
            var events = 0
            var bytes = 0
            var covered: String?
            for number in numbers.prefix(SubtreeExport.casesPerPage) {
                let chain = try Self.chainEvents(db, CaseNumber(rawValue: number), after: 0, limit: Self.chainEventsMax)
                let size = try CanonicalJSON.encoder.encode(chain).count
                if !chains.isEmpty, events + chain.count > DeliveryPolicy.eventsPerPacketMax || bytes + size > SubtreeExport.pageBytesMax { break }
                if !chain.isEmpty { chains.append(chain) }
                events += chain.count
                bytes += size
                covered = number
            }
            // The page covers the cases up to `covered`; the next starts after it.
            let more = covered != nil && covered != numbers.last
            var export = SubtreeExport(
                chains: chains,
                next: more ? covered : nil,
                total: try db.value("SELECT COUNT(*) FROM outbox WHERE peer = ? AND kind = 'chain'", [child.rawValue], as: Int.self)
                    ?? 0,
                lastReceivedAt: try db.value("SELECT last_received_at FROM peers WHERE peer = ?", [child.rawValue], as: Int64.self)
                    .map(Date.init(milliseconds:))
            )
            if after == nil {
                export.heldByChild = try db.values(
                    "SELECT case_number FROM cases WHERE holder = ? ORDER BY case_number LIMIT ?",
                    [child.rawValue, SubtreeExport.heldListedMax],
                    as: String.self
                ).map(CaseNumber.init(rawValue:))
                export.heldByChildCount = try db.value("SELECT COUNT(*) FROM cases WHERE holder = ?", [child.rawValue], as: Int.self)
            }
            return export
        }
    }

    /// Takes chains a parent sent from its replicas (a bootstrap), as a packet's are taken (hash
    /// links, the head's signature, the holder's right to append, the fold), without a link
    /// session's number: one transaction, a receipt per chain.
    public func receiveReplicas(from parent: NodeID, chains runs: [[CaseEvent]], now: Date) async throws -> [ItemReceipt] {
        let receipts = try await withRunsAhead(runs, now: now) { ahead in
            try await write { db in try receive(db, runs, from: parent, now: now, ahead: ahead.take) }
        }
        outboxSignal.notify()
        return receipts
    }

    /// What a store rebuilt from its parent sets its own counters to.
    public struct ReseatedCounters: Sendable, Equatable {
        /// The next registration's sequence number is the one after this.
        public var caseSequence: Int
        /// Per year, the last 文号 sequence taken.
        public var noticeSequences: [Int: Int]
    }

    /// Case numbers skipped after a rebuild: numbers the lost store gave to petitions it never
    /// sent (a receipt handed to a petitioner) must not be given again. A county registers a
    /// few dozen a day.
    public static let caseSequenceMargin = 1_000
    /// 文号 skipped after a rebuild, for the same reason (a few a day at a county).
    public static let noticeSequenceMargin = 100

    /// After a rebuild from the parent: the registration sequence and the 文号 sequences set
    /// past the highest the chains show this node used, plus a margin for what it used and never
    /// sent. Counters never go down.
    public func reseatCounters() async throws -> ReseatedCounters {
        let prefix = node.rawValue + "-"
        return try await write { db in
            var highest = 0
            for number in try db.values("SELECT case_number FROM cases WHERE registered_at_node = ?", [node.rawValue], as: String.self)
            where number.hasPrefix(prefix) {
                highest = max(highest, Int(number.split(separator: "-").last ?? "") ?? 0)
            }
            let current = Int(try NodeMeta.get(db, "case_seq") ?? "0") ?? 0
            let caseSequence = max(current, highest + Self.caseSequenceMargin)
            try NodeMeta.set(db, "case_seq", String(caseSequence))

            var years: [Int: Int] = [:]
            for row in try db.fetchAll("SELECT * FROM events WHERE kind = ?", [ActionName.issueNotice.rawValue]) {
                let event = try CaseEvent(row: row)
                guard event.command?.origin ?? event.origin == node, case .act(.issueNotice(let record)) = event.body,
                    let (year, sequence) = NoticeNumbering.yearAndSequence(of: record.docNumber)
                else { continue }
                years[year] = max(years[year] ?? 0, sequence)
            }
            var sequences: [Int: Int] = [:]
            for (year, sequence) in years {
                let stored = try db.value("SELECT last FROM notice_numbers WHERE year = ?", [year], as: Int.self) ?? 0
                sequences[year] = max(stored, sequence + Self.noticeSequenceMargin)
                try db.execute(
                    "INSERT INTO notice_numbers (year, last) VALUES (?, ?) ON CONFLICT(year) DO UPDATE SET last = excluded.last",
                    [year, sequences[year]!]
                )
            }
            return ReseatedCounters(caseSequence: caseSequence, noticeSequences: sequences)
        }
    }
}
