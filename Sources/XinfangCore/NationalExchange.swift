public import Foundation

/// A case in the national field set (domain rules §4.2, `schemas/exchange-case.schema.json`): the
/// record a node reports upward to the national petition information system, under the field
/// names the national exchange uses (xfjbh, xfrq, xfxs, …). Code tables the sources leave
/// unconfirmed (信访形式, 信访件状态) carry this system's own value beside its Chinese name; the
/// schema says which.
public struct ExchangeRecord: Codable, Equatable, Sendable {
    public struct Person: Codable, Equatable, Sendable {
        public var xm: String
        public var zjlx: String?
        public var zjhm: String?
        public var sjh: String?
        public var zfrbz: Int
    }

    /// 信访件编号 and 重复信访件编号.
    public var xfjbh: String
    public var cfxfjbh: String?
    /// 信访日期 (YYYY-MM-DD), 信访形式 code and name.
    public var xfrq: String
    public var xfxs: String
    public var xfxsmc: String
    /// 信访人数, 涉及人数.
    public var xfrs: Int
    public var sjrs: Int?
    /// 登记机构代码 and 名称, 登记人, 登记时间.
    public var djjgdm: String
    public var djjgmc: String
    public var djr: String
    public var djsj: String
    /// 内容摘要, 投诉内容.
    public var nrzy: String
    public var tsnr: String
    /// 信访件状态 (this system's status) and its name.
    public var xfjzt: String
    public var xfjztmc: String
    /// 问题属地代码 (12 digits).
    public var wtsddm: String
    /// 内容分类: 一级, 二级, 三级.
    public var yjnr: String
    public var ejnr: String
    public var sjnr: String
    /// 信访目的.
    public var xfmd: String
    /// 重复信访, 复查, 复核, 办结, 审核认定办结 (0/1).
    public var cfxfbz: Int
    public var fcbz: Int
    public var fhbz: Int
    public var bjbz: Int
    public var shrdbjbz: Int
    /// 限办截止时间.
    public var xbjzsj: String?
    /// 匿名, 联名, 涉法涉诉, 重大紧急, 集体访 (0/1).
    public var nmbz: Int
    public var lmbz: Int
    public var sfssbz: Int
    public var zdjjbz: Int
    public var jtfbz: Int
    /// 信访人 (masked unless the export is for a role that reads personal data).
    public var xfr: [Person]
    /// 对信访部门、责任单位评价 (0 满意, 1 基本满意, 3 不满意), 评价时间, 评价截止时间, 评价状态
    /// (0 待评价, 1 未评价, 2 已评价, 3 超期未评价).
    public var dxfbmpj: Int?
    public var dzrdwpj: Int?
    public var pjsj: String?
    public var pjjzsj: String?
    public var pjzt: Int
    /// 来件系统 and its id (the intake API; this system's extension).
    public var lyxt: String?
    public var lyxtbh: String?
}

public enum NationalExchange {
    /// 信访形式 as this system codes it (the national table is unconfirmed, domain rules §4.2).
    public static func formCode(_ channel: Channel) -> (code: String, name: String) {
        switch channel {
        case .letter: ("100", "来信")
        case .visit: ("200", "来访")
        case .online: ("300", "网上信访")
        case .phone: ("600", "来电")
        }
    }

    /// The record of `state`; `petitioners` as the caller may see them (masked or revealed).
    public static func record(
        _ state: CaseState,
        petitioners: [Petitioner],
        organName: (NodeID) -> String,
        calendar: DeadlineCalendar,
        now: Date
    ) -> ExchangeRecord {
        let r = state.registration
        let iso = ISO8601DateFormatter()
        func flag(_ b: Bool) -> Int { b ? 1 : 0 }
        let deadlines = state.deadlines(calendar: calendar)
        let due = (deadlines.first { $0.kind == .assignment } ?? deadlines.first { $0.kind == .handling })?.dueAt
        let evaluationDue = state.evaluationDue(calendar: calendar)
        let pjzt: Int =
            if state.evaluation != nil { 2 } else if let evaluationDue, now > evaluationDue { 3 } else if evaluationDue != nil { 0 } else { 1 }
        let form = formCode(r.channel)
        let repeatOf = r.intake.flatMap { $0.kind == .skipLevel ? nil : $0.earlierCase } ?? r.linkedCases.first
        return ExchangeRecord(
            xfjbh: state.caseNumber.rawValue,
            cfxfjbh: repeatOf?.rawValue,
            xfrq: "\(calendar.civilDate(of: r.receivedAt))",
            xfxs: form.code,
            xfxsmc: form.name,
            xfrs: r.collective?.personVisits ?? r.petitioners.count,
            sjrs: r.personsInvolved,
            djjgdm: state.registeredAtNode.rawValue,
            djjgmc: organName(state.registeredAtNode),
            djr: r.registeredBy,
            djsj: iso.string(from: state.registeredAt),
            nrzy: r.summary,
            tsnr: r.text,
            xfjzt: state.status.rawValue,
            xfjztmc: state.status.label,
            wtsddm: r.issueRegion.rawValue + "000000",
            yjnr: r.category.level1,
            ejnr: r.category.level2,
            sjnr: r.category.level3,
            xfmd: r.purpose.label,
            cfxfbz: flag(repeatOf != nil),
            fcbz: flag(state.review != nil),
            fhbz: flag(state.reReview != nil),
            bjbz: flag(state.closedAt != nil),
            shrdbjbz: flag(state.closureVerifiedAt != nil),
            xbjzsj: due.map { iso.string(from: $0) },
            nmbz: flag(PublicLookup.exclusion(of: r) == .anonymous),
            lmbz: flag(r.jointLetter),
            sfssbz: flag(r.lawRelated),
            zdjjbz: flag(r.urgent),
            jtfbz: flag(r.collective != nil),
            xfr: petitioners.map {
                ExchangeRecord.Person(xm: $0.name, zjlx: $0.idType?.rawValue, zjhm: $0.idNumber, sjh: $0.mobile, zfrbz: flag($0.isLead))
            },
            dxfbmpj: state.evaluation?.office.nationalCode,
            dzrdwpj: state.evaluation?.unit.nationalCode,
            pjsj: state.evaluation.map { iso.string(from: $0.at) },
            pjjzsj: evaluationDue.map { iso.string(from: $0) },
            pjzt: pjzt,
            lyxt: r.source?.system,
            lyxtbh: r.source?.externalId
        )
    }

    /// The CSV columns, in order: every scalar field, then the lead petitioner's.
    public static let csvHeader = [
        "xfjbh", "cfxfjbh", "xfrq", "xfxs", "xfxsmc", "xfrs", "sjrs", "djjgdm", "djjgmc", "djr", "djsj", "nrzy", "tsnr", "xfjzt", "xfjztmc",
        "wtsddm", "yjnr", "ejnr", "sjnr", "xfmd", "cfxfbz", "fcbz", "fhbz", "bjbz", "shrdbjbz", "xbjzsj", "nmbz", "lmbz", "sfssbz", "zdjjbz",
        "jtfbz", "xm", "zjlx", "zjhm", "sjh", "dxfbmpj", "dzrdwpj", "pjsj", "pjjzsj", "pjzt", "lyxt", "lyxtbh",
    ]

    public static func csvRow(_ e: ExchangeRecord) -> [String] {
        let lead = e.xfr.first { $0.zfrbz == 1 } ?? e.xfr.first
        func s(_ v: Int?) -> String { v.map(String.init) ?? "" }
        return [
            e.xfjbh, e.cfxfjbh ?? "", e.xfrq, e.xfxs, e.xfxsmc, s(e.xfrs), s(e.sjrs), e.djjgdm, e.djjgmc, e.djr, e.djsj, e.nrzy, e.tsnr, e.xfjzt,
            e.xfjztmc, e.wtsddm, e.yjnr, e.ejnr, e.sjnr, e.xfmd, s(e.cfxfbz), s(e.fcbz), s(e.fhbz), s(e.bjbz), s(e.shrdbjbz), e.xbjzsj ?? "",
            s(e.nmbz), s(e.lmbz), s(e.sfssbz), s(e.zdjjbz), s(e.jtfbz), lead?.xm ?? "", lead?.zjlx ?? "", lead?.zjhm ?? "", lead?.sjh ?? "",
            s(e.dxfbmpj), s(e.dzrdwpj), e.pjsj ?? "", e.pjjzsj ?? "", s(e.pjzt), e.lyxt ?? "", e.lyxtbh ?? "",
        ]
    }
}
