import Foundation
import XinfangCore

/// Seeds a demo store with realistic, clearly synthetic petitions (domain rules §6): HR and
/// social-security matters, plausible names, valid ID numbers whose sequence part is 9xx, and
/// mobiles in the 13800 test block. Deterministic: the same seed gives the same cases.
struct DemoSeeder {
    let now: Date
    var rng = SeededRandom(seed: 430102)

    init(now: Date) {
        self.now = now
    }

    struct Template {
        var category: ContentCategory
        var purpose: Purpose
        var summary: String
        var text: String
        var respondent: String?
        var routeOut: RouteOutChannel? = nil
    }

    static let templates: [Template] = [
        Template(
            category: .init("劳动和社会保障", "劳动关系", "拖欠农民工工资"),
            purpose: .request,
            summary: "反映安置房项目拖欠农民工工资",
            text: "本人于2025年3月至12月在芙蓉区某安置房项目从事木工，包工头以工程款未结算为由拖欠工资共计38600元，多次讨要未果，请求督促用人单位支付。",
            respondent: "湖南某建设工程有限公司"
        ),
        Template(
            category: .init("劳动和社会保障", "城镇职工社会保险", "职工养老保险"),
            purpose: .request,
            summary: "反映原单位养老保险断缴，请求补缴",
            text: "本人在原企业工作期间，单位2016年至2018年未足额缴纳养老保险，导致缴费年限不足15年，请求责令补缴。",
            respondent: "长沙某机械厂"
        ),
        Template(
            category: .init("劳动和社会保障", "退休政策及待遇", "病退及提前退休人员待遇"),
            purpose: .appeal,
            summary: "申请特殊工种提前退休未获批准",
            text: "本人从事井下作业累计9年，年满55周岁，申请特殊工种提前退休，经办机构以档案记载不全为由不予办理，请求重新认定。"
        ),
        Template(
            category: .init("军队事务", "军转干部安置", "企业军转干部"),
            purpose: .request,
            summary: "企业军转干部反映生活困难、待遇未落实",
            text: "本人1992年转业安置到企业，企业改制后待遇偏低，请求按照企业军转干部解困政策落实生活补助。"
        ),
        Template(
            category: .init("劳动和社会保障", "城镇职工社会保险", "职工工伤保险"),
            purpose: .appeal,
            summary: "对工伤认定结论不服",
            text: "本人在上班途中发生交通事故，申请工伤认定被认定为不属于工伤，本人不服，请求重新认定。",
            respondent: "区人力资源和社会保障局工伤科",
            routeOut: .administrativeReconsideration
        ),
        Template(
            category: .init("劳动和社会保障", "劳动关系", "劳动合同纠纷"),
            purpose: .request,
            summary: "未签订书面劳动合同，请求支付二倍工资",
            text: "本人在某餐饮公司工作11个月，公司一直未与本人签订书面劳动合同，离职后请求支付未签合同二倍工资。",
            respondent: "长沙某餐饮管理有限公司",
            routeOut: .laborArbitration
        ),
        Template(
            category: .init("劳动和社会保障", "城镇职工社会保险", "职工失业保险"),
            purpose: .request,
            summary: "失业保险金申领被拒",
            text: "本人被单位解除劳动合同后申领失业保险金，经办窗口称单位未办理停保手续，请求协调办理。"
        ),
        Template(
            category: .init("组织人事", "人力资源", "职称评定"),
            purpose: .appeal,
            summary: "对中级职称评审结果有异议",
            text: "本人参加2025年度工程系列中级职称评审，材料齐全、业绩达标，但评审未通过且未告知理由，请求复核评审结果。"
        ),
        Template(
            category: .init("劳动和社会保障", "退休政策及待遇", "退休金发放"),
            purpose: .request,
            summary: "反映养老金计发基数核定有误",
            text: "本人2025年退休，养老金核定时视同缴费年限未计入，导致养老金偏低，请求重新核定。"
        ),
        Template(
            category: .init("劳动和社会保障", "劳动保护", "工作时间和休息休假"),
            purpose: .request,
            summary: "反映物流公司长期加班不支付加班费",
            text: "本人在某物流公司担任分拣员，每天工作12小时，每月休息2天，公司未支付任何加班费，请求劳动保障监察介入。",
            respondent: "长沙某物流有限公司"
        ),
        Template(
            category: .init("劳动和社会保障", "城乡居民社会保险", "城乡居民养老保险"),
            purpose: .request,
            summary: "咨询城乡居民养老保险缴费档次调整",
            text: "本人想提高城乡居民养老保险缴费档次，社区称需年底统一办理，请求明确办理时间和流程。"
        ),
        Template(
            category: .init("劳动和社会保障", "退休政策及待遇", "内部退养人员待遇"),
            purpose: .request,
            summary: "企业改制职工买断工龄后待遇问题",
            text: "原国有企业改制时本人被买断工龄，现反映内退期间社保缴费中断，请求落实改制职工安置政策。",
            respondent: "原长沙某国营纺织厂"
        ),
        Template(
            category: .init("劳动和社会保障", "其他", "其他"),
            purpose: .suggestion,
            summary: "建议社保经办窗口增加周末服务",
            text: "社保经办大厅工作日排队时间长，上班族难以请假办理，建议增加周末服务时段并推广网上办理。"
        ),
        Template(
            category: .init("城乡建设", "建筑市场", "拖欠工程款"),
            purpose: .request,
            summary: "分包单位反映总包拖欠工程款导致欠薪",
            text: "本人作为劳务分包负责人，总包单位拖欠工程款约120万元，导致无法支付32名工人工资，请求协调解决。",
            respondent: "湖南某建筑集团有限公司"
        ),
    ]

    static let surnames = Array("王李张刘陈杨黄赵周吴徐孙胡朱高林何郭马罗").map(String.init)
    static let givenNames = ["建国", "秀英", "伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "秀兰", "霞", "桂英", "志强", "海燕", "红梅"]
    static let districts = ["430102", "430103", "430104", "430105", "430111", "430121"]
    static let staff = ["李娜（登记员）", "周敏（经办人）", "陈杰（科长）", "刘芳（经办人）"]

    mutating func pick<T>(_ items: [T]) -> T { items[Int(rng.next() % UInt64(items.count))] }

    mutating func person(lead: Bool) -> Petitioner {
        let district = pick(Self.districts)
        let year = 1955 + Int(rng.next() % 40)
        let month = 1 + Int(rng.next() % 12)
        let day = 1 + Int(rng.next() % 28)
        let sequence = 900 + Int(rng.next() % 100)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let first17 = "\(district)\(year)\(two(month))\(two(day))\(sequence)"
        let id = first17 + String(MainlandIDNumber.checkCharacter(for: first17)!)
        let mobile = "13800" + String(100_000 + rng.next() % 900_000)
        return Petitioner(
            name: pick(Self.surnames) + pick(Self.givenNames),
            idType: .residentIdentityCard,
            idNumber: id,
            mobile: mobile,
            address: "湖南省长沙市芙蓉区某街道\(1 + rng.next() % 200)号",
            isLead: lead
        )
    }

    /// The `index`-th synthetic registration, about a matter in `region`, received a few days ago.
    mutating func registration(index i: Int, region: String, registrar: String) -> CaseRegistration {
        let template = Self.templates[i % Self.templates.count]
        let channels: [Channel] = [.online, .letter, .visit, .phone]
        let channel = channels[i % channels.count]
        var petitioners = [person(lead: true)]
        var collective: CollectiveVisit?
        if channel == .visit && i % 5 == 2 {  // a collective visit of 12 people with 3 representatives
            petitioners += [person(lead: true), person(lead: true)]
            collective = CollectiveVisit(batches: 1, personVisits: 12)
        }
        let joint = channel == .letter && i % 3 == 1
        if joint { petitioners.append(person(lead: false)) }
        return CaseRegistration(
            channel: channel,
            jointLetter: joint,
            collective: collective,
            petitioners: petitioners,
            personsInvolved: collective?.personVisits ?? (template.summary.contains("工人") ? 32 : nil),
            purpose: template.purpose,
            category: template.category,
            issueRegion: RegionCode(rawValue: region),
            summary: template.summary,
            text: template.text,
            respondent: template.respondent,
            receivedAt: now.addingTimeInterval(-Double(i % 20) * 86_400 - Double(rng.next() % 36_000)),
            registeredBy: registrar,
            urgent: i % 11 == 0,
            lawRelated: template.routeOut != nil
        )
    }
}
