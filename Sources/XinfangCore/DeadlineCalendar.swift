public import Foundation

/// How a node counts statutory periods: the rules of the 民法典 on periods (Art. 200–204) over a
/// calendar of rest days (法定休假日: Saturdays, Sundays and the State Council's holidays, less the
/// weekend days made working days by 调休).
///
/// - A period of N days starts the day after the event (Art. 201: the day it starts is not counted)
///   and ends at 24:00 of its last day (Art. 203 ¶2).
/// - If the last day is a rest day, the period ends on the first working day after it (Art. 203 ¶1).
/// - The 5-working-day objection period (条例 Art. 23 ¶3) counts working days; a province may count
///   every period in working days (`dayCounting`).
///
/// Outside the years its notices cover (`coveredYears`) the calendar knows only weekends: a node
/// running in such a year says so (`covers(_:)`) and counts with weekends only.
public struct DeadlineCalendar: Equatable, Sendable {
    /// How the "N days" rules are counted. The working-day rule always counts working days.
    public enum DayCounting: String, Codable, Sendable {
        case calendarDays
        case workingDays
    }

    public var dayCounting: DayCounting
    /// Weekdays that are rest days: statutory holidays and the weekdays 调休 makes rest days.
    public var holidays: Set<CivilDate>
    /// Weekend days that are working days (调休上班).
    public var workingWeekends: Set<CivilDate>
    /// The offset of the node's civil time from UTC; China Standard Time is +8 h.
    public var utcOffsetSeconds: Int
    /// The years whose holiday arrangements this calendar holds.
    public var coveredYears: Set<Int>
    /// Covered years whose arrangements are provisional (the statutory holidays only, before the
    /// State Council's notice for that year was loaded).
    public var provisionalYears: Set<Int>
    /// Where the arrangements come from, for the log and `/readyz`.
    public var name: String

    public init(
        dayCounting: DayCounting = .calendarDays,
        holidays: Set<CivilDate> = [],
        workingWeekends: Set<CivilDate> = [],
        utcOffsetSeconds: Int = 8 * 3600,
        coveredYears: Set<Int>? = nil,
        provisionalYears: Set<Int> = [],
        name: String = "周末（无节假日安排）"
    ) {
        self.dayCounting = dayCounting
        self.holidays = holidays
        self.workingWeekends = workingWeekends
        self.utcOffsetSeconds = utcOffsetSeconds
        self.coveredYears = coveredYears ?? Set(holidays.union(workingWeekends).map(\.year))
        self.provisionalYears = provisionalYears
        self.name = name
    }

    /// Saturdays and Sundays only, China Standard Time: what a node falls back to outside the
    /// years its calendar covers, and the calendar of tests that want no holidays.
    public static let weekendsOnly = DeadlineCalendar()

    /// The national holiday and 调休 calendar shipped with the binary (`deploy/calendar/china.json`),
    /// China Standard Time, calendar days: the default of every node.
    public static let standard: DeadlineCalendar = {
        do { return try HolidayCalendarFile.decode(Data(NationalHolidays.json.utf8)) } catch {
            preconditionFailure("the shipped holiday calendar does not load: \(error)")
        }
    }()

    /// Whether `date` is a working day: a 调休 working weekend day, or a weekday that is not a holiday.
    public func isWorkingDay(_ date: CivilDate) -> Bool {
        if workingWeekends.contains(date) { return true }
        if holidays.contains(date) { return false }
        return date.isoWeekday <= 5
    }

    /// Whether the calendar holds the holiday arrangements of `year`.
    public func covers(year: Int) -> Bool { coveredYears.contains(year) }

    /// What an operator should know about the calendar on `today`, in one sentence: covered,
    /// provisional, or not covered (weekends only).
    public func coverage(on today: CivilDate) -> String {
        let years = coveredYears.sorted().map(String.init).joined(separator: "、")
        if !covers(year: today.year) {
            return "节假日日历（\(name)）不含 \(today.year) 年（只含 \(years.isEmpty ? "无" : years) 年），期限暂只按周末顺延；请配置含本年的日历文件（calendarFile）。"
        }
        if provisionalYears.contains(today.year) {
            return "\(today.year) 年的节假日为暂定安排（只含法定节假日，无调休），国务院办公厅通知发布后请更新日历文件。"
        }
        return "节假日日历（\(name)）含 \(years) 年。"
    }

    /// The date on which a period of `count` working days that starts the day after `start` ends.
    public func addingWorkingDays(_ count: Int, to start: CivilDate) -> CivilDate {
        var date = start
        var remaining = count
        while remaining > 0 {
            date = date.adding(days: 1)
            if isWorkingDay(date) { remaining -= 1 }
        }
        return date
    }

    /// The day itself, or the first working day after it when it is a rest day (民法典 Art. 203 ¶1).
    public func firstWorkingDay(onOrAfter date: CivilDate) -> CivilDate {
        var day = date
        // Rest days never run longer than a few weeks; the bound only guards a malformed calendar.
        for _ in 0..<Self.restDaysInARowMax where !isWorkingDay(day) { day = day.adding(days: 1) }
        return day
    }

    /// The longest run of rest days the calendar may hold (a file with more is refused).
    public static let restDaysInARowMax = 31

    /// The last day of a statutory period of `count` days that starts the day after `start`,
    /// counted as this calendar says, moved past rest days (民法典 Art. 201, 203).
    public func addingStatutoryDays(_ count: Int, to start: CivilDate) -> CivilDate {
        switch dayCounting {
        case .calendarDays: return firstWorkingDay(onOrAfter: start.adding(days: count))
        case .workingDays: return addingWorkingDays(count, to: start)
        }
    }

    public func civilDate(of instant: Date) -> CivilDate { CivilDate(instant, utcOffsetSeconds: utcOffsetSeconds) }

    /// The last millisecond of `date` (24:00 of that day) in this calendar's civil time.
    public func endOfDay(_ date: CivilDate) -> Date { date.endOfDay(utcOffsetSeconds: utcOffsetSeconds) }

    /// A short digest of everything that changes a deadline (counting, offset, rest and working
    /// days): a store opened with another calendar recomputes its materialised deadlines.
    public var fingerprint: String {
        let text =
            "\(dayCounting.rawValue) \(utcOffsetSeconds) h:\(holidays.sorted().map(\.description).joined(separator: ",")) w:\(workingWeekends.sorted().map(\.description).joined(separator: ","))"
        return String(Data(text.utf8).sha256Hex.prefix(16))
    }

    /// The first millisecond of `date` in this calendar's civil time.
    public func startOfDay(_ date: CivilDate) -> Date { date.startOfDay(utcOffsetSeconds: utcOffsetSeconds) }
}

extension DeadlineCalendar: Codable {
    enum CodingKeys: String, CodingKey { case dayCounting, holidays, workingWeekends, utcOffsetSeconds, coveredYears, provisionalYears, name }

    /// The flat form (an inline `calendar` in a node's configuration, or the store's record):
    /// every field optional; `coveredYears` defaults to the years of the listed dates.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            dayCounting: try c.decodeIfPresent(DayCounting.self, forKey: .dayCounting) ?? .calendarDays,
            holidays: try c.decodeIfPresent(Set<CivilDate>.self, forKey: .holidays) ?? [],
            workingWeekends: try c.decodeIfPresent(Set<CivilDate>.self, forKey: .workingWeekends) ?? [],
            utcOffsetSeconds: try c.decodeIfPresent(Int.self, forKey: .utcOffsetSeconds) ?? 8 * 3600,
            coveredYears: try c.decodeIfPresent(Set<Int>.self, forKey: .coveredYears),
            provisionalYears: try c.decodeIfPresent(Set<Int>.self, forKey: .provisionalYears) ?? [],
            name: try c.decodeIfPresent(String.self, forKey: .name) ?? "节点配置中的节假日安排"
        )
        do { try validate() } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(dayCounting, forKey: .dayCounting)
        try c.encode(holidays.sorted(), forKey: .holidays)
        try c.encode(workingWeekends.sorted(), forKey: .workingWeekends)
        try c.encode(utcOffsetSeconds, forKey: .utcOffsetSeconds)
        try c.encode(coveredYears.sorted(), forKey: .coveredYears)
        try c.encode(provisionalYears.sorted(), forKey: .provisionalYears)
        try c.encode(name, forKey: .name)
    }

    /// Checks what every calendar must satisfy: working weekends fall on weekends, no day is both
    /// a holiday and a working day, every date lies in a covered year, no run of rest days longer
    /// than `restDaysInARowMax`, and an offset within ±14 hours.
    public func validate() throws(ValidationFailure) {
        guard (-14 * 3600...14 * 3600).contains(utcOffsetSeconds) else {
            throw .invalid("utcOffsetSeconds", "时区偏移必须在 ±14 小时之内。")
        }
        for day in workingWeekends where day.isoWeekday <= 5 {
            throw .invalid("workingWeekends", "调休上班日 \(day) 不是周六或周日。")
        }
        if let both = holidays.intersection(workingWeekends).min() {
            throw .invalid("holidays", "\(both) 既列为放假日又列为调休上班日。")
        }
        if let outside = holidays.union(workingWeekends).first(where: { !coveredYears.contains($0.year) }) {
            throw .invalid("coveredYears", "\(outside) 不在日历覆盖的年份之内。")
        }
        guard provisionalYears.isSubset(of: coveredYears) else {
            throw .invalid("provisionalYears", "暂定年份必须是日历覆盖的年份。")
        }
        for year in coveredYears {
            guard (2000...2100).contains(year) else { throw .invalid("coveredYears", "年份 \(year) 超出 2000–2100。") }
            var run = 0
            var day = CivilDate(unchecked: year, 1, 1)
            while day.year == year {
                run = isWorkingDay(day) ? 0 : run + 1
                if run > Self.restDaysInARowMax {
                    throw .invalid("holidays", "\(year) 年有连续超过 \(Self.restDaysInARowMax) 天的休息日，日历有误。")
                }
                day = day.adding(days: 1)
            }
        }
    }
}
