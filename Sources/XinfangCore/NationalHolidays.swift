/// The national holiday calendar shipped with the binary: the text of `deploy/calendar/china.json`
/// (a test checks that both describe the same calendar), so a node needs no file to count holidays.
enum NationalHolidays {
    static let json = #"""
        {
          "format": "xinfang-holiday-calendar/1",
          "name": "全国节假日安排（国务院办公厅）",
          "utcOffsetSeconds": 28800,
          "dayCounting": "calendarDays",
          "years": [
            {
              "year": 2026,
              "status": "official",
              "source": "国务院办公厅关于2026年部分节假日安排的通知（2025年11月4日）",
              "holidays": [
                { "name": "元旦", "from": "2026-01-01", "to": "2026-01-03" },
                { "name": "春节", "from": "2026-02-15", "to": "2026-02-23" },
                { "name": "清明节", "from": "2026-04-04", "to": "2026-04-06" },
                { "name": "劳动节", "from": "2026-05-01", "to": "2026-05-05" },
                { "name": "端午节", "from": "2026-06-19", "to": "2026-06-21" },
                { "name": "中秋节", "from": "2026-09-25", "to": "2026-09-27" },
                { "name": "国庆节", "from": "2026-10-01", "to": "2026-10-07" }
              ],
              "workingWeekends": ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]
            },
            {
              "year": 2027,
              "status": "provisional",
              "source": "《全国年节及纪念日放假办法》（2024年修订）第二条的法定节假日；国务院办公厅2027年放假调休通知发布后以其替换本年（调休日期待定）",
              "holidays": [
                { "name": "元旦", "from": "2027-01-01", "to": "2027-01-01" },
                { "name": "春节", "from": "2027-02-05", "to": "2027-02-08" },
                { "name": "清明节", "from": "2027-04-05", "to": "2027-04-05" },
                { "name": "劳动节", "from": "2027-05-01", "to": "2027-05-02" },
                { "name": "端午节", "from": "2027-06-09", "to": "2027-06-09" },
                { "name": "中秋节", "from": "2027-09-15", "to": "2027-09-15" },
                { "name": "国庆节", "from": "2027-10-01", "to": "2027-10-03" }
              ],
              "workingWeekends": []
            }
          ]
        }
        """#
}
