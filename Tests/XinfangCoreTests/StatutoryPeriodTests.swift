import Foundation
import Testing
import XinfangCore
import XinfangTesting

/// The periods as the 民法典 counts them (Art. 201: the starting day is not counted; Art. 203: a
/// period whose last day is a rest day ends on the first working day after it, at 24:00) over the
/// shipped national calendar: 2026 as the State Council's notice of 2025-11-04 sets it, 2027
/// provisional (statutory days only), other years weekends only.
///
/// Every row was worked by hand from the notice and checked against an independent
/// implementation (Python's `datetime` with the `chinesecalendar` package's 2026 data).
struct StatutoryPeriodTests {
    static let calendar = DeadlineCalendar.standard

    /// (start day, N days, expected last day, the arithmetic).
    @Test(arguments: [
        // Ordinary days, month ends, year ends, leap years.
        ("2026-01-20", 15, "2026-02-04", "1月20日(二)+15=2月4日(三)，工作日"),
        ("2026-04-01", 15, "2026-04-16", "4月1日+15=4月16日(四)"),
        ("2026-01-31", 60, "2026-04-01", "1月31日+60：2月28天，3月31天 → 4月1日(三)"),
        ("2026-05-31", 30, "2026-06-30", "5月31日+30=6月30日(二)"),
        ("2026-11-30", 30, "2026-12-30", "11月30日+30=12月30日(三)"),
        ("2026-12-01", 30, "2026-12-31", "12月1日+30=12月31日(四)"),
        ("2026-12-20", 15, "2027-01-04", "12月20日+15=1月4日(一)，跨年"),
        ("2027-02-01", 28, "2027-03-01", "2027年2月28天：2月1日+28=3月1日(一)"),
        ("2028-02-14", 15, "2028-02-29", "2028闰年：2月14日+15=2月29日(二)，2028年不在日历内只看周末"),
        ("2024-02-14", 15, "2024-02-29", "2024闰年：2月14日+15=2月29日(四)"),
        ("2026-02-12", 60, "2026-04-13", "2月12日+60=4月13日(一)"),
        // Weekends.
        ("2026-02-28", 15, "2026-03-16", "2月28日(调休上班的周六，起算日不计)+15=3月15日(日) → 3月16日(一)"),
        ("2026-01-30", 30, "2026-03-02", "1月30日+30=3月1日(日) → 3月2日(一)"),
        ("2026-04-10", 30, "2026-05-11", "4月10日+30=5月10日(日) → 5月11日(一)"),
        ("2026-03-31", 60, "2026-06-01", "3月31日+60=5月30日(六) → 5月31日(日) → 6月1日(一)"),
        ("2026-08-03", 90, "2026-11-02", "8月3日+90(60日办理+30日延期)=11月1日(日) → 11月2日(一)"),
        // 元旦.
        ("2025-12-17", 15, "2026-01-04", "12月17日+15=1月1日(元旦) → 1月1–3日放假 → 1月4日(日)调休上班"),
        ("2026-12-02", 30, "2027-01-04", "12月2日+30=2027年1月1日(元旦，暂定) → 1月2–3日周末 → 1月4日(一)"),
        // 春节.
        ("2026-01-31", 15, "2026-02-24", "1月31日+15=2月15日(春节2月15–23日) → 2月24日(二)"),
        ("2026-02-13", 1, "2026-02-14", "2月13日+1=2月14日(六)，调休上班日，不顺延"),
        ("2027-01-06", 30, "2027-02-09", "2027年1月6日+30=2月5日(除夕，暂定法定假日) → 2月6–7日周末 → 2月8日(初三) → 2月9日(二)"),
        // 清明节.
        ("2026-03-08", 30, "2026-04-07", "3月8日+30=4月7日(二)，清明假期4月4–6日之后"),
        ("2026-03-06", 30, "2026-04-07", "3月6日+30=4月5日(清明4月4–6日) → 4月7日(二)"),
        // 劳动节.
        ("2026-01-31", 90, "2026-05-06", "1月31日+90=5月1日(劳动节5月1–5日) → 5月6日(三)"),
        ("2026-04-02", 30, "2026-05-06", "4月2日+30=5月2日(劳动节) → 5月6日(三)"),
        ("2026-04-06", 30, "2026-05-06", "4月6日+30=5月6日(三)，节后第一天"),
        ("2026-04-09", 30, "2026-05-09", "4月9日+30=5月9日(六)，调休上班日，不顺延"),
        // 端午节、中秋节.
        ("2026-05-20", 30, "2026-06-22", "5月20日+30=6月19日(端午6月19–21日) → 6月22日(一)"),
        ("2026-08-26", 30, "2026-09-28", "8月26日+30=9月25日(中秋9月25–27日) → 9月28日(一)"),
        // 国庆节.
        ("2026-09-16", 15, "2026-10-08", "9月16日+15=10月1日(国庆10月1–7日) → 10月8日(四)"),
        ("2026-09-20", 15, "2026-10-08", "9月20日+15=10月5日(国庆) → 10月8日(四)"),
        ("2026-09-01", 30, "2026-10-08", "9月1日+30=10月1日(国庆) → 10月8日(四)"),
        ("2026-08-03", 60, "2026-10-08", "8月3日+60=10月2日(国庆) → 10月8日(四)"),
        ("2026-07-04", 90, "2026-10-08", "7月4日+90(60+延期30)=10月2日(国庆) → 10月8日(四)"),
        ("2026-07-04", 60, "2026-09-02", "同一件未延期：7月4日+60=9月2日(三)"),
        ("2026-09-25", 15, "2026-10-10", "9月25日+15=10月10日(六)，调休上班日，不顺延"),
        ("2026-09-05", 15, "2026-09-20", "9月5日+15=9月20日(日)，调休上班日，不顺延"),
        ("2026-09-06", 15, "2026-09-21", "9月6日+15=9月21日(一)"),
        ("2026-09-15", 15, "2026-09-30", "9月15日+15=9月30日(三)，节前最后一个工作日"),
        ("2026-09-15", 30, "2026-10-15", "9月15日+30=10月15日(四)"),
        // Hearing days added to the answer period.
        ("2026-06-01", 33, "2026-07-06", "复查申请6月1日，听证3天：+30+3=7月4日(六) → 7月6日(一)"),
    ])
    func calendarDayPeriods(start: String, days: Int, expected: String, arithmetic: String) {
        #expect(Self.calendar.addingStatutoryDays(days, to: Fixtures.day(start)) == Fixtures.day(expected), "\(arithmetic)")
    }

    /// The 5-working-day objection period (条例 Art. 23 ¶3) and a province counting in working days.
    @Test(arguments: [
        ("2026-09-30", 5, "2026-10-13", "9月30日交出：10月8日(1)、9日(2)、10日调休上班(3)、12日(4)、13日(5)"),
        ("2026-02-13", 5, "2026-02-27", "2月13日：2月14日调休上班(1)，春节至23日，24日(2)、25日(3)、26日(4)、27日(5)"),
        ("2026-04-30", 5, "2026-05-11", "4月30日：劳动节至5日，6日(1)、7日(2)、8日(3)、9日调休上班(4)、11日(5)"),
        ("2026-12-28", 5, "2027-01-05", "12月28日：29日(1)、30日(2)、31日(3)，元旦，2027年1月4日(4)、5日(5)"),
        ("2026-09-28", 15, "2026-10-23", "按工作日计的省份：9月28日起15个工作日，国庆7天不计，10月10日调休上班计入 → 10月23日"),
        ("2026-01-30", 15, "2026-02-27", "按工作日计：2月2–6日(5)、9–13日(10)、14日调休(11)、24–27日(15)"),
    ])
    func workingDayPeriods(start: String, days: Int, expected: String, arithmetic: String) {
        #expect(Self.calendar.addingWorkingDays(days, to: Fixtures.day(start)) == Fixtures.day(expected), "\(arithmetic)")
        var counting = Self.calendar
        counting.dayCounting = .workingDays
        #expect(counting.addingStatutoryDays(days, to: Fixtures.day(start)) == Fixtures.day(expected), "\(arithmetic)")
    }

    /// A due date an organ set (交办, 督办) on a rest day moves to the next working day.
    @Test(arguments: [
        ("2026-10-04T23:59:59+08:00", "2026-10-08", "国庆假期中的周日 → 10月8日(四)"),
        ("2026-10-10T12:00:00+08:00", "2026-10-10", "调休上班的周六，不顺延"),
        ("2026-12-31T23:59:59+08:00", "2026-12-31", "工作日"),
        ("2027-05-02T00:00:00+08:00", "2027-05-03", "2027年劳动节(暂定5月1–2日) → 5月3日(一)"),
        ("2026-10-02T17:00:00Z", "2026-10-08", "UTC 10月2日17:00 已是北京时间10月3日 → 10月8日"),
    ])
    func dueDatesSetByAnOrgan(dueAt: String, expected: String, note: String) {
        #expect(Self.calendar.dueDay(of: Fixtures.instant(dueAt)) == Fixtures.day(expected), "\(note)")
    }

    /// The China Standard Time day boundary: an instant belongs to its Beijing date, and the
    /// period ends at 24:00 Beijing time of its last day.
    @Test(arguments: [
        ("2026-03-31T17:00:00Z", "2026-04-16", "UTC 3月31日17:00 = 北京4月1日01:00，+15=4月16日"),
        ("2026-09-15T16:30:00Z", "2026-10-08", "UTC 9月15日16:30 = 北京9月16日00:30，+15=10月1日 → 10月8日"),
        ("2026-09-15T15:59:59Z", "2026-09-30", "UTC 9月15日15:59:59 = 北京9月15日23:59:59，+15=9月30日"),
    ])
    func noticePeriodStartsOnTheBeijingDate(received: String, expected: String, note: String) throws {
        let b = try ChainBuilder(now: Fixtures.instant(received))
        let notice = b.state.noticeDeadline(calendar: Self.calendar)
        #expect(notice.dueDate == Fixtures.day(expected), "\(note)")
        let endUTC = Self.calendar.startOfDay(Fixtures.day(expected).adding(days: 1)).addingTimeInterval(-0.001)
        #expect(abs(notice.dueAt.timeIntervalSince(endUTC)) < 0.000_01, "ends at 24:00 Beijing time of the last day")
    }

    /// A case received at `received`, accepted at once, replied at `replied` and closed.
    func closedCase(received: String, replied: String) throws -> ChainBuilder {
        var b = try ChainBuilder(now: Fixtures.instant(received))
        try b.act(.notify(note: nil))
        b.at(Fixtures.instant(replied))
        try b.act(.reply(outcome: .notSupported, opinion: "不予支持"))
        try b.act(.close(report: nil))
        return b
    }

    /// The failure: a 15-day period ending inside 国庆, and a 复查 request made on the
    /// first working day after the reply's 30-day window nominally ended on a holiday.
    @Test func aReviewRequestOnTheFirstWorkingDayAfterTheHolidayIsInTime() throws {
        var b = try closedCase(received: "2026-07-20T10:00:00+08:00", replied: "2026-09-01T10:00:00+08:00")
        let window = try #require(b.state.deadlines(calendar: b.calendar).first { $0.kind == .reviewRequestWindow })
        #expect(window.dueDate == Fixtures.day("2026-10-08"), "9月1日+30=10月1日(国庆) → 10月8日")
        b.at(Fixtures.instant("2026-10-08T16:00:00+08:00"))
        try b.act(.requestReview(reason: "不服处理意见", reviewer: nil))
        #expect(b.state.status == .reviewRequested)
    }

    @Test func aReviewRequestAfterTheMovedLastDayIsRefused() throws {
        var b = try closedCase(received: "2026-07-20T10:00:00+08:00", replied: "2026-09-01T10:00:00+08:00")
        b.at(Fixtures.instant("2026-10-09T00:00:01+08:00"))
        #expect(throws: LifecycleError.periodEnded(.reviewRequestWindow, dueDate: Fixtures.day("2026-10-08"))) {
            try b.act(.requestReview(reason: "不服处理意见", reviewer: nil))
        }
    }

    /// 送达 (条例 Art. 35): the window runs from the recorded receipt of the written reply, and from
    /// the reply itself until one is recorded.
    @Test func theReviewWindowRunsFromTheDeliveryOfTheReply() throws {
        var b = try ChainBuilder(now: Fixtures.instant("2026-08-20T10:00:00+08:00"))
        try b.act(.notify(note: nil))
        b.at(Fixtures.instant("2026-09-10T10:00:00+08:00"))
        try b.act(.reply(outcome: .explained, opinion: "解释说明"))
        func window() -> CivilDate? { b.state.deadlines(calendar: b.calendar).first { $0.kind == .reviewRequestWindow }?.dueDate }
        #expect(window() == Fixtures.day("2026-10-10"), "9月10日+30=10月10日(六)，调休上班日")
        b.at(Fixtures.instant("2026-09-18T09:00:00+08:00"))
        try b.act(.deliver(on: Fixtures.day("2026-09-15"), method: .mail, signed: true, note: "挂号信回执"))
        #expect(window() == Fixtures.day("2026-10-15"), "送达9月15日+30=10月15日(四)")
        #expect(b.state.reply?.delivery?.method == .mail)
        // One 送达 per opinion; a date before the opinion or after today is refused.
        #expect(throws: LifecycleError.alreadyRecorded(.deliver)) {
            try b.act(.deliver(on: Fixtures.day("2026-09-16"), method: .inPerson, signed: true, note: nil))
        }
        var early = try ChainBuilder(now: Fixtures.instant("2026-08-20T10:00:00+08:00"))
        try early.act(.notify(note: nil))
        early.at(Fixtures.instant("2026-09-10T10:00:00+08:00"))
        try early.act(.reply(outcome: .explained, opinion: "解释说明"))
        #expect(throws: LifecycleError.self) { try early.act(.deliver(on: Fixtures.day("2026-09-09"), method: .mail, signed: true, note: nil)) }
        #expect(throws: LifecycleError.self) { try early.act(.deliver(on: Fixtures.day("2026-09-30"), method: .mail, signed: true, note: nil)) }
        // No opinion awaiting 送达 before the reply.
        var none = try ChainBuilder(now: Fixtures.instant("2026-08-20T10:00:00+08:00"))
        try none.act(.notify(note: nil))
        #expect(throws: LifecycleError.self) { try none.act(.deliver(on: Fixtures.day("2026-08-20"), method: .mail, signed: true, note: nil)) }
    }

    /// 听证 (条例 Art. 36): the hearing's days are not counted in the answer period.
    @Test func hearingDaysAreNotCountedInTheAnswerPeriod() throws {
        var b = try closedCase(received: "2026-05-10T10:00:00+08:00", replied: "2026-05-10T11:00:00+08:00")
        b.at(Fixtures.instant("2026-06-01T10:00:00+08:00"))
        try b.act(.requestReview(reason: "不服", reviewer: nil))
        func due() -> CivilDate? { b.state.deadlines(calendar: b.calendar).first { $0.kind == .reviewDecision }?.dueDate }
        #expect(due() == Fixtures.day("2026-07-01"), "6月1日+30=7月1日(三)")
        b.at(Fixtures.instant("2026-06-13T10:00:00+08:00"))
        try b.act(.hearing(from: Fixtures.day("2026-06-10"), to: Fixtures.day("2026-06-12"), note: "公开听证"))
        #expect(due() == Fixtures.day("2026-07-06"), "+3天听证：7月4日(六) → 7月6日(一)")
        #expect(throws: LifecycleError.alreadyRecorded(.hearing)) {
            try b.act(.hearing(from: Fixtures.day("2026-06-13"), to: Fixtures.day("2026-06-13"), note: "再次听证"))
        }
        // A hearing not yet held, or before the request, is refused.
        var c = try closedCase(received: "2026-05-10T10:00:00+08:00", replied: "2026-05-10T11:00:00+08:00")
        c.at(Fixtures.instant("2026-06-01T10:00:00+08:00"))
        try c.act(.requestReview(reason: "不服", reviewer: nil))
        #expect(throws: LifecycleError.self) { try c.act(.hearing(from: Fixtures.day("2026-06-05"), to: Fixtures.day("2026-06-06"), note: "未举行")) }
        #expect(throws: LifecycleError.self) { try c.act(.hearing(from: Fixtures.day("2026-05-30"), to: Fixtures.day("2026-06-01"), note: "申请前")) }
    }

    /// The handling period with its one extension, and a second extension refused.
    @Test func theExtensionAddsToTheHandlingPeriodOnce() throws {
        var b = try ChainBuilder(now: Fixtures.instant("2026-08-03T09:00:00+08:00"))
        try b.act(.notify(note: nil))
        func handling() -> CivilDate? { b.state.deadlines(calendar: b.calendar).first { $0.kind == .handling }?.dueDate }
        #expect(handling() == Fixtures.day("2026-10-08"), "8月3日+60=10月2日(国庆) → 10月8日")
        try b.act(.extend(days: 30, approver: "局长", reason: "情况复杂"))
        #expect(handling() == Fixtures.day("2026-11-02"), "8月3日+90=11月1日(日) → 11月2日")
        #expect(throws: LifecycleError.self) { try b.act(.extend(days: 10, approver: "局长", reason: "再次延期")) }
    }
}
