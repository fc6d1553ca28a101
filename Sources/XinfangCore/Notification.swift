public import Foundation

/// The messages a node sends (issue 18): to petitioners by SMS, to its own staff by e-mail. Which
/// event makes which message, where, is `NotificationRules`; what it says is a template
/// (`NotificationTemplates`, data a province may replace); when it may go is `QuietHours` and
/// `NotificationRetry`.
public enum NotificationKind: String, Codable, Sendable, CaseIterable {
    /// 查询码: sent when issued (at registration, or reissued) to the lead petitioner's mobile.
    case lookupCode
    /// 告知: a notice to the petitioner was issued (受理, 不予受理, 不再受理, 延期).
    case noticeIssued
    /// 答复: a written answer was issued (处理意见书, 复查意见书, 复核意见书).
    case answerIssued
    /// 评价邀请: the evaluation window opened.
    case evaluationInvitation
    /// 督办: the holder received a supervision (staff).
    case supervisionReceived
    /// 待接收: a case was offered to this node (staff).
    case offerWaiting
    /// 每日待办摘要: this unit's yellow and red obligations (staff).
    case dailyDigest
    /// 回调: a public milestone of a petition another system handed over, to that system's
    /// callback URL (signed), from the node that took the petition in.
    case callback

    public var audience: NotificationAudience {
        switch self {
        case .lookupCode, .noticeIssued, .answerIssued, .evaluationInvitation: .petitioner
        case .supervisionReceived, .offerWaiting, .dailyDigest: .staff
        case .callback: .system
        }
    }

    public var label: String {
        switch self {
        case .lookupCode: "查询码"
        case .noticeIssued: "告知书出具提醒"
        case .answerIssued: "答复意见出具提醒"
        case .evaluationInvitation: "评价邀请"
        case .supervisionReceived: "督办提醒"
        case .offerWaiting: "待接收提醒"
        case .dailyDigest: "每日待办摘要"
        case .callback: "来件系统回调"
        }
    }
}

/// Who a message is for: the petitioner (SMS to the lead petitioner's mobile, in their quiet hours
/// never) or the node's staff (e-mail to the addresses in the configuration).
public enum NotificationAudience: String, Codable, Sendable { case petitioner, staff, system }

/// A message to queue: its kind, the case, a key no other message of the node shares (a message
/// is queued once however often its event is stored or replayed), and the values its template
/// names. No personal data: the recipient is looked up when it is sent.
public struct NotificationDraft: Equatable, Sendable {
    public var kind: NotificationKind
    public var caseNumber: CaseNumber?
    public var key: String
    public var params: [String: String]

    public init(kind: NotificationKind, caseNumber: CaseNumber?, key: String, params: [String: String]) {
        self.kind = kind
        self.caseNumber = caseNumber
        self.key = key
        self.params = params
    }
}

/// Which stored event makes which message at which node. A petitioner's message is made only by
/// the node that made the event (so it goes once, not from every replica); a staff message by the
/// node the event concerns (the receiver of an offer, the holder supervised). Pure.
public enum NotificationRules {
    public static func drafts(
        for event: CaseEvent,
        after state: CaseState,
        at node: NodeID,
        organ: String,
        calendar: DeadlineCalendar,
        organName: (NodeID) -> String = { $0.rawValue }
    ) -> [NotificationDraft] {
        callback(for: event, after: state, at: node, calendar: calendar, organName: organName)
            + messages(for: event, after: state, at: node, organ: organ, calendar: calendar)
    }

    /// A petition another system handed over: its sign-for (with the earlier case when it is a
    /// repeat, 并单) and every public milestone go back to that system, from the node that took it in.
    static func callback(
        for event: CaseEvent,
        after state: CaseState,
        at node: NodeID,
        calendar: DeadlineCalendar,
        organName: (NodeID) -> String
    )
        -> [NotificationDraft]
    {
        guard let source = state.registration.source, state.registeredAtNode == node else { return [] }
        var params = [
            "caseNumber": state.caseNumber.rawValue, "system": source.system, "externalId": source.externalId,
            "date": "\(calendar.civilDate(of: event.date))", "at": "\(Int64((event.date.timeIntervalSince1970 * 1000).rounded()))",
            "status": state.status.rawValue, "statusLabel": state.status.label,
        ]
        switch event.body {
        case .register(let r):
            params["milestone"] = "签收"
            params["organ"] = organName(event.origin)
            if let finding = r.intake, finding.kind == .repeatPetition || finding.kind == .refusedRepeat {
                params["repeatOf"] = finding.earlierCase.rawValue
            }
        case .act(let action):
            guard let step = PublicLookup.step(for: action, origin: event.origin, organ: organName) else { return [] }
            params["milestone"] = step.title
            params["organ"] = step.organ
            if case .returnToSender(let reason, _) = action { params["returnReason"] = reason.rawValue }
        case .refuse:
            return []
        }
        return [NotificationDraft(kind: .callback, caseNumber: state.caseNumber, key: "callback:\(event.hash)", params: params)]
    }

    static func messages(
        for event: CaseEvent,
        after state: CaseState,
        at node: NodeID,
        organ: String,
        calendar: DeadlineCalendar
    )
        -> [NotificationDraft]
    {
        let number = state.caseNumber
        var params = ["caseNumber": number.rawValue, "organ": organ, "date": "\(calendar.civilDate(of: event.date))"]
        let made = event.origin == node
        let reachable =
            state.registration.petitioners.contains { ($0.masked?.mobile ?? $0.mobile) != nil }
            && PublicLookup.exclusion(of: state.registration) == nil
        func petitioner(_ kind: NotificationKind, _ key: String) -> [NotificationDraft] {
            made && reachable ? [NotificationDraft(kind: kind, caseNumber: number, key: key, params: params)] : []
        }
        switch event.body {
        case .register(let r):
            guard let seal = r.lookup else { return [] }
            return petitioner(.lookupCode, "lookupCode:\(seal.digest)")
        case .refuse:
            return []
        case .act(let action):
            switch action {
            case .reissueLookupCode(let seal):
                return petitioner(.lookupCode, "lookupCode:\(seal.digest)")
            case .issueNotice(let notice) where !notice.kind.isForm:
                params["title"] = notice.kind.title
                params["docNumber"] = notice.docNumber
                return petitioner(notice.kind.isWrittenAnswer ? .answerIssued : .noticeIssued, "notice:\(notice.docNumber)")
            case .close where state.assignment == nil, .verifyClosure:
                guard let due = state.evaluationDue(calendar: calendar) else { return [] }
                params["dueOn"] = "\(calendar.civilDate(of: due))"
                return petitioner(.evaluationInvitation, "evaluate:\(event.hash)")
            case .supervise(let by, let dueAt, _) where made && state.holder == node:
                params["by"] = by.rawValue
                params["dueOn"] = "\(calendar.civilDate(of: dueAt))"
                return [NotificationDraft(kind: .supervisionReceived, caseNumber: number, key: "supervise:\(event.hash)", params: params)]
            case .offer(let to, _, _, _) where to == node, .escalate(let to, _, _) where to == node:
                params["from"] = event.origin.rawValue
                return [NotificationDraft(kind: .offerWaiting, caseNumber: number, key: "offer:\(event.hash)", params: params)]
            default:
                return []
            }
        }
    }

    /// The day's digest of this unit's obligations (nil when nothing is yellow or red).
    public static func digest(on day: CivilDate, organ: String, yellow: Int, red: Int) -> NotificationDraft? {
        guard yellow + red > 0 else { return nil }
        return NotificationDraft(
            kind: .dailyDigest,
            caseNumber: nil,
            key: "digest:\(day)",
            params: ["organ": organ, "date": "\(day)", "yellow": "\(yellow)", "red": "\(red)"]
        )
    }
}

/// What a message says: an SMS text (and the template id a government SMS platform registered
/// for it), an e-mail subject and body; `{name}` is replaced by the draft's value of that name.
public struct NotificationTemplate: Codable, Equatable, Sendable {
    public var text: String
    public var subject: String?
    /// The platform's template id (短信模板编号), sent beside the values.
    public var smsTemplateId: String?

    public init(text: String, subject: String? = nil, smsTemplateId: String? = nil) {
        self.text = text
        self.subject = subject
        self.smsTemplateId = smsTemplateId
    }

    /// The text with every `{name}` replaced; a name without a value is left as it is.
    public static func fill(_ text: String, _ params: [String: String]) -> String {
        var out = ""
        var rest = text[...]
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else { break }
            let name = String(rest[rest.index(after: open)..<close])
            out += params[name] ?? "{\(name)}"
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }
}

/// The templates of every kind: built in, in Chinese, replaceable per kind by a province's file
/// (`notifications.templates` in the config, JSON `{kind: {text, subject, smsTemplateId}}`).
public struct NotificationTemplates: Sendable, Equatable {
    public var byKind: [NotificationKind: NotificationTemplate]

    public static let builtIn: [NotificationKind: NotificationTemplate] = [
        .lookupCode: NotificationTemplate(
            text: "【{organ}】您反映的信访事项已登记，编号{caseNumber}，查询码{code}。凭查询码和手机号码后四位可查询办理进度、评价办理结果。请妥善保管，勿告知他人。"
        ),
        .noticeIssued: NotificationTemplate(text: "【{organ}】您反映的信访事项（编号{caseNumber}）已于{date}出具《{title}》（{docNumber}），书面告知将依法送达，请注意查收。"),
        .answerIssued: NotificationTemplate(
            text: "【{organ}】您反映的信访事项（编号{caseNumber}）已于{date}出具《{title}》（{docNumber}），将依法送达。对意见不服的，可自收到书面答复之日起30日内请求复查或者复核。"
        ),
        .evaluationInvitation: NotificationTemplate(
            text: "【{organ}】您反映的信访事项（编号{caseNumber}）已办结。请于{dueOn}前凭查询码对信访部门和责任单位分别作出满意度评价，逾期视为超期未评价。"
        ),
        .supervisionReceived: NotificationTemplate(
            text: "信访件{caseNumber}收到{by}督办，请于{dueOn}前书面反馈办理情况。",
            subject: "【督办】信访件{caseNumber}"
        ),
        .offerWaiting: NotificationTemplate(text: "{from}向本单位交办/转送信访件{caseNumber}（{date}），请及时接收或提出异议。", subject: "【待接收】信访件{caseNumber}"),
        .dailyDigest: NotificationTemplate(
            text: "{organ}{date}待办提醒：临期（黄灯）{yellow}件，超期（红灯）{red}件。请登录信访工作平台及时办理。",
            subject: "【每日待办】{organ}{date}：黄灯{yellow}件，红灯{red}件"
        ),
        .callback: NotificationTemplate(text: "{milestone}"),
    ]

    public init(overrides: [String: NotificationTemplate] = [:]) throws(ValidationFailure) {
        var byKind = Self.builtIn
        for (name, template) in overrides {
            guard let kind = NotificationKind(rawValue: name) else {
                throw .invalid("notifications.templates", "未知的通知类型 \(name)，可选：\(NotificationKind.allCases.map(\.rawValue).joined(separator: ", "))。")
            }
            guard (1...500).contains(template.text.count), (template.subject?.count ?? 0) <= 200, (template.smsTemplateId?.count ?? 0) <= 64 else {
                throw .invalid("notifications.templates", "通知模板 \(name) 的内容须为 1 到 500 字，标题不超过 200 字。")
            }
            byKind[kind] = template
        }
        self.byKind = byKind
    }

    public func template(_ kind: NotificationKind) -> NotificationTemplate { byKind[kind] ?? Self.builtIn[kind]! }
}

/// 免打扰时段: petitioners get no message between `from` and `to` (local time of the calendar,
/// minutes after midnight; the span may cross midnight). 21:00–08:00 by default.
public struct QuietHours: Codable, Equatable, Sendable {
    public var from: String
    public var to: String

    public init(from: String = "21:00", to: String = "08:00") {
        self.from = from
        self.to = to
    }

    static func minutes(_ text: String) -> Int? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let h = Int(parts[0]), let m = Int(parts[1]), (0..<24).contains(h), (0..<60).contains(m) else { return nil }
        return h * 60 + m
    }

    public func validated() throws(ValidationFailure) -> QuietHours {
        guard Self.minutes(from) != nil, Self.minutes(to) != nil else {
            throw .invalid("notifications.quietHours", "免打扰时段须写作 HH:MM，如 21:00 和 08:00。")
        }
        return self
    }

    /// `now` itself when it lies outside the quiet span, else the span's end (civil time at
    /// `utcOffsetSeconds`, the calendar's).
    public func nextAllowed(after now: Date, utcOffsetSeconds: Int) -> Date {
        guard let from = Self.minutes(from), let to = Self.minutes(to), from != to else { return now }
        let localSeconds = now.timeIntervalSince1970 + Double(utcOffsetSeconds)
        let minute = Int((localSeconds / 60).rounded(.down)) % 1_440
        let m = minute < 0 ? minute + 1_440 : minute
        let quiet = from < to ? (m >= from && m < to) : (m >= from || m < to)
        guard quiet else { return now }
        let wait = ((to - m) + 1_440) % 1_440
        let startOfMinute = Date(timeIntervalSince1970: (now.timeIntervalSince1970 / 60).rounded(.down) * 60)
        return startOfMinute.addingTimeInterval(Double(wait) * 60)
    }
}

/// When a message that failed is tried again: `base` (30 s by default) doubling to an hour, dead
/// after `attemptsMax` (visible, and re-sent by a person).
public enum NotificationRetry {
    public static let attemptsMax = 10
    public static let baseSeconds: TimeInterval = 30

    public static func delay(afterAttempts attempts: Int, base: TimeInterval = baseSeconds) -> TimeInterval {
        min(base * pow(2, Double(min(max(attempts - 1, 0), 20))), 3_600)
    }
}

/// Where a message stands in the node's notification outbox.
public enum NotificationState: String, Codable, Sendable, CaseIterable {
    case pending
    /// Handed to the gateway; the answer not yet recorded (after a crash it is handed again with
    /// the same message id, which the gateway deduplicates).
    case sending
    case sent
    /// Failed `NotificationRetry.attemptsMax` times, or cannot be sent (no recipient); re-sent by a person.
    case dead
}
