import Foundation
import XinfangCore

/// What applying a packet's runs reads of the cases they name, read in one go as the packet's
/// transaction begins instead of once for each run (each a round trip on PostgreSQL): every case's
/// head and digest row, which of the runs' events (and their predecessors) are stored, the case's
/// open conflicts, its chain rows in the outbox, whether commands wait for it, and the node's
/// hybrid clock.
///
/// **Valid until the case is touched.** A case's figures stand for the store as the packet began,
/// so they are answered only until the run of that case ends (`touch`); a later run of the same
/// case in the packet, and any case not named, reads the store as before. Within a run, each figure
/// is read before the run writes what it depends on (the run's own events are counted in,
/// `inserted`); an outbox row is answered once, then read from the store. A store that is rolled
/// back below the point the reads were made must not use them again.
///
/// **The clock** is kept here and written once, `storeClock`, before the packet's savepoint ends;
/// anything that reads or ticks the stored clock in between runs inside `withClockInStore`.
///
/// `PacketReads()` covers nothing: every answer is the store's own read, as for a single event.
final class PacketReads {
    /// A case's anti-entropy row before this run changed it (`NodeDatabase.updateDigest`).
    struct DigestRow {
        var hash: Int64
        var peers: String
        var events: Int

        /// A case's row as it is inserted: no contribution, no peers, no events.
        static let unstored = DigestRow(hash: 0, peers: "", events: 0)
    }

    /// The cases whose figures still stand.
    private var covered: Set<String> = []
    private var heads: [String: CaseHead] = [:]
    private var digests: [String: DigestRow] = [:]
    private var known: Set<String> = []
    private var conflicts: [String: (participants: [NodeID], leaves: [String])] = [:]
    /// The chain rows of the outbox, by case and then by peer, each answered once.
    private var chainRows: [String: [String: (id: Int64, item: OutboxItem)]] = [:]
    private var answeredChains: Set<String> = []
    private var waiting: Set<String> = []
    /// The clock as this packet left it; nil when the store's row is the clock.
    private var clock: HLCTimestamp??
    private var clockChanged = false

    /// Reads nothing, covers nothing.
    init() {}

    /// The figures of every case `runs` name, read from `db` in a few queries, `variablesPerQuery`
    /// case numbers at a time; `neighbours` are the peers whose outbox rows a run may move.
    init(_ db: some SQLSession, runs: [[CaseEvent]], neighbours: [NodeID]) throws {
        let numbers = Array(Set(runs.compactMap { $0.first?.caseNumber.rawValue })).sorted()
        let peers = neighbours.map(\.rawValue) as [any SQLValueConvertible]
        for inList in NodeDatabase.inLists(numbers) {
            let list = inList.placeholders
            let arguments = inList.arguments
            for row in try db.rows(
                """
                SELECT case_number, head_seq, head_hash, ae_hash, ae_peers,
                    (SELECT COUNT(*) FROM events WHERE events.case_number = cases.case_number) AS events
                FROM cases WHERE case_number IN (\(list))
                """,
                arguments: arguments,
                cached: true
            ) {
                let number: String = row["case_number"]
                heads[number] = CaseHead(seq: row["head_seq"], hash: row["head_hash"])
                digests[number] = DigestRow(hash: row["ae_hash"], peers: row["ae_peers"], events: row["events"])
            }
            for row in try db.rows(
                "SELECT case_number, loser_participants, loser_leaves FROM conflicts WHERE case_number IN (\(list))",
                arguments: arguments,
                cached: true
            ) {
                let number: String = row["case_number"]
                conflicts[number, default: ([], [])].participants += Self.split(row["loser_participants"]).map { NodeID($0) }
                conflicts[number, default: ([], [])].leaves += Self.split(row["loser_leaves"])
            }
            if !peers.isEmpty {
                for row in try db.rows(
                    """
                    SELECT case_number, peer, \(OutboxTable.columns) FROM outbox
                    WHERE kind = 'chain' AND peer IN (\(NodeDatabase.placeholders(peers.count))) AND case_number IN (\(list))
                    """,
                    arguments: peers + arguments,
                    cached: true
                ) {
                    chainRows[row["case_number"], default: [:]][row["peer"]] = (row["id"], OutboxTable.item(row))
                }
            }
            waiting.formUnion(
                try db.values(
                    "SELECT DISTINCT case_number FROM commands WHERE status = '\(CommandStatus.undeliverable.rawValue)' AND case_number IN (\(list))",
                    arguments,
                    as: String.self
                )
            )
        }
        known = try NodeDatabase.storedHashes(db, of: runs)
        clock = .some(try NodeMeta.clock(db))
        covered = Set(numbers)
    }

    private static func split(_ list: String?) -> [String] {
        (list ?? "").split(separator: ",").map(String.init)
    }

    private func covers(_ number: CaseNumber) -> Bool { covered.contains(number.rawValue) }

    /// The run of `number` has ended: its figures no longer stand.
    func touch(_ number: CaseNumber) { covered.remove(number.rawValue) }

    func head(_ db: some SQLSession, _ number: CaseNumber) throws -> CaseHead? {
        covers(number) ? heads[number.rawValue] : try NodeDatabase.loadHead(db, number)
    }

    /// Whether an event of case `number` with `hash` is stored (the run's own events and their
    /// predecessors only).
    func isKnown(_ db: some SQLSession, _ hash: String, of number: CaseNumber) throws -> Bool {
        covers(number) ? known.contains(hash) : try NodeDatabase.hasEvent(db, hash: hash, of: number.rawValue)
    }

    /// `count` events of `number` were stored in this run (before its digest is updated).
    func inserted(_ count: Int, into number: CaseNumber) {
        guard covers(number) else { return }
        digests[number.rawValue, default: .unstored].events += count
    }

    /// The case's digest row as the run found it, its new events counted; nil: read the store.
    func digest(_ number: CaseNumber) -> DigestRow? {
        covers(number) ? digests[number.rawValue] ?? .unstored : nil
    }

    /// The participants of the case's losing branches.
    func losingParticipants(_ db: some SQLSession, _ number: CaseNumber) throws -> [NodeID] {
        covers(number) ? conflicts[number.rawValue]?.participants ?? [] : try NodeDatabase.losingParticipants(db, number)
    }

    /// The heads of the case's losing branches; nil: read the store when they are needed.
    func losingLeaves(_ number: CaseNumber) -> [String]? {
        covers(number) ? conflicts[number.rawValue]?.leaves ?? [] : nil
    }

    /// The outbox row of `key`, answered from the reads once for a chain row, else found.
    func outboxRow(_ db: some SQLSession, _ key: OutboxTable.Key) throws -> (id: Int64, item: OutboxItem)? {
        guard case .chain(let peer, let number) = key, covers(number), answeredChains.insert("\(peer.rawValue) \(number.rawValue)").inserted
        else { return try OutboxTable.find(db, key) }
        return chainRows[number.rawValue]?[peer.rawValue]
    }

    /// Whether commands may be waiting for the case (it is then read from the store).
    func mayHaveWaiting(_ number: CaseNumber) -> Bool {
        !covers(number) || waiting.contains(number.rawValue)
    }

    // MARK: The clock

    /// The clock after seeing `latest`: kept here for the packet, or read and written at once.
    func see(_ db: some SQLSession, _ latest: HLCTimestamp, now: Date) throws {
        guard case .some(let last) = clock else {
            try NodeMeta.setClock(db, HLCTimestamp.receive(latest, after: try NodeMeta.clock(db), nowMs: now.milliseconds))
            return
        }
        clock = .some(HLCTimestamp.receive(latest, after: last, nowMs: now.milliseconds))
        clockChanged = true
    }

    /// Writes the clock kept here, if it moved.
    func storeClock(_ db: some SQLSession) throws {
        guard case .some(let last) = clock, clockChanged, let last else { return }
        try NodeMeta.setClock(db, last)
        clockChanged = false
    }

    /// Runs `body` with the clock in the store (it may read or tick it), then keeps it here again.
    func withClockInStore<T>(_ db: some SQLSession, _ body: () throws -> T) throws -> T {
        guard case .some = clock else { return try body() }
        try storeClock(db)
        let result = try body()
        clock = .some(try NodeMeta.clock(db))
        return result
    }
}
