import Foundation

/// Civil days as numbers (days since 1970-01-01 of the local calendar) and months as
/// `year * 12 + month - 1`: the periods of `daily_counts`, whose triggers compute the same numbers
/// in SQL from a time in milliseconds plus the calendar's UTC offset.
enum DayNumber {
    static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        return calendar
    }()

    static func components(_ day: Int64) -> DateComponents {
        utc.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: Double(day) * 86_400))
    }

    static func dayOfMonth(_ day: Int64) -> Int { components(day).day! }

    static func month(of day: Int64) -> Int64 {
        let parts = components(day)
        return Int64(parts.year! * 12 + parts.month! - 1)
    }

    static func firstDay(ofMonth index: Int64) -> Int64 {
        let date = utc.date(from: DateComponents(year: Int(index / 12), month: Int(index % 12) + 1, day: 1))!
        return Int64((date.timeIntervalSince1970 / 86_400).rounded())
    }
}
