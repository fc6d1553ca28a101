import Foundation
import Testing
import XinfangCore

/// CSV for Excel: the exact bytes (BOM, CRLF, quoting), the reader, and the ledger's rows.
struct CSVTests {
    @Test func aDocumentIsUTF8WithABOMCRLFAndQuotesWhereNeeded() {
        let text = CSV.document(
            header: ["编号", "摘要"],
            rows: [["1", "拖欠工资，共3个月"], ["2", "他说\"不给\"\n第二行"], ["3", "普通"]]
        )
        let bytes = Array(text.utf8)
        #expect(Array(bytes.prefix(3)) == [0xEF, 0xBB, 0xBF], "a BOM, so Excel reads UTF-8")
        let expected = "编号,摘要\r\n1,\"拖欠工资，共3个月\"\r\n2,\"他说\"\"不给\"\"\n第二行\"\r\n3,普通\r\n"
        // The full-width comma (，) needs no quotes; the ASCII comma, the quote and the newline do.
        #expect(String(text.dropFirst()) == expected.replacingOccurrences(of: "\"拖欠工资，共3个月\"", with: "拖欠工资，共3个月"))
        #expect(CSV.field("a,b") == "\"a,b\"")
        #expect(CSV.field("line\r\nbreak") == "\"line\r\nbreak\"")
        #expect(CSV.field("") == "")
    }

    @Test func aTextThatWouldRunAsAFormulaIsDefused() {
        #expect(CSV.field("=HYPERLINK(\"http://x\")") == "\"'=HYPERLINK(\"\"http://x\"\")\"")
        #expect(CSV.field("@SUM(A1)") == "'@SUM(A1)")
        #expect(CSV.field("-5") == "-5", "a number stays a number")
        #expect(CSV.field("+86 138") == "'+86 138")
    }

    @Test func theReaderReadsWhatTheWriterWrote() throws {
        let rows = [["编号", "摘要", "备注"], ["1", "a,b", "他说\"不给\""], ["2", "两行\r\n文字", ""], ["3", "", "末尾"]]
        let parsed = try CSV.rows(CSV.document(header: rows[0], rows: rows.dropFirst()))
        #expect(parsed.map(\.fields) == rows)
        #expect(parsed.map(\.line) == [1, 2, 3, 5], "a row's line counts the line breaks inside quotes")
        // LF line ends, no BOM, no final line end.
        #expect(try CSV.rows("a,b\nc,d").map(\.fields) == [["a", "b"], ["c", "d"]])
    }

    @Test(arguments: [
        ("a,\"b\nc", "引号未闭合"),
        ("a,b\"c\n", "引号只能出现在字段开头"),
        ("a,\"b\"c\n", "引号结束后必须是逗号或换行"),
    ])
    func malformedCSVIsRefusedWithItsLine(_ input: String, _ reason: String) {
        #expect(throws: CSV.ParseError.self) { try CSV.rows(input) }
        do { _ = try CSV.rows(input) } catch { #expect(error.reason.contains(reason)) }
    }

    @Test func aLedgerRowBecomesARegistrationAndABadRowNamesItsColumn() throws {
        let header = Ledger.required + ["证件号码", "集体访批次", "集体访人次", "涉法涉诉"]
        let columns = try Ledger.columns(header)
        let row = ["2026-03-02 09:30", "来访", "求决", "劳动和社会保障", "劳动关系", "拖欠农民工工资", "430102", "摘要", "内容", "李强", "王芳", "", "2", "25", "是"]
        let r = try Ledger.registration(row, columns: columns, utcOffsetSeconds: 8 * 3600)
        #expect(r.channel == .visit && r.purpose == .request && r.lawRelated)
        #expect(r.collective == CollectiveVisit(batches: 2, personVisits: 25))
        #expect(r.receivedAt == Date(timeIntervalSince1970: 1_772_415_000), "2026-03-02 09:30 China Standard Time")
        #expect(r.petitioners.first?.idNumber == nil)
        func refusal(_ index: Int, _ value: String) -> String? {
            var bad = row
            bad[index] = value
            do {
                _ = try Ledger.registration(bad, columns: columns, utcOffsetSeconds: 8 * 3600)
                return nil
            } catch { return error.field }
        }
        #expect(refusal(1, "传真") == "信访形式")
        #expect(refusal(0, "2026/03/02") == "收件时间")
        #expect(refusal(0, "2026-03-02 25:00") == "收件时间")
        #expect(refusal(14, "也许") == "涉法涉诉")
        #expect(refusal(13, "") == "集体访人次")
        #expect(refusal(9, " ") == "信访人姓名")
        #expect(throws: ValidationFailure.self) { try Ledger.columns(["收件时间", "摘要"]) }
        #expect(Ledger.column(forField: "petitioners.0.idNumber") == "证件号码")
    }
}
