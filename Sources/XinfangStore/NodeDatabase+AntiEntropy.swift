public import Foundation
import GRDB
public import XinfangCore

/// What one side of an anti-entropy exchange found.
public struct DigestRepair: Sendable, Equatable {
    /// Cases that differ and that this node holds: their whole chains are queued for the peer.
    public var resent: Int
    /// Cases the peer has and this node lacks: the peer sends them.
    public var missingHere: Int
}

/// A case's anti-entropy columns in `cases`: its bucket (the leaf of its key), its contribution
/// (from its head and number of stored events) and the peers it is shared with, sorted (stored
/// comma-separated, `peersColumn`).
struct CaseDigest: Equatable {
    var bucket: Int
    var hash: Int64
    var peers: [String]

    static let columns = ["ae_bucket", "ae_hash", "ae_peers"]

    init(_ state: CaseState, peers: [NodeID], events: Int) {
        bucket = AntiEntropy.leaf(ofKey: AntiEntropy.caseKey(state.caseNumber))
        hash = Int64(bitPattern: AntiEntropy.contribution(state.caseNumber, head: state.headHash, events: events))
        self.peers = peers.map(\.rawValue).sorted()
    }

    var peersColumn: String { peers.joined(separator: ",") }
}

/// The statements that keep a case's anti-entropy contribution.
enum AntiEntropyStatements {
    /// A contribution XORed into a peer's bucket (`|` less `&`: SQLite has no XOR operator).
    static let bucketXor = """
        INSERT INTO ae_buckets (peer, bucket, digest) VALUES (?, ?, ?)
        ON CONFLICT(peer, bucket) DO UPDATE SET digest = (ae_buckets.digest | excluded.digest) - (ae_buckets.digest & excluded.digest)
        """

    /// The case's contribution as it now stands.
    static let caseDigest = "UPDATE cases SET ae_bucket = ?, ae_hash = ?, ae_peers = ? WHERE case_number = ?"
}

extension NodeDatabase {
    /// Keeps the case's anti-entropy contribution in its buckets, for every peer it is shared with
    /// (its replication peers), inside the caller's transaction. `written`: the digest the case's
    /// row was just inserted with (`MaterialisedCase.upsertWithDigest`), worked out from the same
    /// state, peers and count of events; the buckets take it and the row is not updated (and
    /// `peers`, worked out only when needed, is not asked for).
    func updateDigest(
        _ db: some SQLSession,
        of state: CaseState,
        peers: @autoclosure () -> [NodeID],
        before known: PacketReads.DigestRow? = nil,
        written: CaseDigest? = nil
    ) throws {
        let number = state.caseNumber.rawValue
        let old: PacketReads.DigestRow
        if let known {
            old = known
        } else {
            guard
                let row = try db.fetchOne(
                    "SELECT ae_hash, ae_peers, (SELECT COUNT(*) FROM events WHERE case_number = ?) AS events FROM cases WHERE case_number = ?",
                    [number, number]
                )
            else { return }
            old = PacketReads.DigestRow(hash: row["ae_hash"], peers: row["ae_peers"], events: row["events"])
        }
        let digest = written ?? CaseDigest(state, peers: peers(), events: old.events)
        let oldHash = old.hash
        let oldPeers = old.peers.split(separator: ",").map(String.init)
        guard oldHash != digest.hash || oldPeers != digest.peers else { return }
        // Per peer, the old contribution out and the new one in, as one XOR.
        for peer in Set(oldPeers).union(digest.peers).sorted() {
            let change = (oldHash != 0 && oldPeers.contains(peer) ? oldHash : 0) ^ (digest.peers.contains(peer) ? digest.hash : 0)
            if change != 0 { try db.execute(AntiEntropyStatements.bucketXor, [peer, digest.bucket, change]) }
        }
        guard written == nil else { return }
        try db.execute(AntiEntropyStatements.caseDigest, [digest.bucket, digest.hash, digest.peersColumn, number])
    }

    /// The leaf digests this node keeps for `peer` (only the non-zero ones).
    public func digestLeaves(for peer: NodeID) async throws -> [Int: UInt64] {
        try await read { db in
            var leaves: [Int: UInt64] = [:]
            for row in try db.fetchAll("SELECT bucket, digest FROM ae_buckets WHERE peer = ? AND digest != 0", [peer.rawValue]) {
                leaves[row["bucket"]] = UInt64(bitPattern: row["digest"])
            }
            return leaves
        }
    }

    /// This node's entries for `peer` under the given leaves.
    public func digestEntries(for peer: NodeID, leaves: [Int]) async throws -> [DigestEntry] {
        try await read { db in try Self.entries(db, for: peer, leaves: leaves) }
    }

    static func entries(_ db: some SQLSession, for peer: NodeID, leaves: [Int]) throws -> [DigestEntry] {
        guard !leaves.isEmpty else { return [] }
        var result: [DigestEntry] = []
        for list in inLists(leaves) {
            let rows = try db.rows(
                """
                SELECT c.case_number, c.ae_hash, c.ae_peers, (SELECT COUNT(*) FROM events e WHERE e.case_number = c.case_number) AS n
                FROM cases c WHERE c.ae_bucket IN (\(list.placeholders))
                """,
                arguments: list.arguments,
                cached: true
            )
            for row in rows where (row["ae_peers"] as String).split(separator: ",").contains(Substring(peer.rawValue)) {
                result.append(
                    DigestEntry(
                        key: AntiEntropy.caseKey(CaseNumber(rawValue: row["case_number"])),
                        contribution: UInt64(bitPattern: row["ae_hash"]),
                        events: row["n"]
                    )
                )
            }
        }
        return result
    }

    /// Compares the peer's entries under `leaves` with this node's: every case that differs and is
    /// held here is queued for the peer in full (its chain from the start, and its losing branches;
    /// the peer drops what it has), and every difference is remembered until an exchange finds the
    /// case equal. `complete` says the exchange covered every differing leaf, so what was not seen
    /// differing any more is settled.
    public func repairDifferences(with peer: NodeID, theirs: [DigestEntry], leaves: [Int], complete: Bool, now: Date) async throws -> DigestRepair {
        let repair = try await write { db -> DigestRepair in
            let mine = try Self.entries(db, for: peer, leaves: leaves)
            let theirsByKey = Dictionary(theirs.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
            let mineByKey = Dictionary(mine.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
            var resent = 0
            var missing = 0
            let ms = now.milliseconds
            func remember(_ key: UInt64, _ number: String?, _ kind: String) throws {
                try db.execute(
                    """
                    INSERT INTO replica_mismatches (peer, case_key, case_number, kind, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT(peer, case_key) DO UPDATE SET last_seen = excluded.last_seen, kind = excluded.kind,
                        case_number = coalesce(excluded.case_number, case_number)
                    """,
                    [peer.rawValue, Int64(bitPattern: key), number, kind, ms, ms]
                )
            }
            let byKey = try Self.caseNumbers(db, leaves: leaves)
            for (key, entry) in mineByKey where theirsByKey[key]?.contribution != entry.contribution {
                guard let number = byKey[key] else { continue }
                let other = theirsByKey[key]
                try remember(key, number.rawValue, other != nil && other?.events == entry.events ? "diverged" : "behind")
                try resend(db, number, to: peer, now: now)
                resent += 1
            }
            for (key, _) in theirsByKey where mineByKey[key] == nil {
                try remember(key, nil, "behind")
                missing += 1
            }
            // Equal now: forget earlier differences under these leaves (or everywhere, after a whole exchange).
            let equal = Set(mineByKey.keys).union(theirsByKey.keys).filter { theirsByKey[$0]?.contribution == mineByKey[$0]?.contribution }
            for key in equal {
                try db.execute("DELETE FROM replica_mismatches WHERE peer = ? AND case_key = ?", [peer.rawValue, Int64(bitPattern: key)])
            }
            if complete {
                try db.execute("DELETE FROM replica_mismatches WHERE peer = ? AND last_seen < ?", [peer.rawValue, ms])
            }
            return DigestRepair(resent: resent, missingHere: missing)
        }
        if repair.resent > 0 { outboxSignal.notify() }
        return repair
    }

    /// After an exchange found nothing differing: every remembered difference with `peer` is settled.
    public func clearMismatches(with peer: NodeID) async throws {
        try await write { db in try db.execute("DELETE FROM replica_mismatches WHERE peer = ?", [peer.rawValue]) }
    }

    static func caseNumbers(_ db: some SQLSession, leaves: [Int]) throws -> [UInt64: CaseNumber] {
        var result: [UInt64: CaseNumber] = [:]
        for list in inLists(leaves) {
            for number in try db.rows(
                "SELECT case_number FROM cases WHERE ae_bucket IN (\(list.placeholders))",
                arguments: list.arguments,
                cached: true
            ).compactMap({ $0[0] as String? }) {
                result[AntiEntropy.caseKey(CaseNumber(rawValue: number))] = CaseNumber(rawValue: number)
            }
        }
        return result
    }

    /// Queues the whole case for `peer` again: its chain from the first event, and its losing branches.
    func resend(_ db: some SQLSession, _ number: CaseNumber, to peer: NodeID, now: Date) throws {
        let head = try db.value("SELECT head_seq FROM cases WHERE case_number = ?", [number.rawValue], as: Int.self) ?? 0
        try OutboxTable.upsert(db, .chain(peer, number), new: .chain(to: head, now: now), now: now) { $0.resent(head: head, now: now) }
        for (id, item) in try OutboxTable.rows(db, kind: .branch, case: number, peer: peer) {
            try OutboxTable.save(db, id: id, item.resent(head: head, now: now), was: item, now: now)
        }
        try enqueueBranches(db, number, to: [peer], now: now)
    }

    /// The replica flags: differences anti-entropy remembered for longer than the limit.
    func replicaFlags(_ db: some SQLSession, now: Date, limits: ReconciliationLimits) throws -> [Flag] {
        let limit = now.addingTimeInterval(-limits.replicaSeconds).milliseconds
        return try db.fetchAll("SELECT * FROM replica_mismatches WHERE first_seen <= ?", [limit]).map { row in
            let number = (row["case_number"] as String?).map(CaseNumber.init(rawValue:))
            let peer = NodeID(row["peer"] as String)
            let diverged = (row["kind"] as String) == "diverged"
            let subject = number?.rawValue ?? String(UInt64(bitPattern: row["case_key"]), radix: 16)
            return Flag(
                kind: diverged ? .replicaDiverged : .replicaBehind,
                subject: subject,
                detailKey: peer.rawValue,
                caseNumber: number,
                node: peer,
                raisedBy: node,
                since: Date(milliseconds: row["first_seen"]).addingTimeInterval(limits.replicaSeconds),
                detail: diverged
                    ? "与 \(peer) 的副本事件数相同但链头不同（自 \(Date(milliseconds: row["first_seen"])) 起）。"
                    : "与 \(peer) 的副本不一致，补发未能修复（自 \(Date(milliseconds: row["first_seen"])) 起）。"
            )
        }
    }
}
