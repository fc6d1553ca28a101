public import Foundation

/// How a node counts statutory days: calendar days by default, with a holiday and working-day
/// calendar for the rules stated in working days (the 5-working-day objection, 条例 Art. 23) and
/// for provinces that count every deadline in working days.
public struct DeadlineCalendar: Codable, Equatable, Sendable {
    /// How the "N days" rules are counted. The working-day rule always counts working days.
    public enum DayCounting: String, Codable, Sendable {
        case calendarDays
        case workingDays
    }

    public var dayCounting: DayCounting
    /// Weekdays that are public holidays (法定节假日 and their bridging days).
    public var holidays: Set<CivilDate>
    /// Weekend days that are working days (调休上班).
    public var workingWeekends: Set<CivilDate>
    /// The offset of the node's civil time from UTC; China Standard Time is +8 h.
    public var utcOffsetSeconds: Int

    public init(
        dayCounting: DayCounting = .calendarDays,
        holidays: Set<CivilDate> = [],
        workingWeekends: Set<CivilDate> = [],
        utcOffsetSeconds: Int = 8 * 3600
    ) {
        self.dayCounting = dayCounting
        self.holidays = holidays
        self.workingWeekends = workingWeekends
        self.utcOffsetSeconds = utcOffsetSeconds
    }

    /// Calendar days, no holidays, China Standard Time.
    public static let standard = DeadlineCalendar()

    enum CodingKeys: String, CodingKey { case dayCounting, holidays, workingWeekends, utcOffsetSeconds }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        dayCounting = try c.decodeIfPresent(DayCounting.self, forKey: .dayCounting) ?? .calendarDays
        holidays = try c.decodeIfPresent(Set<CivilDate>.self, forKey: .holidays) ?? []
        workingWeekends = try c.decodeIfPresent(Set<CivilDate>.self, forKey: .workingWeekends) ?? []
        utcOffsetSeconds = try c.decodeIfPresent(Int.self, forKey: .utcOffsetSeconds) ?? 8 * 3600
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(dayCounting, forKey: .dayCounting)
        try c.encode(holidays.sorted(), forKey: .holidays)
        try c.encode(workingWeekends.sorted(), forKey: .workingWeekends)
        try c.encode(utcOffsetSeconds, forKey: .utcOffsetSeconds)
    }

    public func isWorkingDay(_ date: CivilDate) -> Bool {
        if workingWeekends.contains(date) { return true }
        if holidays.contains(date) { return false }
        return date.isoWeekday <= 5
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

    /// The last day of a statutory period of `count` days from `start`, counted as this calendar says.
    public func addingStatutoryDays(_ count: Int, to start: CivilDate) -> CivilDate {
        switch dayCounting {
        case .calendarDays: return start.adding(days: count)
        case .workingDays: return addingWorkingDays(count, to: start)
        }
    }

    public func civilDate(of instant: Date) -> CivilDate { CivilDate(instant, utcOffsetSeconds: utcOffsetSeconds) }

    public func endOfDay(_ date: CivilDate) -> Date { date.endOfDay(utcOffsetSeconds: utcOffsetSeconds) }
}
