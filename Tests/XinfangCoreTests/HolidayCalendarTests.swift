import Foundation
import Testing
import XinfangCore
import XinfangTesting

/// The shipped holiday calendar and the calendar file format (issue 13, rule 2).
struct HolidayCalendarTests {
    static let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("deploy/calendar/china.json")

    @Test func theCompiledCalendarIsTheShippedFile() throws {
        let file = try String(contentsOf: Self.shipped, encoding: .utf8)
        let compiled = try HolidayCalendarFile.decode(Data(file.utf8))
        #expect(compiled == DeadlineCalendar.standard, "NationalHolidays.swift holds the text of deploy/calendar/china.json: copy it again")
    }

    @Test func the2026NoticeAsPublished() {
        let c = DeadlineCalendar.standard
        #expect(c.coveredYears == [2026, 2027] && c.provisionalYears == [2027])
        // Every 调休 working day of the notice, and every day off on a weekday.
        for day in ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"] {
            #expect(c.isWorkingDay(Fixtures.day(day)), "\(day) 调休上班")
        }
        let weekdaysOff = [
            "2026-01-01", "2026-01-02", "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20", "2026-02-23", "2026-04-06",
            "2026-05-01", "2026-05-04", "2026-05-05", "2026-06-19", "2026-09-25", "2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06",
            "2026-10-07",
        ]
        var day = Fixtures.day("2026-01-01")
        var off: [String] = []
        while day.year == 2026 {
            if !c.isWorkingDay(day), day.isoWeekday <= 5 { off.append(day.description) }
            day = day.adding(days: 1)
        }
        #expect(off == weekdaysOff)
        #expect(c.coverage(on: Fixtures.day("2026-12-01")).contains("2026"))
        #expect(c.coverage(on: Fixtures.day("2027-03-01")).contains("暂定"))
        #expect(!c.covers(year: 2028) && c.coverage(on: Fixtures.day("2028-03-01")).contains("周末"))
    }

    static let valid = """
        {"format":"xinfang-holiday-calendar/1","name":"某省","years":[{"year":2026,"status":"official","source":"通知",
        "holidays":[{"name":"国庆节","from":"2026-10-01","to":"2026-10-07"}],"workingWeekends":["2026-10-10"]}]}
        """

    @Test func aProvinceCalendarFileLoads() throws {
        let c = try HolidayCalendarFile.decode(Data(Self.valid.utf8))
        #expect(
            c.name == "某省" && c.coveredYears == [2026] && !c.isWorkingDay(Fixtures.day("2026-10-05")) && c.isWorkingDay(Fixtures.day("2026-10-10"))
        )
    }

    @Test(arguments: [
        ("unknown member", Self.valid.replacingOccurrences(of: "\"holidays\"", with: "\"holidys\""), "invalid-calendar"),
        ("not JSON", "{", "invalid-calendar"),
        ("bad date", Self.valid.replacingOccurrences(of: "2026-10-07", with: "2026-10-32"), "invalid-calendar"),
        ("backwards", Self.valid.replacingOccurrences(of: "\"to\":\"2026-10-07\"", with: "\"to\":\"2026-09-30\""), "invalid-field"),
        ("outside its year", Self.valid.replacingOccurrences(of: "\"to\":\"2026-10-07\"", with: "\"to\":\"2027-01-01\""), "invalid-field"),
        ("weekday as working weekend", Self.valid.replacingOccurrences(of: "2026-10-10", with: "2026-10-09"), "invalid-field"),
        ("day off and working", Self.valid.replacingOccurrences(of: "2026-10-10", with: "2026-10-04"), "invalid-field"),
        ("wrong format", Self.valid.replacingOccurrences(of: "calendar/1", with: "calendar/9"), "invalid-field"),
        ("no source", Self.valid.replacingOccurrences(of: "\"source\":\"通知\"", with: "\"source\":\" \""), "missing-field"),
        (
            "year twice",
            Self.valid.replacingOccurrences(
                of: "\"years\":[{",
                with: "\"years\":[{\"year\":2026,\"status\":\"official\",\"source\":\"x\",\"holidays\":[],\"workingWeekends\":[]},{"
            ), "invalid-field"
        ),
    ])
    func aMalformedCalendarFileIsRefused(label: String, json: String, code: String) {
        do {
            _ = try HolidayCalendarFile.decode(Data(json.utf8))
            Issue.record("\(label): accepted")
        } catch {
            #expect(error.code == code, "\(label): \(error)")
        }
    }

    @Test func theFlatFormIsCheckedToo() throws {
        let decoder = JSONDecoder()
        #expect(throws: (any Error).self) {
            try decoder.decode(DeadlineCalendar.self, from: Data(#"{"holidays":["2026-10-05"],"workingWeekends":["2026-10-05"]}"#.utf8))
        }
        let flat = try decoder.decode(DeadlineCalendar.self, from: Data(#"{"holidays":["2026-10-05"]}"#.utf8))
        #expect(flat.coveredYears == [2026] && !flat.isWorkingDay(Fixtures.day("2026-10-05")))
    }
}
