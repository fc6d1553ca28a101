public import Foundation
public import XinfangCore

/// Builders of valid input, so that each test states only what it is about.
public enum Fixtures {
    /// A file that reads as a PDF, of `bytes` bytes after its header, made fast even in a debug
    /// build: a 64 KiB block repeated, each copy numbered, so no two blocks are alike.
    public static func largePDF(bytes: Int) -> Data {
        let block = [UInt8]((0..<65_536).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) })
        var file = Data("%PDF-1.4\n".utf8)
        file.reserveCapacity(bytes + 16)
        var copy = 0
        while file.count < bytes + 9 {
            var numbered = block
            withUnsafeBytes(of: copy) { numbered.replaceSubrange(0..<$0.count, with: $0) }
            file.append(contentsOf: numbered.prefix(bytes + 9 - file.count))
            copy += 1
        }
        return file
    }

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

    /// Person 0 is 张伟 with `idNumber()`; every other number is another person (ID and mobile).
    public static func petitioner(name: String = "张伟", lead: Bool = true, person: Int = 0) -> Petitioner {
        Petitioner(
            name: name,
            idType: .residentIdentityCard,
            idNumber: idNumber(person: person),
            mobile: mobile(person: person),
            address: "长沙市芙蓉区",
            isLead: lead
        )
    }

    /// The ID number of person `n` (0: `idNumber()`).
    public static func idNumber(person: Int) -> String {
        person == 0
            ? idNumber() : idNumber(birth: String(format: "%04d0101", 1950 + person / 1000 % 50), sequence: String(format: "%03d", person % 1000))
    }

    public static func mobile(person: Int) -> String { String(format: "138%08d", person) }

    /// A person not used before in this process: the intake treats the same person with the same
    /// matter as a repeat, so fixtures are different people unless a test says otherwise.
    public static func newPerson() -> Int { persons.next() }

    static let persons = Counter()

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func next() -> Int {
            lock.lock()
            defer { lock.unlock() }
            value += 1
            return value
        }
    }

    /// A valid registration of a wage-arrears petition in 芙蓉区.
    public static func registration(
        receivedAt: Date,
        region: String = "430102",
        channel: Channel = .visit,
        summary: String = "反映拖欠工资",
        person: Int = newPerson()
    ) -> CaseRegistration {
        CaseRegistration(
            channel: channel,
            petitioners: [petitioner(person: person)],
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
    public static func registrationJSON(region: String = "430102", summary: String = "反映拖欠工资", person: Int = newPerson()) -> String {
        """
        {"channel":"visit","petitioners":[{"name":"张伟","idType":"residentIdentityCard","idNumber":"\(idNumber(person: person))","mobile":"\(mobile(person: person))","isLead":true}],
         "purpose":"request","category":{"level1":"劳动和社会保障","level2":"劳动关系","level3":"拖欠农民工工资"},
         "issueRegion":"\(region)","summary":"\(summary)","text":"某公司拖欠本人三个月工资，请求督促支付。","registeredBy":"李娜"}
        """
    }
}

extension Fixtures {
    /// Events of one case in every form a field can take: each optional field present and
    /// absent, format 1 and 2, strings of plain ASCII and strings JSON escapes or writes as UTF-8
    /// (unsigned and with made-up signatures: for the tests of their encodings).
    public static func eventsOfEveryForm(
        of number: CaseNumber = CaseNumber(rawValue: "430102-2026-000042"),
        from firstSeq: Int = 1,
        at now: Date
    ) -> [CaseEvent] {
        let actors = [
            "li.na", "局长", #"say "hi""#, #"back\slash"#, "line\nbreak", "tab\there", "bell\u{07}", "del\u{7f}", "a/b",
            "😀", "sep\u{2028}arator", "",
        ]
        let command = CaseCommand(
            id: "cmd-1",
            caseNumber: number,
            origin: city,
            actor: "市\"督办\"员",
            action: .comment(text: "请\n尽快"),
            createdAt: now,
            format: 2
        )
        var events: [CaseEvent] = []
        for (index, actor) in actors.enumerated() {
            var event = CaseEvent(
                caseNumber: number,
                epoch: index % 3,
                seq: firstSeq + index,
                prevHash: index == 0 ? nil : events[index - 1].hash,
                origin: index % 2 == 0 ? county : city,
                time: HLCTimestamp(wallMs: Int64(now.timeIntervalSince1970 * 1000) + Int64(index), logical: Int32(index % 4)),
                actor: actor,
                body: index == 0 ? .register(registration(receivedAt: now)) : .act(.comment(text: "第\(index)条 \"意见\"")),
                command: index % 4 == 3 ? command : nil,
                format: index % 2 == 0 ? 1 : 2
            )
            event.signature = index % 5 == 4 ? nil : "c2lnbmF0dXJl/+\(index)=="
            events.append(event)
        }
        return events
    }
}
