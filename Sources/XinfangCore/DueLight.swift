public import Foundation

/// 红黄绿: how close an open case is to missing its next statutory obligation (the earliest unmet
/// deadline of `CaseState.nextObligation`, the one "超期" counts). Red: that deadline has passed.
/// Yellow (临期): it ends within the configured number of working days (today counts as day 0,
/// so with 3 a deadline ending on the third working day after today is yellow). Green: neither,
/// or no obligation is running. The lists, the case page, the landing page, the CSV, the API's
/// filter and the metrics all judge by this one rule.
public enum DueLight: String, Codable, Sendable, CaseIterable {
    case red, yellow, green

    public var label: String {
        switch self {
        case .red: "超期"
        case .yellow: "临期"
        case .green: "正常"
        }
    }

    /// The light of an obligation ending at `dueAt` (nil: none is running), judged at `now`.
    public static func of(dueAt: Date?, now: Date, rule: DueLightRule) -> DueLight {
        guard let dueAt else { return .green }
        if dueAt < now { return .red }
        return dueAt <= rule.yellowUntil ? .yellow : .green
    }
}

/// Where yellow ends at a given moment: the end of the day `workingDays` working days after today.
public struct DueLightRule: Sendable, Equatable {
    /// A deadline ending at or before this instant (and not yet past) is yellow.
    public var yellowUntil: Date
    public var workingDays: Int

    public static let workingDaysDefault = 3
    public static let workingDaysRange = 0...30

    public init(now: Date, workingDays: Int, calendar: DeadlineCalendar) {
        self.workingDays = workingDays
        let today = calendar.civilDate(of: now)
        yellowUntil = calendar.endOfDay(calendar.addingWorkingDays(workingDays, to: today))
    }

    /// Days past the deadline ending on `dueDate`, at `now` (0 while it has not passed).
    public static func daysOverdue(dueDate: CivilDate, now: Date, calendar: DeadlineCalendar) -> Int {
        max(0, calendar.civilDate(of: now).daysSinceEpoch - dueDate.daysSinceEpoch)
    }

    /// Whole civil days from the receipt (收件日期) to `now`: the age the ageing buckets count.
    public static func age(receivedAt: Date, now: Date, calendar: DeadlineCalendar) -> Int {
        max(0, calendar.civilDate(of: now).daysSinceEpoch - calendar.civilDate(of: receivedAt).daysSinceEpoch)
    }
}
