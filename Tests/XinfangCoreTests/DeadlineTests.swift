import Foundation
import Testing
import XinfangCore
import XinfangTesting

/// The deadline rules of domain rules §2 and §8, with month ends, year ends, leap years, the
/// China Standard Time day boundary, and the working-day rule with holidays and working weekends.
struct DeadlineTests {
    /// (start, days, expected last day) for calendar-day periods, expected values from Python's
    /// datetime, moved past rest days of the shipped calendar (`StatutoryPeriodTests` has the table
    /// with the arithmetic).
    @Test(arguments: [
        ("2026-01-20", 15, "2026-02-04"),
        ("2026-01-31", 15, "2026-02-24"),
        ("2026-01-31", 60, "2026-04-01"),
        ("2028-02-14", 15, "2028-02-29"),
        ("2026-12-20", 15, "2027-01-04"),
        ("2026-01-31", 90, "2026-05-06"),
        ("2027-02-01", 28, "2027-03-01"),
        ("2026-04-01", 15, "2026-04-16"),
    ])
    func calendarDayPeriods(start: String, days: Int, expected: String) {
        #expect(DeadlineCalendar.standard.addingStatutoryDays(days, to: Fixtures.day(start)) == Fixtures.day(expected))
    }

    @Test func civilDateArithmeticRoundTripsAndKnowsWeekdays() {
        for d in stride(from: -800_000, through: 800_000, by: 997) {
            #expect(CivilDate(daysSinceEpoch: d).daysSinceEpoch == d)
        }
        #expect(Fixtures.day("2000-03-01").daysSinceEpoch == 11017)
        #expect(Fixtures.day("1969-12-31").daysSinceEpoch == -1)
        #expect(Fixtures.day("2026-11-24").isoWeekday == 2)
        #expect(CivilDate(iso: "2026-02-29") == nil, "2026 is not a leap year")
        #expect(CivilDate(iso: "2028-02-29") != nil)
        #expect(CivilDate(iso: "2026-13-01") == nil)
    }

    @Test func periodsStartOnTheChinaStandardTimeDate() throws {
        // 2026-03-31 17:00 UTC is already 2026-04-01 01:00 in Beijing.
        let b = try ChainBuilder(now: Fixtures.instant("2026-03-31T17:00:00Z"))
        let notice = try #require(b.state.deadlines(calendar: .standard).first { $0.kind == .notice })
        #expect(notice.dueDate == Fixtures.day("2026-04-16"))
        // The period ends at the last millisecond of that day in Beijing: 16:00 UTC minus 1 ms.
        #expect(abs(notice.dueAt.timeIntervalSince(Fixtures.instant("2026-04-16T16:00:00Z")) + 0.001) < 0.000_01)
    }

    @Test(arguments: [
        // (offered on, holidays, working weekends, expected end of the 5-working-day objection period)
        ("2026-11-20", [String](), [String](), "2026-11-27"),
        ("2026-11-20", ["2026-11-25"], [], "2026-11-30"),
        ("2026-11-20", [], ["2026-11-21"], "2026-11-26"),
        (
            "2026-09-30", ["2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04", "2026-10-05", "2026-10-06", "2026-10-07"], ["2026-10-10"],
            "2026-10-13"
        ),
    ])
    func workingDayRule(offered: String, holidays: [String], workingWeekends: [String], expected: String) {
        let calendar = DeadlineCalendar(holidays: Set(holidays.map(Fixtures.day)), workingWeekends: Set(workingWeekends.map(Fixtures.day)))
        #expect(calendar.addingWorkingDays(5, to: Fixtures.day(offered)) == Fixtures.day(expected))
    }

    @Test func provincesThatCountWorkingDaysCountEveryPeriodSo() {
        let calendar = DeadlineCalendar(dayCounting: .workingDays)
        #expect(calendar.addingStatutoryDays(15, to: Fixtures.day("2026-11-20")) == Fixtures.day("2026-12-11"))
    }

    @Test func caseDeadlinesFollowTheChain() throws {
        var b = try ChainBuilder(now: Fixtures.instant("2026-01-31T10:00:00+08:00"))
        func due(_ kind: DeadlineKind) -> CivilDate? { b.state.deadlines(calendar: .standard).first { $0.kind == kind }?.dueDate }
        #expect(due(.notice) == Fixtures.day("2026-02-24"), "2月15日 falls in 春节 (15–23日)")
        #expect(due(.handling) == nil)
        try b.act(.notify(note: nil))
        #expect(due(.handling) == Fixtures.day("2026-04-01"), "60 days from acceptance")
        try b.act(.extend(days: 30, approver: "局长", reason: "复杂"))
        #expect(due(.handling) == Fixtures.day("2026-05-06"), "plus the approved extension; 5月1日 is 劳动节 (1–5日)")
        b.advance(days: 10)  // reply on 2026-02-10
        try b.act(.reply(outcome: .explained, opinion: "解释说明"))
        #expect(due(.reviewRequestWindow) == Fixtures.day("2026-03-12"))
        try b.act(.close(report: nil))
        b.advance(days: 5)  // review requested on 2026-02-15
        try b.act(.requestReview(reason: "不服", reviewer: nil))
        #expect(due(.reviewDecision) == Fixtures.day("2026-03-17"))
        b.advance(days: 20)  // decided on 2026-03-07
        try b.act(.decideReview(outcome: .notSupported, opinion: "维持"))
        #expect(due(.reReviewRequestWindow) == Fixtures.day("2026-04-07"), "4月6日 is 清明 (4–6日)")
        try b.act(.requestReReview(reason: "仍不服", reviewer: nil))
        #expect(due(.reReviewDecision) == Fixtures.day("2026-04-07"))
    }

    @Test func assignmentDueDateIsTheAssignersAndObjectionAppliesWhileOffered() throws {
        let dueAt = Fixtures.instant("2026-12-31T23:59:59+08:00")
        var b = try ChainBuilder(node: Fixtures.province, now: Fixtures.instant("2026-11-20T09:00:00+08:00"))
        try b.act(.offer(to: Fixtures.county, mode: .assign, dueAt: dueAt, note: nil))
        let kinds = b.state.deadlines(calendar: .standard).map(\.kind)
        #expect(kinds.contains(.objection) && !kinds.contains(.notice), "while offered, the receiver owes a decision, not yet a notice")
        #expect(b.state.deadlines(calendar: .standard).first { $0.kind == .objection }?.dueDate == Fixtures.day("2026-11-27"))
        try b.act(.accept)
        let deadlines = b.state.deadlines(calendar: .standard)
        #expect(deadlines.first { $0.kind == .assignment }?.dueDate == Fixtures.day("2026-12-31"))
        #expect(deadlines.first { $0.kind == .assignment }?.dueAt == Fixtures.day("2026-12-31").endOfDay(utcOffsetSeconds: 8 * 3600), "the whole day")
        #expect(deadlines.first { $0.kind == .notice }?.dueDate == Fixtures.day("2026-12-07"), "15 days from the handoff: 12月5日(六) → 12月7日(一)")
    }

    @Test func overdueMeansAnObligationMissedNotAPetitionersWindow() throws {
        var b = try ChainBuilder(now: Fixtures.instant("2026-11-02T09:00:00+08:00"))
        let now = Fixtures.instant("2026-11-18T09:00:00+08:00")
        #expect(b.state.nextObligation(calendar: .standard)?.isOverdue(now: now) == true, "no notice after 16 days")
        b.now = now
        try b.act(.notify(note: nil))
        let notice = try #require(b.state.deadlines(calendar: .standard).first { $0.kind == .notice })
        #expect(notice.isOverdue(now: now), "a notice given late stays overdue (met late)")
        try b.act(.reply(outcome: .supported, opinion: "o"))
        try b.act(.close(report: nil))
        let window = try #require(b.state.deadlines(calendar: .standard).first { $0.kind == .reviewRequestWindow })
        #expect(!window.isOverdue(now: now.addingTimeInterval(90 * 86_400)), "a petitioner's unused window is not an organ's delay")
        #expect(b.state.nextObligation(calendar: .standard) == nil)
    }
}
