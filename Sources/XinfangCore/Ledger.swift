import Foundation

/// An existing case ledger (台账) as a CSV with Chinese headers, one petition a row: what
/// `xinfang import` reads. Required columns: 收件时间, 信访形式, 信访目的, 内容分类一级, 内容分类二级,
/// 内容分类三级, 问题属地, 摘要, 诉求内容, 信访人姓名, 登记人. Optional: 证件号码, 手机, 住址,
/// 被反映人, 涉及人数, 联名信, 集体访批次, 集体访人次, 重大紧急, 涉法涉诉 (是/否).
public enum Ledger {
    public static let required = ["收件时间", "信访形式", "信访目的", "内容分类一级", "内容分类二级", "内容分类三级", "问题属地", "摘要", "诉求内容", "信访人姓名", "登记人"]
    public static let optional = ["证件号码", "手机", "住址", "被反映人", "涉及人数", "联名信", "集体访批次", "集体访人次", "重大紧急", "涉法涉诉"]
    /// How far back a ledger's receipt dates may lie (a ledger holds years of history).
    public static let receivedAtPastMaxDays = 20 * 366
    /// The most rows one import takes.
    public static let rowsMax = 1_000_000

    /// The column index of every known header; refuses a ledger without a required column.
    public static func columns(_ header: [String]) throws(ValidationFailure) -> [String: Int] {
        var columns: [String: Int] = [:]
        for (i, name) in header.enumerated() {
            let key = name.trimmingWhitespace()
            if required.contains(key) || optional.contains(key) { columns[key] = i }
        }
        let missing = required.filter { columns[$0] == nil }
        guard missing.isEmpty else {
            throw ValidationFailure(code: "missing-column", field: missing[0], detail: "台账缺少必需的列：\(missing.joined(separator: "、"))。")
        }
        return columns
    }

    /// The registration of one row (not yet validated against the catalogue and limits: the store
    /// does that as for any registration). Refuses a row whose values cannot be read, naming the column.
    public static func registration(_ fields: [String], columns: [String: Int], utcOffsetSeconds: Int) throws(ValidationFailure) -> CaseRegistration {
        func value(_ name: String) -> String? {
            guard let i = columns[name], i < fields.count else { return nil }
            let v = fields[i].trimmingWhitespace()
            return v.isEmpty ? nil : v
        }
        func need(_ name: String) throws(ValidationFailure) -> String {
            guard let v = value(name) else { throw .missing(name) }
            return v
        }
        func yes(_ name: String) throws(ValidationFailure) -> Bool {
            switch value(name) {
            case nil, "否", "0", "N", "n": return false
            case "是", "1", "Y", "y": return true
            default: throw .invalid(name, "\(name) 只能填 是 或 否。")
            }
        }
        func number(_ name: String) throws(ValidationFailure) -> Int? {
            guard let raw = value(name) else { return nil }
            guard let n = Int(raw) else { throw .invalid(name, "\(name) 必须是整数。") }
            return n
        }
        let channels: [String: Channel] = ["来信": .letter, "来访": .visit, "来电": .phone, "网上信访": .online, "网信": .online]
        let purposes: [String: Purpose] = ["申诉": .appeal, "求决": .request, "意见建议": .suggestion, "揭发控告": .accusation, "其他": .other]
        guard let channel = channels[try need("信访形式")] else { throw .invalid("信访形式", "信访形式只能是 来信、来访、来电 或 网上信访。") }
        guard let purpose = purposes[try need("信访目的")] else { throw .invalid("信访目的", "信访目的只能是 申诉、求决、意见建议、揭发控告 或 其他。") }
        let received = try need("收件时间")
        guard let receivedAt = parseTime(received, utcOffsetSeconds: utcOffsetSeconds) else {
            throw .invalid("收件时间", "收件时间必须是 YYYY-MM-DD 或 YYYY-MM-DD HH:mm。")
        }
        var collective: CollectiveVisit?
        if let batches = try number("集体访批次") {
            guard let persons = try number("集体访人次") else { throw .missing("集体访人次") }
            collective = CollectiveVisit(batches: batches, personVisits: persons)
        }
        let petitioner = Petitioner(
            name: try need("信访人姓名"),
            idType: value("证件号码") == nil ? nil : .residentIdentityCard,
            idNumber: value("证件号码"),
            mobile: value("手机"),
            address: value("住址"),
            isLead: true
        )
        return CaseRegistration(
            channel: channel,
            jointLetter: try yes("联名信"),
            collective: collective,
            petitioners: [petitioner],
            personsInvolved: try number("涉及人数"),
            purpose: purpose,
            category: ContentCategory(try need("内容分类一级"), try need("内容分类二级"), try need("内容分类三级")),
            issueRegion: RegionCode(rawValue: try need("问题属地")),
            summary: try need("摘要"),
            text: try need("诉求内容"),
            respondent: value("被反映人"),
            receivedAt: receivedAt,
            registeredBy: try need("登记人"),
            urgent: try yes("重大紧急"),
            lawRelated: try yes("涉法涉诉")
        )
    }

    /// `YYYY-MM-DD` (the start of that day) or `YYYY-MM-DD HH:mm`, at the given UTC offset.
    static func parseTime(_ text: String, utcOffsetSeconds: Int) -> Date? {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard (1...2).contains(parts.count), let day = CivilDate(iso: String(parts[0])) else { return nil }
        var seconds = 0
        if parts.count == 2 {
            let hm = parts[1].split(separator: ":")
            guard hm.count == 2, let h = Int(hm[0]), let m = Int(hm[1]), (0...23).contains(h), (0...59).contains(m) else { return nil }
            seconds = h * 3600 + m * 60
        }
        return day.startOfDay(utcOffsetSeconds: utcOffsetSeconds).addingTimeInterval(Double(seconds))
    }

    /// The ledger column a registration field comes from, for the report of refused rows.
    public static func column(forField field: String?) -> String {
        guard let field else { return "" }
        let names: [(String, String)] = [
            ("receivedAt", "收件时间"), ("channel", "信访形式"), ("purpose", "信访目的"), ("category", "内容分类"), ("issueRegion", "问题属地"),
            ("summary", "摘要"), ("text", "诉求内容"), ("registeredBy", "登记人"), ("respondent", "被反映人"), ("personsInvolved", "涉及人数"),
            ("jointLetter", "联名信"), ("collective.batches", "集体访批次"), ("collective.personVisits", "集体访人次"), ("collective", "集体访批次"),
            ("petitioners.0.name", "信访人姓名"), ("petitioners.0.idNumber", "证件号码"), ("petitioners.0.mobile", "手机"), ("petitioners.0.address", "住址"),
        ]
        return names.first { $0.0 == field }?.1 ?? field
    }
}
