public import Foundation

/// A holiday calendar file (`deploy/calendar/china.json` and a province's replacement): the State
/// Council's yearly notices as the notices read, a block of rest days per holiday and the weekend
/// days 调休 makes working days.
///
/// Parsing is strict: an unknown member, a date that is not `YYYY-MM-DD`, a block that runs
/// backwards or leaves its year, a working day that is not a weekend day, a day both off and
/// working, or a year listed twice refuses the whole file, so a typo never silently becomes a
/// calendar without holidays.
public struct HolidayCalendarFile: Codable, Equatable, Sendable {
    /// `xinfang-holiday-calendar/1`.
    public var format: String
    public var name: String
    public var utcOffsetSeconds: Int?
    public var dayCounting: DeadlineCalendar.DayCounting?
    public var years: [Year]

    /// One year's arrangements.
    public struct Year: Codable, Equatable, Sendable {
        public var year: Int
        /// `official` (the notice itself) or `provisional` (statutory holidays only, before the notice).
        public var status: Status
        /// The notice the year is taken from.
        public var source: String
        public var holidays: [Block]
        public var workingWeekends: [CivilDate]
    }

    public enum Status: String, Codable, Sendable {
        case official, provisional
    }

    /// A holiday's rest days, from and to inclusive (weekend days inside it included).
    public struct Block: Codable, Equatable, Sendable {
        public var name: String
        public var from: CivilDate
        public var to: CivilDate
    }

    public static let formatName = "xinfang-holiday-calendar/1"
    public static let yearsMax = 50
    public static let blockDaysMax = 15

    /// Parses and checks a calendar file and returns the calendar it describes.
    public static func decode(_ data: Data) throws(ValidationFailure) -> DeadlineCalendar {
        try refuseUnknownMembers(data)
        let file: HolidayCalendarFile
        do { file = try JSONDecoder().decode(HolidayCalendarFile.self, from: data) } catch {
            throw ValidationFailure(code: "invalid-calendar", field: nil, detail: "节假日日历文件格式错误：\(error)")
        }
        return try file.calendar()
    }

    /// The calendar of this file, checked.
    public func calendar() throws(ValidationFailure) -> DeadlineCalendar {
        guard format == Self.formatName else { throw .invalid("format", "日历文件格式应为 \(Self.formatName)。") }
        guard !name.trimmingWhitespace().isEmpty, name.count <= 100 else { throw .invalid("name", "日历名称不能为空，最多 100 个字符。") }
        guard !years.isEmpty, years.count <= Self.yearsMax else { throw .invalid("years", "日历须含 1 到 \(Self.yearsMax) 个年份。") }
        var holidays: Set<CivilDate> = []
        var working: Set<CivilDate> = []
        var covered: Set<Int> = []
        var provisional: Set<Int> = []
        for (i, y) in years.enumerated() {
            let field = "years.\(i)"
            guard covered.insert(y.year).inserted else { throw .invalid("\(field).year", "年份 \(y.year) 重复。") }
            guard !y.source.trimmingWhitespace().isEmpty else { throw .missing("\(field).source") }
            if y.status == .provisional { provisional.insert(y.year) }
            for (j, block) in y.holidays.enumerated() {
                let f = "\(field).holidays.\(j)"
                guard !block.name.trimmingWhitespace().isEmpty else { throw .missing("\(f).name") }
                guard block.from.year == y.year, block.to.year == y.year else { throw .invalid(f, "\(block.name) 的日期不在 \(y.year) 年内。") }
                let days = block.to.daysSinceEpoch - block.from.daysSinceEpoch + 1
                guard (1...Self.blockDaysMax).contains(days) else {
                    throw .invalid(f, "\(block.name) 的放假日期应为 1 到 \(Self.blockDaysMax) 天（from 不晚于 to）。")
                }
                for k in 0..<days { holidays.insert(block.from.adding(days: k)) }
            }
            for (j, day) in y.workingWeekends.enumerated() {
                guard day.year == y.year else { throw .invalid("\(field).workingWeekends.\(j)", "\(day) 不在 \(y.year) 年内。") }
                working.insert(day)
            }
        }
        let calendar = DeadlineCalendar(
            dayCounting: dayCounting ?? .calendarDays,
            holidays: holidays,
            workingWeekends: working,
            utcOffsetSeconds: utcOffsetSeconds ?? 8 * 3600,
            coveredYears: covered,
            provisionalYears: provisional,
            name: name
        )
        try calendar.validate()
        return calendar
    }

    static let members: [String: Set<String>] = [
        "": ["format", "name", "utcOffsetSeconds", "dayCounting", "years"],
        "years": ["year", "status", "source", "holidays", "workingWeekends"],
        "holidays": ["name", "from", "to"],
    ]

    /// Refuses a member the format does not have (`holidys` would otherwise mean no holidays).
    static func refuseUnknownMembers(_ data: Data) throws(ValidationFailure) {
        let root: Any
        do { root = try JSONSerialization.jsonObject(with: data) } catch {
            throw ValidationFailure(code: "invalid-calendar", field: nil, detail: "节假日日历文件不是有效的 JSON。")
        }
        func check(_ value: Any, level: String, path: String) throws(ValidationFailure) {
            guard let object = value as? [String: Any] else { return }
            for key in object.keys.sorted() {
                guard Self.members[level]?.contains(key) == true else {
                    throw ValidationFailure(
                        code: "invalid-calendar",
                        field: path.isEmpty ? key : "\(path).\(key)",
                        detail: "节假日日历文件含有未知字段 \(path.isEmpty ? key : "\(path).\(key)")。"
                    )
                }
                if key == "years" || key == "holidays", let items = object[key] as? [Any] {
                    for (i, item) in items.enumerated() { try check(item, level: key, path: (path.isEmpty ? key : "\(path).\(key)") + ".\(i)") }
                }
            }
        }
        try check(root, level: "", path: "")
    }
}
