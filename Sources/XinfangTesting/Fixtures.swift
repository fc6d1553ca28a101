public import Foundation
public import XinfangCore

/// Builders of valid input, so that each test states only what it is about.
public enum Fixtures {
    public static let county = NodeID("430102")
    public static let city = NodeID("430100")
    public static let province = NodeID("430000")
    public static let otherCounty = NodeID("430104")

    /// An instant from an ISO 8601 text; traps on a typo in the test.
    public static func instant(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        guard let date = formatter.date(from: text) else { preconditionFailure("bad ISO 8601 literal \(text)") }
        return date
    }

    public static func day(_ text: String) -> CivilDate {
        guard let date = CivilDate(iso: text) else { preconditionFailure("bad date literal \(text)") }
        return date
    }

    /// A valid mainland ID number with the given region, birth date and sequence.
    public static func idNumber(region: String = "430102", birth: String = "19800101", sequence: String = "901") -> String {
        let first17 = region + birth + sequence
        return first17 + String(MainlandIDNumber.checkCharacter(for: first17)!)
    }

    public static func petitioner(name: String = "张伟", lead: Bool = true) -> Petitioner {
        Petitioner(name: name, idType: .residentIdentityCard, idNumber: idNumber(), mobile: "13800138000", address: "长沙市芙蓉区", isLead: lead)
    }

    /// A valid registration of a wage-arrears petition in 芙蓉区.
    public static func registration(
        receivedAt: Date,
        region: String = "430102",
        channel: Channel = .visit,
        summary: String = "反映拖欠工资"
    ) -> CaseRegistration {
        CaseRegistration(
            channel: channel,
            petitioners: [petitioner()],
            purpose: .request,
            category: ContentCategory("劳动和社会保障", "劳动关系", "拖欠农民工工资"),
            issueRegion: RegionCode(rawValue: region),
            summary: summary,
            text: "某公司拖欠本人三个月工资共计21000元，请求督促支付。",
            respondent: "长沙某公司",
            receivedAt: receivedAt,
            registeredBy: "李娜"
        )
    }

    /// The JSON body of a valid registration through the API.
    public static func registrationJSON(region: String = "430102", summary: String = "反映拖欠工资") -> String {
        """
        {"channel":"visit","petitioners":[{"name":"张伟","idType":"residentIdentityCard","idNumber":"\(idNumber())","mobile":"13800138000","isLead":true}],
         "purpose":"request","category":{"level1":"劳动和社会保障","level2":"劳动关系","level3":"拖欠农民工工资"},
         "issueRegion":"\(region)","summary":"\(summary)","text":"某公司拖欠本人三个月工资，请求督促支付。","registeredBy":"李娜"}
        """
    }
}
