import Foundation
import Testing
import XinfangCore
import XinfangTesting

@testable import XinfangStore

/// Rule 3 of issue 13: one meaning of "on time". The indicators (及时受理率, 按期办结率), the case's
/// own deadlines (case view, flags, dashboard, CSV) judge the same cases by the same whole-day
/// deadlines, moved past rest days. Each case below is judged both ways and the two must agree,
/// through the daily counts (whole-day periods) and through the scan (a period not on day bounds).
struct OnTimeConsistencyTests {
    /// (received, intake decision or nil, reply or nil), China Standard Time.
    static let cases: [(String, String?, String?, String)] = [
        ("2026-11-02T10:00:00+08:00", "2026-11-17T15:00:00+08:00", nil, "受理 at 15:00 on the 15th day: on time (the old 15×24 h rule said late)"),
        ("2026-09-16T10:00:00+08:00", "2026-10-08T11:00:00+08:00", nil, "15th day 10月1日 is 国庆: due 10月8日, on time"),
        ("2026-09-15T10:00:00+08:00", "2026-10-08T11:00:00+08:00", nil, "due 9月30日: late"),
        ("2026-11-20T10:00:00+08:00", "2026-12-07T20:00:00+08:00", nil, "15th day 12月5日 is a Saturday: due 12月7日, on time"),
        ("2026-11-01T10:00:00+08:00", nil, nil, "never accepted: overdue"),
        ("2026-07-01T09:00:00+08:00", "2026-07-02T09:00:00+08:00", "2026-08-31T18:00:00+08:00", "handling due 8月31日: replied on time"),
        ("2026-08-02T09:00:00+08:00", "2026-08-03T09:00:00+08:00", "2026-10-08T10:00:00+08:00", "handling 8月3日+60=10月2日 (国庆): due 10月8日, on time"),
        ("2026-06-01T09:00:00+08:00", "2026-06-02T09:00:00+08:00", "2026-08-03T09:00:00+08:00", "handling due 8月1日(六) → 8月3日(一): on time"),
        ("2026-06-01T09:00:00+08:00", "2026-06-01T09:00:00+08:00", "2026-08-04T09:00:00+08:00", "handling due 7月31日: late"),
    ]

    @Test(arguments: StoreBackend.allCases) func indicatorsAndCaseDeadlinesAgreeOnEveryCase(backend: StoreBackend) async throws {
        try await backend.withNode(Fixtures.county) { db in
            let calendar = db.calendar
            // A node's clock never goes back (hybrid logical clock): play every step in time order.
            enum Step {
                case register(Int)
                case notify(Int)
                case reply(Int)
            }
            var steps: [(Date, Step)] = []
            for (i, (received, decided, replied, _)) in Self.cases.enumerated() {
                steps.append((Fixtures.instant(received), .register(i)))
                if let decided { steps.append((Fixtures.instant(decided).addingTimeInterval(0.001), .notify(i))) }
                if let replied { steps.append((Fixtures.instant(replied), .reply(i))) }
            }
            var numbers: [Int: CaseNumber] = [:]
            for (at, step) in steps.sorted(by: { $0.0 < $1.0 }) {
                switch step {
                case .register(let i):
                    numbers[i] = try await db.register(Fixtures.registration(receivedAt: at), actor: "登记员", now: at).state.caseNumber
                case .notify(let i): _ = try await db.act(on: numbers[i]!, action: .notify(note: nil), actor: "经办人", now: at)
                case .reply(let i): _ = try await db.act(on: numbers[i]!, action: .reply(outcome: .supported, opinion: "支持"), actor: "经办人", now: at)
                }
            }
            let now = Fixtures.instant("2026-12-31T12:00:00+08:00")
            let from = Fixtures.instant("2026-01-01T00:00:00+08:00")
            let to = Fixtures.instant("2027-01-01T00:00:00+08:00")
            var expected = IndicatorCounts()
            var query = CaseQuery()
            query.limit = CaseQuery.limitMax
            let states = try await db.cases(matching: query, now: now).items
            #expect(states.count == Self.cases.count)
            /// The case's own judgement of one deadline falling in the period, as the case view, the
            /// flags and the CSV make it: (due, met on time, met late, unmet and overdue).
            func judge(_ deadline: Deadline?) -> (Int, Int, Int, Int) {
                guard let deadline, deadline.dueAt >= from, deadline.dueAt < to else { return (0, 0, 0, 0) }
                let overdue = deadline.isOverdue(now: now) ? 1 : 0
                return deadline.metAt == nil ? (1, 0, 0, overdue) : (1, 1 - overdue, overdue, 0)
            }
            for state in states {
                let notice = judge(state.noticeDeadline(calendar: calendar))
                expected.acceptDue += notice.0
                expected.acceptedOnTime += notice.1
                expected.acceptedLate += notice.2
                expected.notAcceptedOverdue += notice.3
                let handling = judge(state.deadlines(calendar: calendar).first { $0.kind == .handling })
                expected.closeDue += handling.0
                expected.closedOnTime += handling.1
                expected.closedLate += handling.2
                expected.openOverdue += handling.3
            }
            // Worked by hand: 受理 on time in rows 1, 2, 4, 6, 7, 8, 9; late in row 3; never in row 5.
            #expect(expected.acceptDue == 9 && expected.acceptedOnTime == 7 && expected.acceptedLate == 1 && expected.notAcceptedOverdue == 1)
            // Handling due in 2026: rows 2 and 3 (10月8日+60=12月7日, unmet: overdue), 6, 7, 8 on time, 9 late;
            // rows 1 and 4 fall due in 2027.
            #expect(expected.closeDue == 6 && expected.closedOnTime == 3 && expected.closedLate == 1 && expected.openOverdue == 2)
            // The indicators over the year: from the daily counts (whole days) and from a scan.
            for (from, to) in [(from, to), (from.addingTimeInterval(0.5), to.addingTimeInterval(0.5))] {
                let counts = try await db.indicatorCounts(from: from, to: to, now: now)[Fixtures.county] ?? IndicatorCounts()
                #expect(counts.acceptDue == expected.acceptDue)
                #expect(counts.acceptedOnTime == expected.acceptedOnTime)
                #expect(counts.acceptedLate == expected.acceptedLate)
                #expect(counts.notAcceptedOverdue == expected.notAcceptedOverdue)
                #expect(counts.closeDue == expected.closeDue)
                #expect(counts.closedOnTime == expected.closedOnTime)
                #expect(counts.closedLate == expected.closedLate)
                #expect(counts.openOverdue == expected.openOverdue)
            }
        }
    }
}
