import Foundation
import Testing
import XinfangCore
import XinfangStore
import XinfangTesting

/// The audit trail (审计日志) on both backends: chained and filtered, pruned from an anchor,
/// append-only, committed with the write that owes it, and one chain when two servers of one node
/// append at once.
struct AuditTrailTests {
    static let start = Date(timeIntervalSince1970: 1_796_000_000)

    static func entry(_ minute: Int, user: String = "clerk", action: String = "login") -> AuditEntry {
        AuditEntry(
            at: start.addingTimeInterval(Double(minute) * 60),
            user: user,
            node: NodeID("430000"),
            source: "127.0.0.1",
            action: action,
            object: "case-\(minute)"
        )
    }

    @Test(arguments: StoreBackend.allCases)
    func aRecordedTrailIsChainedFilteredAndVerified(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let trail = AuditTrail(store)
            try await trail.record(Self.entry(0))
            try await trail.record(Self.entry(1, user: "auditor", action: "export"))
            try await trail.record(Self.entry(2, action: "case.register"))
            let rows = try await trail.rows(after: 0, limit: 10)
            #expect(rows.map(\.seq) == [1, 2, 3])
            #expect(rows.map(\.entry) == [Self.entry(0), Self.entry(1, user: "auditor", action: "export"), Self.entry(2, action: "case.register")])
            #expect(rows[0].prevHash == "")
            #expect(rows[1].prevHash == rows[0].hash && rows[2].prevHash == rows[1].hash)
            #expect(try await trail.rows(after: 0, limit: 10, user: "auditor").map(\.seq) == [2])
            #expect(try await trail.rows(after: 0, limit: 10, user: "clerk", action: "login").map(\.seq) == [1])
            #expect(try await trail.rows(after: 1, limit: 1).map(\.seq) == [2])
            let report = try await trail.verify()
            #expect(report.ok, "\(report.problems)")
            #expect(report.auditRows == 3)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func retentionPrunesTheOldestRowsAndTheChainGoesOnFromItsAnchor(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let trail = AuditTrail(store)
            for minute in 0..<5 { try await trail.record(Self.entry(minute)) }
            let before = try await trail.rows(after: 0, limit: 10)
            #expect(try await trail.prune(before: Self.start.addingTimeInterval(3 * 60)) == 3)
            #expect(try await trail.prune(before: Self.start.addingTimeInterval(3 * 60)) == 0)
            try await trail.record(Self.entry(5))
            let after = try await trail.rows(after: 0, limit: 10)
            #expect(after.map(\.seq) == [4, 5, 6])
            #expect(Array(after.prefix(2)) == Array(before.suffix(2)))
            #expect(after[2].prevHash == before[4].hash)
            let report = try await trail.verify()
            #expect(report.ok, "\(report.problems)")
            #expect(report.auditRows == 3)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func theTrailRefusesChangesAndDeletionsOutsideRetention(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let trail = AuditTrail(store)
            try await trail.record(Self.entry(0))
            for statement in ["UPDATE audit_log SET detail = 'altered'", "DELETE FROM audit_log"] {
                let error = await #expect(throws: StoreError.self) { try await store.writing { db in try db.execute(statement) } }
                #expect("\(error.map { $0 } as Any)".contains("the audit trail is append-only"), "\(statement)")
            }
            let rows = try await trail.rows(after: 0, limit: 10)
            #expect(rows.map(\.entry) == [Self.entry(0)])
            #expect(try await trail.verify().ok)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func aRequestsAuditRowCommitsWithItsWriteOrNotAtAll(_ backend: StoreBackend) async throws {
        struct Refused: Error {}
        try await backend.withStore { store in
            try await store.writing { db in try db.execute("CREATE TABLE work (n BIGINT PRIMARY KEY)") }
            let done = AuditScope(Self.entry(0, action: "case.action"))
            try await AuditScope.$current.withValue(done) {
                try await store.writing { db in try db.execute("INSERT INTO work (n) VALUES (1)") }
                // The entry is owed once: a second write of the same request adds no row.
                try await store.writing { db in try db.execute("INSERT INTO work (n) VALUES (2)") }
            }
            #expect(done.claimed)
            let failed = AuditScope(Self.entry(1, action: "case.action"))
            await #expect(throws: Refused.self) {
                try await AuditScope.$current.withValue(failed) {
                    try await store.writing { db in
                        try db.execute("INSERT INTO work (n) VALUES (3)")
                        throw Refused()
                    }
                }
            }
            let rows = try await AuditTrail(store).rows(after: 0, limit: 10)
            #expect(rows.map(\.entry) == [Self.entry(0, action: "case.action")])
        }
    }

    /// Each server reads the trail's last row and appends the next: without the store's single
    /// writer across servers two of them would take the same number (PostgreSQL refuses the second
    /// with a duplicate key) or fork the chain.
    @Test(arguments: StoreBackend.allCases)
    func twoServersAppendingAtOnceMakeOneChain(_ backend: StoreBackend) async throws {
        try await backend.withStore(servers: 2) { stores in
            let perServer = 60
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (server, store) in stores.enumerated() {
                    group.addTask {
                        for i in 0..<perServer { try await AuditTrail(store).record(Self.entry(i, user: "server-\(server)")) }
                    }
                }
                try await group.waitForAll()
            }
            let trail = AuditTrail(stores[0])
            let rows = try await trail.rows(after: 0, limit: 1_000)
            #expect(rows.map(\.seq) == Array(1...Int64(2 * perServer)))
            let report = try await trail.verify()
            #expect(report.ok, "\(report.problems)")
        }
    }
}
