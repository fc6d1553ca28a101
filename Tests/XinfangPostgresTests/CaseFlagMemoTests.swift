import Foundation
import Testing
import XinfangCore
import XinfangTesting

@testable import XinfangStore

/// A reconciliation round evaluates only the open cases whose answer may have changed since the
/// last round (a new state, or a limit or deadline reached: `CaseFlagMemo`), and raises exactly
/// what a round that evaluates every case raises; a clock set back, or other limits, evaluate all.
struct CaseFlagMemoTests {
    /// The open flags, each with what it says.
    static func openFlags(_ db: NodeDatabase) async throws -> [String] {
        try await db.flags(matching: FlagQuery()).map {
            "\($0.flag.kind)|\($0.flag.subject)|\($0.flag.detailKey)|\($0.flag.since.timeIntervalSince1970)|\($0.flag.detail)"
        }
        .sorted()
    }

    /// A round at `now` after the memo is emptied: every open case evaluated, as a restarted server would.
    static func fromScratch(_ db: NodeDatabase, now: Date, limits: ReconciliationLimits) async throws -> (ReconcileReport, [String]) {
        db.caseFlagMemo.replace(with: CaseFlagMemo.Round())
        let report = try await db.reconcile(now: now, limits: limits)
        return (report, try await openFlags(db))
    }

    @Test(arguments: StoreBackend.allCases)
    func aRoundEvaluatesOnlyWhatMayHaveChangedAndFindsWhatAFullRoundFinds(_ backend: StoreBackend) async throws {
        try await backend.withNode { db in
            let clock = ManualClock()
            let limits = ReconciliationLimits()
            let t0 = clock.now()
            var numbers: [CaseNumber] = []
            for i in 0..<6 {
                let state = try await db.register(Fixtures.registration(receivedAt: clock.now()), actor: "李娜", now: clock.now()).state
                numbers.append(state.caseNumber)
                // Half told (受理告知): their next deadline is the handling's, not the notice's.
                if i % 2 == 0 { _ = try await db.act(on: state.caseNumber, action: .notify(note: nil), actor: "周敏", now: clock.now()) }
            }
            let first = try await db.reconcile(now: t0, limits: limits)
            #expect(first.casesScanned == 6 && first.casesEvaluated == 6, "the first round evaluates every open case")

            clock.advance(seconds: 3_600)
            let unchanged = try await db.reconcile(now: clock.now(), limits: limits)
            #expect(unchanged.casesScanned == 6 && unchanged.casesEvaluated == 0, "nothing changed, nothing reached its instant")

            _ = try await db.act(on: numbers[1], action: .notify(note: nil), actor: "周敏", now: clock.now())
            clock.advance(seconds: 3_600)
            let oneActedOn = try await db.reconcile(now: clock.now(), limits: limits)
            #expect(oneActedOn.casesEvaluated == 1, "only the case with a new state")

            // Day 20: the two cases still untold passed their notice deadline (15 days); the
            // others' next deadline (the handling's) is weeks away.
            clock.advance(days: 20)
            let late = try await db.reconcile(now: clock.now(), limits: limits)
            #expect(late.casesEvaluated == 2, "the two whose notice deadline passed")
            #expect(late.raised == 2)
            let kept = try await Self.openFlags(db)
            #expect(kept.count == 2 && kept.allSatisfy { $0.hasPrefix("overdue|") }, "\(kept)")
            let (scratch, flags) = try await Self.fromScratch(db, now: clock.now(), limits: limits)
            #expect(scratch.casesEvaluated == 6 && scratch.raised == 0 && scratch.cleared == 0)
            #expect(flags == kept, "the round that kept answers found what a full round finds")

            // Another round at the same instant keeps every answer; a clock set back, or other
            // limits, evaluate every case again.
            #expect(try await db.reconcile(now: clock.now(), limits: limits).casesEvaluated == 0)
            let setBack = try await db.reconcile(now: clock.now().addingTimeInterval(-60), limits: limits)
            #expect(setBack.casesEvaluated == 6)
            var other = limits
            other.offerStuckSeconds /= 2
            #expect(try await db.reconcile(now: clock.now(), limits: other).casesEvaluated == 6)
            #expect(try await Self.openFlags(db) == kept)
        }
    }
}
