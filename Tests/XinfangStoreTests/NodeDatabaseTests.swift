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

    func register(_ db: NodeDatabase, region: String = "430102", summary: String = "反映拖欠工资") async throws -> CaseState {
        try await db.register(Fixtures.registration(receivedAt: clock.now(), region: region, summary: summary), actor: "李娜", now: clock.now()).state
    }

    /// A 31-day extension was once stored, and its chain no longer decoded: every bound of an
    /// action is the lifecycle's, whatever the caller; and there is one extension only.
    @Test(arguments: StoreBackend.allCases) func anExtensionOutOfBoundsOrASecondOneIsRefused(backend: StoreBackend) async throws {
        try await backend.withNode(Fixtures.county) { db in
            let state = try await register(db)
            _ = try await db.act(on: state.caseNumber, action: .notify(note: nil), actor: "x", now: clock.now())
            await #expect(throws: StoreError.refused(.invalid(.invalid("days", "延期天数必须在 1 到 30 天之间（《信访工作条例》第三十四条）。")))) {
                try await db.act(on: state.caseNumber, action: .extend(days: 31, approver: "局长", reason: "复杂"), actor: "x", now: clock.now())
            }
            _ = try await db.act(on: state.caseNumber, action: .extend(days: 30, approver: "局长", reason: "复杂"), actor: "x", now: clock.now())
            await #expect(throws: StoreError.self, "one extension only") {
                try await db.act(on: state.caseNumber, action: .extend(days: 5, approver: "局长", reason: "再次"), actor: "x", now: clock.now())
            }
            #expect(try CaseState.fold(try await db.events(of: state.caseNumber)).extension_?.days == 30)
        }
    }

    @Test(arguments: StoreBackend.allCases) func aRefusedActionWritesNothing(backend: StoreBackend) async throws {
        try await backend.withNode(Fixtures.county) { db in
            let state = try await register(db)
            let before = try await db.counts()
            await #expect(
                throws: StoreError.refused(
                    .illegalTransition(
                        action: .close,
                        status: .registered,
                        allowed: [.offer, .notify, .reject, .routeOut, .refuseRepeat, .comment, .escalate, .attach]
                    )
                )
            ) {
                try await db.act(on: state.caseNumber, action: .close(report: nil), actor: "x", now: clock.now())
            }
            // A 交办 without its due date could not be read back: refused before anything is written
            // (found by the latency benchmark, whose store-level assignment left it out). Every bound
            // of an action is the lifecycle's (`Lifecycle.admit`), whoever calls the store.
            await #expect(throws: StoreError.refused(.invalid(.missing("dueAt")))) {
                try await db.act(
                    on: state.caseNumber,
                    action: .offer(to: Fixtures.otherCounty, mode: .assign, dueAt: nil, note: nil),
                    actor: "x",
                    now: clock.now()
                )
            }
            await #expect(throws: StoreError.caseNotFound(CaseNumber(rawValue: "430102-20261102-00099"))) {
                try await db.act(on: CaseNumber(rawValue: "430102-20261102-00099"), action: .notify(note: nil), actor: "x", now: clock.now())
            }
            var bad = Fixtures.registration(receivedAt: clock.now())
            bad.summary = ""
            await #expect(throws: StoreError.invalid(.missing("summary"))) { try await db.register(bad, actor: "x", now: clock.now()) }
            await #expect(try await db.counts() == before)
            await #expect(try await db.caseState(state.caseNumber) == state)
        }
    }

    @Test(arguments: StoreBackend.allCases) func idempotencyKeyReturnsTheSameCaseAndRefusesADifferentRequest(backend: StoreBackend) async throws {
        try await backend.withNode(Fixtures.county) { db in
            let key = NodeDatabase.IdempotencyKey(key: "k-1", fingerprint: "f1")
            let first = try await db.register(Fixtures.registration(receivedAt: clock.now()), actor: "李娜", now: clock.now(), idempotencyKey: key)
            let again = try await db.register(Fixtures.registration(receivedAt: clock.now()), actor: "李娜", now: clock.now(), idempotencyKey: key)
            #expect(first.created && !again.created)
            #expect(first.state.caseNumber == again.state.caseNumber)
            await #expect(try await db.counts().cases == 1)
            await #expect(throws: StoreError.idempotencyKeyReused(key: "k-1", caseNumber: first.state.caseNumber)) {
                try await db.register(
                    Fixtures.registration(receivedAt: clock.now()),
                    actor: "李娜",
                    now: clock.now(),
                    idempotencyKey: NodeDatabase.IdempotencyKey(key: "k-1", fingerprint: "other")
                )
            }
        }
    }

    @Test(arguments: StoreBackend.allCases) func rebuildFromEventsEqualsTheMaterialisedStateAndRepairsDrift(backend: StoreBackend) async throws {
        try await backend.withNode(Fixtures.county) { db in
            var numbers: [CaseNumber] = []
            for i in 0..<30 {
                let n = try await register(db, summary: "第\(i)件").caseNumber
                numbers.append(n)
                let path: [CaseAction] = [
                    .notify(note: nil), .extend(days: 10, approver: "局长", reason: "复杂"),
                    .reply(outcome: .explained, opinion: "说明"), .close(report: nil),
                    .evaluate(office: .satisfied, unit: .basicallySatisfied, comment: nil),
                ]
                for action in path.prefix(i % 6) {
                    clock.advance(seconds: 90)
                    _ = try await db.act(on: n, action: action, actor: "周敏", now: clock.now())
                }
            }
            let clean = try await db.rebuildMaterialisedState(repair: false)
            #expect(clean.cases == 30 && clean.mismatched.isEmpty)
            let actionsApplied: Int = (0..<30).map { (i: Int) -> Int in min(i % 6, 5) }.reduce(0, +)
            #expect(clean.events == 30 + actionsApplied)

            // Damage the materialised state behind the store's back: the rebuild finds and repairs it.
            let first = numbers[0].rawValue
            try await db.write {
                try $0.execute(
                    "UPDATE case_states SET state_json = replace(state_json, '\"status\":\"registered\"', '\"status\":\"terminated\"') WHERE case_number = ?",
                    [first]
                )
            }
            await #expect(try await db.rebuildMaterialisedState(repair: false).mismatched == [numbers[0]])
            await #expect(try await db.rebuildMaterialisedState(repair: true).mismatched == [numbers[0]])
            await #expect(try await db.rebuildMaterialisedState(repair: false).mismatched.isEmpty)
            await #expect(try await db.caseState(numbers[0])?.status == .registered)
        }
    }

    @Test(arguments: StoreBackend.allCases) func aTamperedEventIsReportedAsABrokenChain(backend: StoreBackend) async throws {
        try await backend.withNode(Fixtures.county) { db in
            let n = try await register(db).caseNumber
            _ = try await db.act(on: n, action: .notify(note: "原文"), actor: "周敏", now: clock.now())
            // The store refuses to change an event; someone with the file drops the guard and edits it.
            await #expect(throws: (any Error).self) {
                try await db.write { try $0.execute("UPDATE events SET body = replace(body, '原文', '改过') WHERE seq = 2") }
            }
            await #expect(throws: (any Error).self) { try await db.write { try $0.execute("DELETE FROM events") } }
            try await db.write {
                switch $0.dialect {
                case .sqlite: try $0.execute("DROP TRIGGER events_are_append_only_update")
                case .postgres: try $0.execute("DROP TRIGGER events_are_append_only ON events")
                }
                try $0.execute("UPDATE events SET body = replace(body, '原文', '改过') WHERE seq = 2")
            }
            await #expect(throws: StoreError.self) { try await db.rebuildMaterialisedState(repair: true) }
            do {
                _ = try await db.rebuildMaterialisedState(repair: false)
            } catch let StoreError.brokenChain(error) {
                #expect(error.seq == 2 && error.caseNumber == n)
            }
        }
    }

    @Test func caseNumbersAreUniqueAndContinueAcrossReopening() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("xinfang-store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        var seen = Set<CaseNumber>()
        do {
            let db = try NodeDatabase.open(directory: dir, node: Fixtures.county, calendar: .standard)
            for _ in 0..<5 { seen.insert(try await register(db).caseNumber) }
        }
        let reopened = try NodeDatabase.open(directory: dir, node: Fixtures.county, calendar: .standard)
        let next = try await register(reopened).caseNumber
        #expect(!seen.contains(next))
        #expect(next.rawValue.hasSuffix("-00006"))
        await #expect(try await reopened.counts().cases == 6)
        let mode = try await reopened.writer.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
        let synchronous = try await reopened.writer.read { try Int.fetchOne($0, sql: "PRAGMA synchronous") }
        #expect(synchronous == 2, "FULL: an acknowledged commit survives power loss")
    }

    @Test func aDatabaseFromANewerBinaryIsRefused() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("xinfang-store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        do {
            let db = try NodeDatabase.open(directory: dir, node: Fixtures.county, calendar: .standard)
            try await db.writer.write { try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('999-from-the-future')") }
        }
        #expect(throws: StoreError.newerSchema(unknownMigrations: ["999-from-the-future"])) {
            try NodeDatabase.open(directory: dir, node: Fixtures.county, calendar: .standard)
        }
    }

    @Test(arguments: StoreBackend.allCases) func hybridClockTimeStampsStayMonotonicWhenTheWallClockJumpsBack(backend: StoreBackend) async throws {
        try await backend.withNode(Fixtures.county) { db in
            let n = try await register(db).caseNumber
            clock.advance(days: -1)
            _ = try await db.act(on: n, action: .comment(text: "时钟回拨"), actor: "x", now: clock.now())
            let events = try await db.events(of: n)
            #expect(events[1].time > events[0].time)
        }
    }
}
