import Foundation
import GRDB
import Testing
import XinfangCore
import XinfangStore
import XinfangTesting

/// `verifyIntegrity` (behind `xinfang audit verify`) reports one altered byte in any column of an
/// audit row or of an event's signed fields, naming the row; the triggers refuse such changes
/// through SQL, so the test drops them first, as someone with the file would.
struct IntegrityTests {
    static let now = Date()

    /// A node of a one-node hierarchy, so its events are signed.
    static let key = NodeKey()
    static var hierarchy: Hierarchy {
        Hierarchy(
            topology: Topology(nodes: [
                TopologyNode(
                    id: Fixtures.county,
                    name: "芙蓉区",
                    level: .county,
                    parent: nil,
                    baseURL: "http://127.0.0.1:1",
                    publicKey: key.publicKeyBase64
                )
            ]),
            key: key
        )
    }

    static func open(_ dir: URL) throws -> NodeDatabase {
        try NodeDatabase.open(directory: dir, node: Fixtures.county, calendar: .standard, hierarchy: hierarchy)
    }

    static func store() async throws -> (URL, NodeDatabase, CaseNumber) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("xinfang-integrity-\(UUID().uuidString)")
        let db = try open(dir)
        let (state, _) = try await db.register(Fixtures.registration(receivedAt: now), actor: "登记员", now: now)
        _ = try await db.act(on: state.caseNumber, action: .notify(note: nil), actor: "承办人", now: now.addingTimeInterval(60))
        for i in 0..<3 {
            try await db.audit(AuditEntry(at: now, user: "u\(i)", node: Fixtures.county, source: "127.0.0.1", action: "login", object: "session"))
        }
        return (dir, db, state.caseNumber)
    }

    /// Flips one character of `column` in the row, with the append-only triggers dropped.
    static func alter(_ dir: URL, table: String, column: String, rowid: Int64) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = false
        let queue = try DatabaseQueue(path: dir.appendingPathComponent(NodeDatabase.fileName).path, configuration: configuration)
        try queue.write { db in
            for trigger in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", arguments: [table])
            {
                try db.execute(sql: "DROP TRIGGER \(trigger)")
            }
            let value = try DatabaseValue.fetchOne(db, sql: "SELECT \(column) FROM \(table) WHERE rowid = ?", arguments: [rowid])!
            let altered: DatabaseValue
            switch value.storage {
            case .int64(let n): altered = (n ^ 1).databaseValue
            case .string(let s):
                var bytes = Array(s.utf8)
                if bytes.isEmpty { bytes = [UInt8(ascii: " ")] }  // an empty field gains one byte
                let i = bytes.count / 2
                bytes[i] = bytes[i] == UInt8(ascii: "0") ? UInt8(ascii: "1") : (bytes[i] == UInt8(ascii: "a") ? UInt8(ascii: "b") : UInt8(ascii: "0"))
                altered = String(decoding: bytes, as: UTF8.self).databaseValue
            default: return
            }
            try db.execute(sql: "UPDATE \(table) SET \(column) = ? WHERE rowid = ?", arguments: [altered, rowid])
        }
    }

    @Test func anUntouchedStoreVerifies() async throws {
        let (dir, db, number) = try await Self.store()
        defer { try? FileManager.default.removeItem(at: dir) }
        let report = try await db.verifyIntegrity()
        #expect(report.ok, "\(report.problems)")
        #expect(report.auditRows == 3 && report.events == 2 && report.cases == 1)
        #expect(try await db.events(of: number).allSatisfy { $0.signature != nil }, "a node of a hierarchy signs its events")
    }

    /// Enough events for the check to spread over two workers: each problem still names its own
    /// row, and every event is counted once.
    @Test func eventsCheckedOnSeveralCoresAreNamedInPlace() async throws {
        let (dir, db, _) = try await Self.store()
        defer { try? FileManager.default.removeItem(at: dir) }
        var numbers: [CaseNumber] = []
        for _ in 0..<600 {
            numbers.append(try await db.register(Fixtures.registration(receivedAt: Self.now), actor: "登记员", now: Self.now).state.caseNumber)
        }
        let victim = numbers[421]
        let queue = try DatabaseQueue(path: dir.appendingPathComponent(NodeDatabase.fileName).path)
        let rowid = try await queue.read { d in
            try Int64.fetchOne(d, sql: "SELECT rowid FROM events WHERE case_number = ?", arguments: [victim.rawValue])!
        }
        try Self.alter(dir, table: "events", column: "actor", rowid: rowid)
        let report = try await Self.open(dir).verifyIntegrity()
        #expect(report.events == 602 && report.cases == 601)
        #expect(report.problems.count == 1 && report.problems[0].contains("case \(victim.rawValue), seq 1"), "\(report.problems)")
    }

    @Test(arguments: ["at", "user", "node", "source", "action", "object", "result", "detail", "prev_hash", "hash"])
    func oneAlteredByteOfAnAuditRowIsNamed(column: String) async throws {
        let (dir, _, _) = try await Self.store()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.alter(dir, table: "audit_log", column: column, rowid: 2)
        let reopened = try Self.open(dir)
        let report = try await reopened.verifyIntegrity()
        #expect(
            report.problems.first?.hasPrefix("audit_log row 2") == true || report.problems.first?.hasPrefix("audit_log row 3") == true,
            "\(report.problems)"
        )
        #expect(report.problems.contains { $0.hasPrefix("audit_log row 2") }, "\(column): \(report.problems)")
    }

    @Test(arguments: ["case_number", "epoch", "seq", "prev_hash", "origin", "hlc_wall", "hlc_logical", "actor", "kind", "body", "hash", "signature"])
    func oneAlteredByteOfAnEventIsNamed(column: String) async throws {
        let (dir, db, number) = try await Self.store()
        defer { try? FileManager.default.removeItem(at: dir) }
        let second = try await db.events(of: number)[1]
        let queue = try DatabaseQueue(path: dir.appendingPathComponent(NodeDatabase.fileName).path)
        let rowid = try await queue.read { d in
            try Int64.fetchOne(d, sql: "SELECT rowid FROM events WHERE hash = ?", arguments: [second.hash])!
        }
        // `prev_hash` of the first event is NULL: alter the second event's.
        try Self.alter(dir, table: "events", column: column, rowid: rowid)
        let reopened = try Self.open(dir)
        let report = try await reopened.verifyIntegrity()
        #expect(!report.ok, "\(column) altered but the store verifies")
        #expect(report.problems.first?.hasPrefix("events row") == true, "\(column): \(report.problems)")
    }

    @Test func theAuditTrailRefusesUpdatesAndDeletesAndPruningKeepsTheChain() async throws {
        let (dir, db, _) = try await Self.store()
        defer { try? FileManager.default.removeItem(at: dir) }
        let queue = try DatabaseQueue(path: dir.appendingPathComponent(NodeDatabase.fileName).path)
        #expect(throws: (any Error).self) { try queue.write { try $0.execute(sql: "UPDATE audit_log SET user = 'x' WHERE seq = 1") } }
        #expect(throws: (any Error).self) { try queue.write { try $0.execute(sql: "DELETE FROM audit_log WHERE seq = 1") } }
        try await db.audit(
            AuditEntry(
                at: Self.now.addingTimeInterval(86_400 * 200),
                user: "later",
                node: Fixtures.county,
                source: "x",
                action: "login",
                object: "session"
            )
        )
        #expect(try await db.pruneAudit(before: Self.now.addingTimeInterval(86_400)) == 3)
        let report = try await db.verifyIntegrity()
        #expect(report.ok && report.auditRows == 1, "\(report.problems)")
    }
}
