public import Foundation

/// How a petition arrived (信访形式).
public enum Channel: String, Codable, Sendable, CaseIterable {
    case letter  // 来信
    case visit  // 来访
    case phone  // 来电
    case online  // 网上信访
}

/// What the petitioner wants (信访目的).
public enum Purpose: String, Codable, Sendable, CaseIterable {
    case appeal  // 申诉
    case request  // 求决
    case suggestion  // 意见建议
    case accusation  // 揭发控告
    case other  // 其他
}

/// The kind of identity document a petitioner shows (证件类型).
public enum IDType: String, Codable, Sendable, CaseIterable {
    case residentIdentityCard  // 居民身份证
    case passport  // 护照
    case hongKongMacaoPermit  // 港澳居民来往内地通行证
    case taiwanPermit  // 台湾居民来往大陆通行证
    case foreignPermanentResident  // 外国人永久居留身份证
    case other
}

/// One petitioner (信访人) of a case.
public struct Petitioner: Codable, Equatable, Sendable {
    public var name: String
    public var idType: IDType?
    public var idNumber: String?
    public var mobile: String?
    public var address: String?
    /// 主访人: the lead petitioner (or one of the elected representatives of a collective visit).
    public var isLead: Bool
    /// The ID number, mobile and address sealed (the plaintext fields are then nil).
    public var sealed: SealedValue?
    /// Their masked forms, beside the sealed value.
    public var masked: MaskedContact?
    /// The keyed match hashes (see `PersonalDataProtector.matchKeys`).
    public var matchKeys: [String]?

    public init(name: String, idType: IDType? = nil, idNumber: String? = nil, mobile: String? = nil, address: String? = nil, isLead: Bool = false) {
        self.name = name
        self.idType = idType
        self.idNumber = idNumber
        self.mobile = mobile
        self.address = address
        self.isLead = isLead
    }
}

/// The counts of a collective visit (集体访): groups (批) and persons (人次).
public struct CollectiveVisit: Codable, Equatable, Sendable {
    public var batches: Int
    public var personVisits: Int
    public init(batches: Int, personVisits: Int) {
        self.batches = batches
        self.personVisits = personVisits
    }
}

/// What a registrar records when a petition arrives (登记): the first event of every case.
///
/// Build it with `validated(…)`, which refuses bad input field by field; the stored value is then
/// canonical (trimmed texts, upper-case ID check characters, 6-digit region codes).
public struct CaseRegistration: Codable, Equatable, Sendable {
    public var channel: Channel
    /// 联名信: a letter signed by several petitioners.
    public var jointLetter: Bool
    public var collective: CollectiveVisit?
    public var petitioners: [Petitioner]
    /// 涉及人数: how many people the matter concerns.
    public var personsInvolved: Int?
    public var purpose: Purpose
    public var category: ContentCategory
    /// 问题属地: where the matter arose.
    public var issueRegion: RegionCode
    public var summary: String
    public var text: String
    /// 被反映人/单位.
    public var respondent: String?
    /// The node whose organisation a 检举控告 complains about: its users never see the case.
    public var respondentNode: NodeID?
    /// When the petition was received (the statutory periods count from here).
    public var receivedAt: Date
    /// The registrar (登记人).
    public var registeredBy: String
    /// 重大紧急.
    public var urgent: Bool
    /// 涉法涉诉.
    public var lawRelated: Bool
    /// Earlier cases of the same matter (重复信访 links).
    public var linkedCases: [CaseNumber]
    /// What the intake found about an earlier case of the same petitioner and matter; set by the
    /// registering node, never taken from a client.
    public var intake: IntakeFinding?
    /// 涉密: marked confidential at registration; the public lookup never serves it.
    public var confidential: Bool?
    /// The 查询码 issued at registration (its digest and the sealed code); set by the registering
    /// node, never taken from a client.
    public var lookup: LookupSeal?
    /// The system that handed the petition over through the intake API, and its own id of it.
    public var source: IntakeSource?

    public init(
        channel: Channel,
        jointLetter: Bool = false,
        collective: CollectiveVisit? = nil,
        petitioners: [Petitioner],
        personsInvolved: Int? = nil,
        purpose: Purpose,
        category: ContentCategory,
        issueRegion: RegionCode,
        summary: String,
        text: String,
        respondent: String? = nil,
        receivedAt: Date,
        registeredBy: String,
        urgent: Bool = false,
        lawRelated: Bool = false,
        linkedCases: [CaseNumber] = []
    ) {
        self.channel = channel
        self.jointLetter = jointLetter
        self.collective = collective
        self.petitioners = petitioners
        self.personsInvolved = personsInvolved
        self.purpose = purpose
        self.category = category
        self.issueRegion = issueRegion
        self.summary = summary
        self.text = text
        self.respondent = respondent
        self.receivedAt = receivedAt
        self.registeredBy = registeredBy
        self.urgent = urgent
        self.lawRelated = lawRelated
        self.linkedCases = linkedCases
    }
}

/// The limits on a registration, named so that the API documents the same numbers.
public enum RegistrationLimits {
    public static let petitionersMax = 200
    public static let representativesMax = 5
    public static let nameLengthMax = 50
    public static let addressLengthMax = 200
    public static let summaryLengthMax = 500
    public static let textLengthMax = 20_000
    public static let respondentLengthMax = 200
    public static let registrarLengthMax = 50
    public static let linkedCasesMax = 50
    public static let personsInvolvedMax = 100_000
    public static let collectiveBatchesMax = 1_000
    public static let collectivePersonsMax = 100_000
    /// How far back a receipt date may lie (a letter found in a drawer still counts, but not a typo'd year).
    public static let receivedAtPastMaxDays = 366
}

extension CaseRegistration {
    /// Validates and canonicalises a registration; `now` bounds the receipt time.
    public func validated(
        now: Date,
        receivedAtPastMaxDays: Int = RegistrationLimits.receivedAtPastMaxDays
    ) throws(ValidationFailure) -> CaseRegistration {
        var r = self
        guard !petitioners.isEmpty else { throw .missing("petitioners") }
        guard petitioners.count <= RegistrationLimits.petitionersMax else {
            throw .invalid("petitioners", "信访人最多 \(RegistrationLimits.petitionersMax) 人。")
        }
        for (i, p) in petitioners.enumerated() {
            r.petitioners[i] = try p.validated(field: "petitioners.\(i)")
        }
        r.issueRegion = try RegionCode.validated(issueRegion.rawValue, field: "issueRegion")
        r.summary = try Check.text(summary, field: "summary", max: RegistrationLimits.summaryLengthMax)
        r.text = try Check.text(text, field: "text", max: RegistrationLimits.textLengthMax)
        r.respondent = try Check.optionalText(respondent, field: "respondent", max: RegistrationLimits.respondentLengthMax)
        r.registeredBy = try Check.text(registeredBy, field: "registeredBy", max: RegistrationLimits.registrarLengthMax)
        try r.checkBounds()
        guard receivedAt <= now.addingTimeInterval(300) else {
            throw .invalid("receivedAt", "收件时间不能晚于当前时间。")
        }
        guard receivedAt >= now.addingTimeInterval(-Double(receivedAtPastMaxDays) * 86_400) else {
            throw .invalid("receivedAt", "收件时间不能早于 \(receivedAtPastMaxDays) 天前。")
        }
        return r
    }

    /// The bounds every stored registration keeps, whoever made it (this node's API, an import, a
    /// peer's packet): counts, lengths, the category table, the channel rules. Checked without
    /// changing anything, so a sealed registration (personal data boxed) passes as it is.
    public func checkBounds() throws(ValidationFailure) {
        typealias L = RegistrationLimits
        if jointLetter, channel != .letter {
            throw .invalid("jointLetter", "只有来信（letter）可以标记为联名信。")
        }
        if let collective {
            guard channel == .visit else { throw .invalid("collective", "只有来访（visit）可以登记为集体访。") }
            guard (1...L.collectiveBatchesMax).contains(collective.batches) else {
                throw .invalid("collective.batches", "批次必须在 1 到 \(L.collectiveBatchesMax) 之间。")
            }
            guard (2...L.collectivePersonsMax).contains(collective.personVisits) else {
                throw .invalid("collective.personVisits", "集体访人次必须在 2 到 \(L.collectivePersonsMax) 之间。")
            }
        }
        guard !petitioners.isEmpty else { throw .missing("petitioners") }
        guard petitioners.count <= L.petitionersMax else { throw .invalid("petitioners", "信访人最多 \(L.petitionersMax) 人。") }
        if collective != nil, petitioners.filter(\.isLead).count > L.representativesMax {
            throw ValidationFailure(
                code: "too-many-representatives",
                field: "petitioners",
                detail: "集体访推选的代表不得超过 \(L.representativesMax) 人（《信访工作条例》第二十条）。"
            )
        }
        for (i, p) in petitioners.enumerated() {
            try Check.bounded(p.name, field: "petitioners.\(i).name", max: L.nameLengthMax)
            try Check.bounded(p.address, field: "petitioners.\(i).address", max: L.addressLengthMax, optional: true)
        }
        if let n = personsInvolved, !(1...L.personsInvolvedMax).contains(n) {
            throw .invalid("personsInvolved", "涉及人数必须在 1 到 \(L.personsInvolvedMax) 之间。")
        }
        guard ContentCategoryCatalog.contains(category) else {
            throw ValidationFailure(
                code: "unknown-category",
                field: "category",
                detail: "内容分类不在分类表中：\(category.level1)/\(category.level2)/\(category.level3)。"
            )
        }
        _ = try RegionCode.validated(issueRegion.rawValue, field: "issueRegion")
        try Check.bounded(summary, field: "summary", max: L.summaryLengthMax)
        try Check.bounded(text, field: "text", max: L.textLengthMax)
        try Check.bounded(respondent, field: "respondent", max: L.respondentLengthMax, optional: true)
        try Check.bounded(registeredBy, field: "registeredBy", max: L.registrarLengthMax)
        guard linkedCases.count <= L.linkedCasesMax else { throw .invalid("linkedCases", "关联信访件最多 \(L.linkedCasesMax) 件。") }
        for (i, c) in linkedCases.enumerated() {
            _ = try CaseNumber.validated(c.rawValue, field: "linkedCases.\(i)")
        }
        if let lookup { _ = try lookup.checked() }
        if let source { _ = try source.checked() }
        let seconds = receivedAt.timeIntervalSince1970
        guard seconds.isFinite, seconds >= 946_684_800, seconds < 4_133_980_800 else {
            throw .invalid("receivedAt", "收件时间超出允许的年份范围。")
        }
    }

    /// The lead petitioner, or the first one.
    public var leadPetitioner: Petitioner? { petitioners.first(where: \.isLead) ?? petitioners.first }
}

extension Petitioner {
    func validated(field: String) throws(ValidationFailure) -> Petitioner {
        typealias L = RegistrationLimits
        var p = self
        p.name = try Check.text(name, field: "\(field).name", max: L.nameLengthMax)
        p.address = try Check.optionalText(address, field: "\(field).address", max: L.addressLengthMax)
        if let number = Check.nonEmpty(idNumber) {
            let type = idType ?? .residentIdentityCard
            p.idType = type
            switch type {
            case .residentIdentityCard:
                p.idNumber = try MainlandIDNumber.validated(number, field: "\(field).idNumber")
            default:
                guard number.count <= 30, number.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
                    throw ValidationFailure(code: "invalid-id-number", field: "\(field).idNumber", detail: "证件号码只能包含字母和数字，最多 30 位。")
                }
                p.idNumber = number.uppercased()
            }
        } else {
            if idType != nil { throw .missing("\(field).idNumber") }
            p.idNumber = nil
        }
        if let mobile = Check.nonEmpty(mobile) {
            let digits = Array(mobile.utf8)
            guard digits.count == 11, digits[0] == UInt8(ascii: "1"), (UInt8(ascii: "3")...UInt8(ascii: "9")).contains(digits[1]),
                digits.allSatisfy({ $0 >= 48 && $0 <= 57 })
            else {
                throw ValidationFailure(code: "invalid-mobile", field: "\(field).mobile", detail: "手机号码必须是 11 位数字，以 13–19 开头。")
            }
            p.mobile = mobile
        } else {
            p.mobile = nil
        }
        return p
    }
}

extension Check {
    /// Refuses a text that is empty (unless `optional`), longer than `max`, or not trimmed: a
    /// stored value is always in the form `text(_:field:max:)` makes.
    static func bounded(_ value: String?, field: String, max: Int, optional: Bool = false) throws(ValidationFailure) {
        guard let value else {
            if optional { return }
            throw .missing(field)
        }
        guard !value.isEmpty else { throw .missing(field) }
        guard value.count <= max else { throw .tooLong(field, max: max) }
        guard value.trimmingWhitespace() == value else { throw .invalid(field, "字段 \(field) 的首尾不能有空白。") }
        try TextRule.check(value, field: field)
    }

    static func nonEmpty(_ value: String?) -> String? {
        let trimmed = (value ?? "").trimmingWhitespace()
        return trimmed.isEmpty ? nil : trimmed
    }
}

extension Channel {
    /// The name officers use (信访形式).
    public var label: String {
        switch self {
        case .letter: "来信"
        case .visit: "来访"
        case .phone: "来电"
        case .online: "网上信访"
        }
    }
}

extension Purpose {
    /// The name officers use (信访目的).
    public var label: String {
        switch self {
        case .appeal: "申诉"
        case .request: "求决"
        case .suggestion: "意见建议"
        case .accusation: "揭发控告"
        case .other: "其他"
        }
    }
}
