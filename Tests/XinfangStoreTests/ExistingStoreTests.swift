import Foundation
import GRDB
import Testing
import XinfangCore
import XinfangTesting

@testable import XinfangStore

/// Stores written before issue 13 keep working: `Fixtures/store-v7` is the province's store of the
/// demo as the previous release (ab38ac5, schema v7) left it — 29 cases, a 交办 verified, an
/// escalation, a decline, a 复查, a 督办 — with its accounts removed, beside the demo's topology
/// (public keys only). Opened by this version, every chain still reads and verifies, and the
/// deadlines are recomputed from the chains with the new rules.
struct ExistingStoreTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/store-v7")

    @Test func aStoreOfTheEarlierSchemaOpensMigratesAndVerifies() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("xinfang-v7-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.copyItem(
            at: Self.fixture.appendingPathComponent("xinfang.sqlite"),
            to: directory.appendingPathComponent("xinfang.sqlite")
        )
        let topology = try JSONDecoder().decode(Topology.self, from: Data(contentsOf: Self.fixture.appendingPathComponent("topology.json")))
        // The events as the earlier version stored them, byte for byte.
        let before = try await DatabaseQueue(path: directory.appendingPathComponent("xinfang.sqlite").path).read { db in
            try Row.fetchAll(db, sql: "SELECT hash, body, signature FROM events ORDER BY case_number, seq").map {
                "\($0["hash"] as String) \($0["body"] as String)"
            }
        }
        #expect(before.count == 58)

        let db = try NodeDatabase.open(
            directory: directory,
            node: NodeID("430000"),
            calendar: .standard,
            hierarchy: Hierarchy(topology: topology, key: NodeKey())
        )
        let after = try await db.readSQLite { db in
            try Row.fetchAll(db, sql: "SELECT hash, body, signature FROM events ORDER BY case_number, seq").map {
                "\($0["hash"] as String) \($0["body"] as String)"
            }
        }
        #expect(after == before, "the chains are not rewritten")
        #expect(try await db.readSQLite { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations") }.contains("008-deadlines"))

        // Every chain reads, folds, verifies, and is what the materialised state says.
        #expect(try await db.rebuildMaterialisedState(repair: false).mismatched.isEmpty)
        var query = CaseQuery()
        query.limit = CaseQuery.limitMax
        let states = try await db.cases(matching: query, now: Date()).items
        #expect(states.count == 29)
        var reviews = 0
        for state in states {
            let events = try await db.events(of: state.caseNumber)
            #expect(try CaseState.fold(events, topology: topology) == state)
            #expect(events.allSatisfy { topology.node($0.origin)?.verifies($0) == true }, "\(state.caseNumber): every signature verifies")
            #expect(events.allSatisfy { $0.body.boundsFailure == nil })
            if let review = state.review {
                reviews += 1
                #expect(review.reviewer != nil, "the fold names the reviewer of a review requested before")
            }
            if state.reply != nil { #expect(state.reply?.by != nil, "the fold names the organ that replied") }
            // The deadline columns follow the new rules, recomputed from the chain.
            let number = state.caseNumber.rawValue
            let columns = try await db.readSQLite { db in
                try Row.fetchOne(db, sql: "SELECT accept_due_at, next_due_at FROM cases WHERE case_number = ?", arguments: [number])
                    .map { [$0["accept_due_at"] as Int64?, $0["next_due_at"] as Int64?] }
            }
            #expect(
                columns == [
                    state.noticeDeadline(calendar: .standard).dueAt.milliseconds, state.nextObligation(calendar: .standard)?.dueAt.milliseconds,
                ]
            )
        }
        #expect(reviews == 1)
        #expect(try await db.readSQLite { try DailyCounts.areCurrent($0, offsetMs: 8 * 3_600_000) })
    }

    /// v16 moves every case's state out of its row unchanged, in the migration itself (before any
    /// rebuild could hide a lost state), and the row no longer carries it.
    @Test func theStatesMoveToTheirOwnTableByteForByte() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("xinfang-v16-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("xinfang.sqlite").path
        try FileManager.default.copyItem(atPath: Self.fixture.appendingPathComponent("xinfang.sqlite").path, toPath: path)
        let queue = try DatabaseQueue(path: path)
        try NodeDatabase.migrator.migrate(queue, upTo: Migration015Notifications.identifier)
        let before = try await queue.read { db in
            try Row.fetchAll(db, sql: "SELECT case_number, state_json FROM cases ORDER BY case_number").map {
                "\($0[0] as String) \($0[1] as String)"
            }
        }
        #expect(before.count == 29)
        try NodeDatabase.migrator.migrate(queue)
        let after = try await queue.read { db in
            try Row.fetchAll(db, sql: "SELECT case_number, state_json FROM case_states ORDER BY case_number").map {
                "\($0[0] as String) \($0[1] as String)"
            }
        }
        #expect(after == before)
        let columns = try await queue.read { db in try db.columns(in: "cases").map(\.name) }
        #expect(!columns.contains("state_json"))
        #expect(columns.contains("lookup_digest"), "the columns after it stay")
    }
}
