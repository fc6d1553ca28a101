import Foundation
import HTTPTypes
import Testing
import XinfangCore
import XinfangStore
import XinfangTesting

/// The CSV exports as Excel receives them: the bytes (BOM, Chinese header, quoting), every
/// selected case (not one page), and the same figures as the JSON routes.
struct ExportTests {
    @Test func casesExportAsExcelReadableCSVWithEveryMatchingCase() async throws {
        let node = try TestNode()
        let awkward = #"反映"拖欠"工资,共3个月"#
        for i in 0..<(CaseQuery.limitMax + 5) {
            var r = Fixtures.registration(receivedAt: node.clock.now(), summary: i == 0 ? awkward : "反映拖欠工资\(i)")
            if i == 1 { r.text = "第一行\n第二行" }
            _ = try await node.database.register(r, actor: "李娜", now: node.clock.now())
        }
        try await node.withAPI { api in
            let export = try await api.request(.get, "/api/v1/cases.csv")
            #expect(export.status == 200)
            #expect(export.contentType == "text/csv; charset=utf-8")
            #expect(Array(export.body.prefix(3)) == [0xEF, 0xBB, 0xBF])
            let text = String(decoding: export.body, as: UTF8.self)
            #expect(text.dropFirst().hasPrefix("信访件编号,收件日期,收件天数,登记时间,登记机关,信访形式,"))
            #expect(text.contains("\"反映\"\"拖欠\"\"工资,共3个月\""), "quotes doubled, the field quoted")
            let rows = try CSV.rows(text)
            #expect(rows.count == CaseQuery.limitMax + 5 + 1, "every case, past the API's page size, plus the header")
            let summary = try #require(rows[0].fields.firstIndex(of: "摘要"))
            #expect(rows.contains { $0.fields[summary] == awkward })
            #expect(rows.dropFirst().allSatisfy { $0.fields.count == rows[0].fields.count })
            // The filters are the list's: a filter that matches nothing exports only the header.
            let none = try await api.request(.get, "/api/v1/cases.csv?status=terminated")
            #expect(try CSV.rows(none.text).count == 1)
            #expect(try await api.request(.get, "/api/v1/cases.csv?status=nonsense").status == 400)

            let backlog = try await api.request(.get, "/api/v1/backlog.csv")
            let backlogRows = try CSV.rows(backlog.text)
            #expect(backlogRows.count == 2 && backlogRows[1].fields[3] == String(CaseQuery.limitMax + 5))
            let stats = try await api.request(.get, "/api/v1/stats.csv")
            let statsRows = try CSV.rows(stats.text)
            #expect(statsRows.first?.fields.contains("及时受理率") == true)
            #expect(statsRows[1].fields[5] == String(CaseQuery.limitMax + 5), "registrations this year")
            #expect(try await api.request(.get, "/api/v1/flags.csv").status == 200)
            #expect(try await api.request(.get, "/api/v1/stats.csv?from=2026-02-30").status == 400)
        }
    }
}
