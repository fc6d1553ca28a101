import Foundation
import GRDB
import Testing
import XinfangCore
import XinfangTesting

@testable import XinfangStore

/// The store: one transaction per intent, nothing written for a refusal, a materialised state
/// that always equals the fold of the events, and a database that survives reopening.
struct NodeDatabaseTests {
    let clock = ManualClock()

    func register(_ db: NodeDatabase, region: String = "430102", summary: String = "反映拖欠工资") throws -> CaseState {
        try db.register(Fixtures.registration(receivedAt: clock.now(), region: region, summary: summary), actor: "李娜", now: clock.now()).state
    }

    @Test func registrationAndActionsAreStoredAsAChain() throws {
        let db = try NodeDatabase.inMemory(node: Fixtures.county)
        let state = try register(db)
        #expect(state.caseNumber.rawValue == "430102-20261102-00001")
        clock.advance(days: 1)
        _ = try db.act(on: state.caseNumber, action: .notify(note: nil), actor: "周敏", now: clock.now())
        clock.advance(days: 2)
        let replied = try db.act(on: state.caseNumber, action: .reply(outcome: .supported, opinion: "支持"), actor: "周敏", now: clock.now())
        let events = try db.events(of: state.caseNumber)
        #expect(events.map(\.body.kind) == ["register", "notify", "reply"])
        #expect(try CaseState.fold(events) == replied)
        #expect(try db.caseState(state.caseNumber) == replied)
    }

    @Test func aRefusedActionWritesNothing() throws {
        let db = try NodeDatabase.inMemory(node: Fixtures.county)
        let state = try register(db)
        let before = try db.counts()
        #expect(
            throws: StoreError.refused(.illegalTransition(action: .close, status: .registered, allowed: Lifecycle.allowedActions(in: .registered)))
        ) {
            try db.act(on: state.caseNumber, action: .close(report: nil), actor: "x", now: clock.now())
        }
        #expect(throws: StoreError.caseNotFound(CaseNumber(rawValue: "430102-20261102-00099"))) {
            try db.act(on: CaseNumber(rawValue: "430102-20261102-00099"), action: .notify(note: nil), actor: "x", now: clock.now())
        }
        var bad = Fixtures.registration(receivedAt: clock.now())
        bad.summary = ""
        #expect(throws: StoreError.invalid(.missing("summary"))) { try db.register(bad, actor: "x", now: clock.now()) }
        #expect(try db.counts() == before)
        #expect(try db.caseState(state.caseNumber) == state)
    }

    @Test func idempotencyKeyReturnsTheSameCaseAndRefusesADifferentRequest() throws {
        let db = try NodeDatabase.inMemory(node: Fixtures.county)
        let key = NodeDatabase.IdempotencyKey(key: "k-1", fingerprint: "f1")
        let first = try db.register(Fixtures.registration(receivedAt: clock.now()), actor: "李娜", now: clock.now(), idempotencyKey: key)
        let again = try db.register(Fixtures.registration(receivedAt: clock.now()), actor: "李娜", now: clock.now(), idempotencyKey: key)
        #expect(first.created && !again.created)
        #expect(first.state.caseNumber == again.state.caseNumber)
        #expect(try db.counts().cases == 1)
        #expect(throws: StoreError.idempotencyKeyReused(key: "k-1", caseNumber: first.state.caseNumber)) {
            try db.register(
                Fixtures.registration(receivedAt: clock.now()),
                actor: "李娜",
                now: clock.now(),
                idempotencyKey: NodeDatabase.IdempotencyKey(key: "k-1", fingerprint: "other")
            )
        }
    }

    @Test func rebuildFromEventsEqualsTheMaterialisedStateAndRepairsDrift() throws {
        let db = try NodeDatabase.inMemory(node: Fixtures.county)
        var numbers: [CaseNumber] = []
        for i in 0..<30 {
            let n = try register(db, summary: "第\(i)件").caseNumber
            numbers.append(n)
            let path: [CaseAction] = [
                .notify(note: nil), .extend(days: 10, approver: "局长", reason: "复杂"),
                .reply(outcome: .explained, opinion: "说明"), .close(report: nil),
                .evaluate(office: .satisfied, unit: .basicallySatisfied, comment: nil),
            ]
            for action in path.prefix(i % 6) {
                clock.advance(seconds: 90)
                _ = try db.act(on: n, action: action, actor: "周敏", now: clock.now())
            }
        }
        let clean = try db.rebuildMaterialisedState(repair: false)
        #expect(clean.cases == 30 && clean.mismatched.isEmpty)
        let actionsApplied: Int = (0..<30).map { (i: Int) -> Int in min(i % 6, 5) }.reduce(0, +)
        #expect(clean.events == 30 + actionsApplied)

        // Damage the materialised state behind the store's back: the rebuild finds and repairs it.
        try db.writer.write {
            try $0.execute(
                sql:
                    "UPDATE cases SET state_json = replace(state_json, '\"status\":\"registered\"', '\"status\":\"terminated\"') WHERE case_number = ?",
                arguments: [numbers[0].rawValue]
            )
        }
        #expect(try db.rebuildMaterialisedState(repair: false).mismatched == [numbers[0]])
        #expect(try db.rebuildMaterialisedState(repair: true).mismatched == [numbers[0]])
        #expect(try db.rebuildMaterialisedState(repair: false).mismatched.isEmpty)
        #expect(try db.caseState(numbers[0])?.status == .registered)
    }

    @Test func aTamperedEventIsReportedAsABrokenChain() throws {
        let db = try NodeDatabase.inMemory(node: Fixtures.county)
        let n = try register(db).caseNumber
        _ = try db.act(on: n, action: .notify(note: "原文"), actor: "周敏", now: clock.now())
        // The store refuses to change an event; someone with the file drops the guard and edits it.
        #expect(throws: (any Error).self) {
            try db.writer.write { try $0.execute(sql: "UPDATE events SET body = replace(body, '原文', '改过') WHERE seq = 2") }
        }
        #expect(throws: (any Error).self) { try db.writer.write { try $0.execute(sql: "DELETE FROM events") } }
        try db.writer.write {
            try $0.execute(sql: "DROP TRIGGER events_are_append_only_update")
            try $0.execute(sql: "UPDATE events SET body = replace(body, '原文', '改过') WHERE seq = 2")
        }
        #expect(throws: StoreError.self) { try db.rebuildMaterialisedState(repair: true) }
        do {
            _ = try db.rebuildMaterialisedState(repair: false)
        } catch let StoreError.brokenChain(error) {
            #expect(error.seq == 2 && error.caseNumber == n)
        }
    }

    @Test func caseNumbersAreUniqueAndContinueAcrossReopening() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("xinfang-store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        var seen = Set<CaseNumber>()
        do {
            let db = try NodeDatabase.open(directory: dir, node: Fixtures.county, calendar: .standard)
            for _ in 0..<5 { seen.insert(try register(db).caseNumber) }
        }
        let reopened = try NodeDatabase.open(directory: dir, node: Fixtures.county, calendar: .standard)
        let next = try register(reopened).caseNumber
        #expect(!seen.contains(next))
        #expect(next.rawValue.hasSuffix("-00006"))
        #expect(try reopened.counts().cases == 6)
        let mode = try reopened.writer.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
        let synchronous = try reopened.writer.read { try Int.fetchOne($0, sql: "PRAGMA synchronous") }
        #expect(synchronous == 2, "FULL: an acknowledged commit survives power loss")
    }

    @Test func aDatabaseFromANewerBinaryIsRefused() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("xinfang-store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        do {
            let db = try NodeDatabase.open(directory: dir, node: Fixtures.county, calendar: .standard)
            try db.writer.write { try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('999-from-the-future')") }
        }
        #expect(throws: StoreError.newerSchema(unknownMigrations: ["999-from-the-future"])) {
            try NodeDatabase.open(directory: dir, node: Fixtures.county, calendar: .standard)
        }
    }

    @Test func hybridClockTimeStampsStayMonotonicWhenTheWallClockJumpsBack() throws {
        let db = try NodeDatabase.inMemory(node: Fixtures.county)
        let n = try register(db).caseNumber
        clock.advance(days: -1)
        _ = try db.act(on: n, action: .comment(text: "时钟回拨"), actor: "x", now: clock.now())
        let events = try db.events(of: n)
        #expect(events[1].time > events[0].time)
    }
}
