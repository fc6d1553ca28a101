import Foundation
import Testing
import XinfangCore
import XinfangStore
import XinfangTesting

/// A node's whole store on both backends: a case registered and handled is one chain whose fold is
/// the stored state, a refusal writes nothing, an idempotent registration is made once, the chain
/// verifies, and the indicators' daily counts follow the cases.
struct NodeStoreTests {
    let clock = ManualClock()

    func register(_ db: NodeDatabase, summary: String = "反映拖欠工资") async throws -> CaseState {
        try await db.register(Fixtures.registration(receivedAt: clock.now(), region: "430102", summary: summary), actor: "李娜", now: clock.now()).state
    }

    /// (Moved here from `NodeDatabaseTests`, to hold both backends to it.)
    @Test(arguments: StoreBackend.allCases)
    func aCaseRegisteredAndHandledIsOneChain(_ backend: StoreBackend) async throws {
        try await backend.withNode { db in
            let state = try await register(db)
            #expect(state.caseNumber.rawValue == "430102-20261102-00001")
            clock.advance(days: 1)
            _ = try await db.act(on: state.caseNumber, action: .notify(note: nil), actor: "周敏", now: clock.now())
            clock.advance(days: 2)
            let replied = try await db.act(on: state.caseNumber, action: .reply(outcome: .supported, opinion: "支持"), actor: "周敏", now: clock.now())
            let events = try await db.events(of: state.caseNumber)
            #expect(events.map(\.body.kind) == ["register", "notify", "reply"])
            #expect(try CaseState.fold(events) == replied)
            #expect(try await db.caseState(state.caseNumber) == replied)
            let second = try await register(db, summary: "反映社保断缴")
            #expect(second.caseNumber.rawValue.hasSuffix("-00002"))
            #expect(try await db.counts() == (cases: 2, events: 4))
            let report = try await db.verifyIntegrity()
            #expect(report.ok, "\(report.problems)")
            #expect(report.cases == 2 && report.events == 4)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func aRefusedActionWritesNothing(_ backend: StoreBackend) async throws {
        try await backend.withNode { db in
            let state = try await register(db)
            let before = try await db.counts()
            await #expect(throws: StoreError.self) {
                try await db.act(on: state.caseNumber, action: .close(report: nil), actor: "x", now: clock.now())
            }
            #expect(try await db.counts() == before)
            #expect(try await db.caseState(state.caseNumber) == state)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func aRegistrationRetriedUnderItsKeyIsMadeOnce(_ backend: StoreBackend) async throws {
        try await backend.withNode { db in
            let key = NodeDatabase.IdempotencyKey(key: "k-1", fingerprint: "f-1")
            let registration = Fixtures.registration(receivedAt: clock.now(), region: "430102", summary: "反映拖欠工资")
            let first = try await db.register(registration, actor: "李娜", now: clock.now(), idempotencyKey: key)
            let again = try await db.register(registration, actor: "李娜", now: clock.now(), idempotencyKey: key)
            #expect(first.created && !again.created && again.state == first.state)
            #expect(try await db.caseNumber(forIdempotencyKey: "k-1") == first.state.caseNumber)
            await #expect(throws: StoreError.idempotencyKeyReused(key: "k-1", caseNumber: first.state.caseNumber)) {
                try await db.register(registration, actor: "李娜", now: clock.now(), idempotencyKey: .init(key: "k-1", fingerprint: "other"))
            }
            #expect(try await db.counts().cases == 1)
        }
    }
}
