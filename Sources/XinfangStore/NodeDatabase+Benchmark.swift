import Foundation
import GRDB
public import XinfangCore

extension NodeDatabase {
    /// For the anti-entropy benchmark only: fills the store with `count` synthetic replicated case
    /// heads shared with `peer`, straight into the rows an exchange reads (the cases' bucket
    /// columns and the per-peer bucket digests), in one transaction. `version(i)` names case i's
    /// head, so two stores built with different versions for a few cases differ in exactly those.
    public func loadSyntheticHeads(count: Int, sharedWith peer: NodeID, version: @escaping @Sendable (Int) -> Int) async throws {
        try await loadSyntheticHeads(numberedAs: node, count: count, sharedWith: peer, version: version)
    }

    /// The same heads as `numberedAs`'s store (version 1 each), as a replica holds them.
    public func loadSyntheticHeadsAs(_ origin: NodeID, count: Int, sharedWith peer: NodeID) async throws {
        try await loadSyntheticHeads(numberedAs: origin, count: count, sharedWith: peer) { _ in 1 }
    }

    func loadSyntheticHeads(
        numberedAs origin: NodeID,
        count: Int,
        sharedWith peer: NodeID,
        version: @escaping @Sendable (Int) -> Int
    )
        async throws
    {
        try await write { db in
            var buckets: [Int: UInt64] = [:]
            let statement = try db.makeStatement(
                sql: """
                    INSERT INTO cases (case_number, status, holder, owner, epoch, head_seq, head_hash, registered_at,
                        registered_at_node, received_at, channel, purpose, category_l1, category_l2, category_l3, issue_region,
                        urgent, law_related, summary, search_text, last_event_at, state_json, ae_bucket, ae_hash, ae_peers)
                    VALUES (?, 'accepted', ?, ?, 0, 1, ?, 0, ?, 0, 'letter', 'request', '', '', '', '', 0, 0, '', '', 0, '{}', ?, ?, ?)
                    """
            )
            for i in 0..<count {
                let number = CaseNumber(
                    rawValue: "\(origin.rawValue)-2\(String(format: "%07d", i / 90_000))-\(String(format: "%05d", i % 90_000 + 1))"
                )
                let head = "synthetic-\(i)-v\(version(i))"
                let key = AntiEntropy.caseKey(number)
                let contribution = AntiEntropy.contribution(number, head: head, events: 0)
                buckets[AntiEntropy.leaf(ofKey: key), default: 0] ^= contribution
                try statement.execute(arguments: [
                    number.rawValue, node.rawValue, node.rawValue, head, node.rawValue, AntiEntropy.leaf(ofKey: key),
                    Int64(bitPattern: contribution), peer.rawValue,
                ])
            }
            for (bucket, digest) in buckets {
                try db.execute(
                    sql: """
                        INSERT INTO ae_buckets (peer, bucket, digest) VALUES (?, ?, ?)
                        ON CONFLICT(peer, bucket) DO UPDATE SET digest = (digest | excluded.digest) - (digest & excluded.digest)
                        """,
                    arguments: [peer.rawValue, bucket, Int64(bitPattern: digest)]
                )
            }
        }
    }
}
