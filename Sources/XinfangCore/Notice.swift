import Foundation

/// The written notices (文书) an organ issues on a case, each when the case has reached the fact it
/// records (条例 Arts. 22, 23, 32, 34–36). Issued, a notice is frozen: its rendered bytes join the
/// case file and their hash goes into the issuing event (`NoticeRecord`).
public enum NoticeKind: String, Codable, Sendable, CaseIterable {
    case acceptance
    case nonAcceptance
    case noFurtherAcceptance
    case extensionNotice = "extension"
    case handlingOpinion
    case reviewOpinion
    case reReviewOpinion
    case transferForm
    case assignForm

    /// The title printed on the notice.
    public var title: String {
        switch self {
        case .acceptance: "信访事项受理告知书"
        case .nonAcceptance: "信访事项不予受理告知书"
        case .noFurtherAcceptance: "信访事项不再受理告知书"
        case .extensionNotice: "信访事项延期办理告知书"
        case .handlingOpinion: "信访事项处理意见书"
        case .reviewOpinion: "信访事项复查意见书"
        case .reReviewOpinion: "信访事项复核意见书"
        case .transferForm: "信访事项转送单"
        case .assignForm: "信访事项交办单"
        }
    }

    /// The stage of the case file the frozen notice is filed under.
    public var stage: AttachmentStage {
        switch self {
        case .acceptance, .nonAcceptance, .noFurtherAcceptance: .acceptance
        case .extensionNotice, .transferForm, .assignForm: .handling
        case .handlingOpinion: .reply
        case .reviewOpinion: .review
        case .reReviewOpinion: .reReview
        }
    }

    /// The written answer of a stage: its 送达 starts the petitioner's window for the next one.
    public var isWrittenAnswer: Bool { self == .handlingOpinion || self == .reviewOpinion || self == .reReviewOpinion }

    /// The handing down a form records, whoever asks: the offer pending (交办 or 转送), or for a
    /// 交办 the assignment once accepted.
    func formOccasion(in state: CaseState) -> String? {
        func key(_ date: Date) -> String { "\(rawValue)@\(Int64((date.timeIntervalSince1970 * 1000).rounded()))" }
        let mode: HandoffMode = self == .transferForm ? .transfer : .assign
        if let offer = state.pendingOffer, offer.mode == mode { return key(offer.offeredAt) }
        if mode == .assign, state.pendingOffer == nil, let assignment = state.assignment { return key(assignment.assignedAt) }
        return nil
    }

    /// A form goes with the case to the organ it is handed to: the organ handing it down issues
    /// the form, and the receiver, which holds the case by then, appends it as that organ's command.
    public var isForm: Bool { self == .transferForm || self == .assignForm }

    /// The fact the notice records, as a key (one notice of a kind per fact), when the case has
    /// reached it and `node` is the organ that issues it; nil otherwise. The holder issues every
    /// notice to the petitioner; the organ that hands the case down issues the forms.
    public func occasion(in state: CaseState, at node: NodeID) -> String? {
        func key(_ date: Date?) -> String? { date.map { "\(rawValue)@\(Int64(($0.timeIntervalSince1970 * 1000).rounded()))" } }
        switch self {
        case .transferForm, .assignForm:
            let issuer = state.pendingOffer?.from ?? state.assignment?.assigner
            return issuer == node ? formOccasion(in: state) : nil
        default:
            guard state.holder == node else { return nil }
        }
        switch self {
        case .acceptance: return key(state.acceptedAt)
        case .nonAcceptance: return state.status == .rejected ? key(state.disposal?.at) : nil
        case .noFurtherAcceptance: return state.status == .refusedRepeat ? key(state.disposal?.at) : nil
        case .extensionNotice: return key(state.extension_?.at)
        case .handlingOpinion: return key(state.reply?.at)
        case .reviewOpinion: return key(state.review?.decision?.at)
        case .reReviewOpinion: return key(state.reReview?.decision?.at)
        case .transferForm, .assignForm: return nil
        }
    }
}

/// An issued notice as the chain records it: what it is, its 文号, the hash and size of its frozen
/// bytes, and the fact it records; its 送达 once recorded.
public struct NoticeRecord: Codable, Equatable, Sendable {
    public var kind: NoticeKind
    /// 文号, e.g. 芙蓉区信〔2026〕7号: unique per organ and year.
    public var docNumber: String
    public var sha256: String
    public var size: Int
    public var occasion: String
    public var delivery: Delivery?

    public init(kind: NoticeKind, docNumber: String, sha256: String, size: Int, occasion: String, delivery: Delivery? = nil) {
        self.kind = kind
        self.docNumber = docNumber
        self.sha256 = sha256
        self.size = size
        self.occasion = occasion
        self.delivery = delivery
    }

    /// The name of its frozen file in the case file.
    public var fileName: String { "\(docNumber)\(kind.title).html" }

    /// The bounds a receiver checks.
    public func checked() throws(ValidationFailure) -> NoticeRecord {
        guard AttachmentLimits.isHash(sha256) else { throw .invalid("sha256", "文书文件的 SHA-256 须为 64 位小写十六进制数字。") }
        guard (1...(4 << 20)).contains(size) else { throw .invalid("size", "文书文件须在 1 字节到 4 MiB 之间。") }
        guard (1...60).contains(docNumber.count), !docNumber.contains("/") else { throw .invalid("docNumber", "文号须为 1 到 60 个字符。") }
        guard (1...80).contains(occasion.count) else { throw .invalid("occasion", "文书事由须为 1 到 80 个字符。") }
        return self
    }
}

/// How an organ numbers its notices: `<prefix>〔<year>〕<n>号`, n counting from 1 each year.
public enum NoticeNumbering {
    /// The prefix an organ uses when its configuration names none: its name and 信.
    public static func defaultPrefix(organName: String) -> String { "\(organName)信" }

    public static func docNumber(prefix: String, year: Int, sequence: Int) -> String { "\(prefix)〔\(year)〕\(sequence)号" }

    /// The year and sequence of a 文号 made by `docNumber`, whatever its prefix; nil for another shape.
    public static func yearAndSequence(of docNumber: String) -> (year: Int, sequence: Int)? {
        guard docNumber.hasSuffix("号"), let open = docNumber.lastIndex(of: "〔"), let close = docNumber.lastIndex(of: "〕"), open < close,
            let year = Int(docNumber[docNumber.index(after: open)..<close]),
            let sequence = Int(docNumber[docNumber.index(after: close)..<docNumber.index(before: docNumber.endIndex)])
        else { return nil }
        return (year, sequence)
    }

    /// Checks a configured prefix: 1 to 20 characters, no digits' brackets or control characters.
    public static func checkedPrefix(_ prefix: String) throws(ValidationFailure) -> String {
        guard (1...20).contains(prefix.count), !prefix.contains("〔"), !prefix.contains("〕"),
            prefix.unicodeScalars.allSatisfy({ !CharacterSet.controlCharacters.contains($0) && $0 != "/" })
        else { throw .invalid("noticePrefix", "文号前缀须为 1 到 20 个字符，不含〔〕、斜杠或控制字符。") }
        return prefix
    }
}

/// The lifecycle's rules for notices (asked by `Lifecycle.admit` where events are made).
public enum NoticeRules {
    /// A notice may be issued when the case has reached its fact at this organ, once per fact.
    static func admitIssue(_ notice: NoticeRecord, state: CaseState, node: NodeID) throws(LifecycleError) {
        // A form reaches the holder as the command of the organ that issued it (an ancestor, as
        // `CommandPolicy` checked); the holder checks the handing down it records.
        let occasion = notice.kind.isForm ? notice.kind.formOccasion(in: state) : notice.kind.occasion(in: state, at: node)
        guard let occasion else {
            throw .noticeNotDue("本件尚未到出具\(notice.kind.title)的环节，或该文书不由本机关出具。")
        }
        guard occasion == notice.occasion else { throw .noticeNotDue("\(notice.kind.title)的事由与本件当前情况不符。") }
        guard !(state.notices ?? []).contains(where: { $0.kind == notice.kind && $0.occasion == occasion }) else {
            throw .alreadyRecorded(.issueNotice)
        }
    }

    /// A notice is served once, on a day between its issue and today.
    static func admitService(
        _ docNumber: String,
        on: CivilDate,
        today: CivilDate,
        state: CaseState,
        calendar: DeadlineCalendar
    ) throws(LifecycleError) {
        guard let notice = state.notices?.first(where: { $0.docNumber == docNumber }),
            let issuedAt = state.attachments?.first(where: { $0.file.sha256 == notice.sha256 })?.at
        else { throw .noticeNotDue("本件没有文号为 \(docNumber) 的文书。") }
        guard notice.delivery == nil else { throw .alreadyRecorded(.serveNotice) }
        let issued = calendar.civilDate(of: issuedAt)
        guard on >= issued, on <= today else {
            throw .invalid(.invalid("deliveredOn", "送达日期须在文书出具之日（\(issued)）到今天（\(today)）之间。"))
        }
    }
}

extension CaseAction {
    static func issueNotice(_ f: ActionFields) throws(ValidationFailure) -> CaseAction {
        guard let size = f.size else { throw .missing("size") }
        let record = NoticeRecord(
            kind: try Self.enumValue(f.noticeKind, field: "noticeKind"),
            docNumber: try Check.text(f.docNumber, field: "docNumber", max: 60),
            sha256: try AttachmentLimits.hash(f.sha256, field: "sha256"),
            size: size,
            occasion: try Check.text(f.occasion, field: "occasion", max: 80)
        )
        return .issueNotice(try record.checked())
    }

    static func serveNotice(_ f: ActionFields) throws(ValidationFailure) -> CaseAction {
        guard let on = f.deliveredOn else { throw .missing("deliveredOn") }
        guard let signed = f.signed else { throw .missing("signed") }
        return .serveNotice(
            docNumber: try Check.text(f.docNumber, field: "docNumber", max: 60),
            on: try Self.checkedYear(on, field: "deliveredOn"),
            method: try Self.enumValue(f.method, field: "method"),
            signed: signed,
            note: try f.noteText()
        )
    }
}

extension CaseState {
    /// Folds a notice: issued, it joins the notices and its frozen bytes the case file; served,
    /// its 送达 is recorded, and a written answer's also starts the next stage's window.
    mutating func recordNotice(_ action: CaseAction, actor: String, origin: NodeID, at: Date) {
        switch action {
        case .issueNotice(let notice):
            notices = (notices ?? []) + [notice]
            let file = AttachmentRef(sha256: notice.sha256, size: notice.size, mediaType: .html, fileName: notice.fileName, stage: notice.kind.stage)
            attachments = (attachments ?? []) + [AttachedFile(file: file, addedBy: actor, origin: origin, at: at, withdrawn: nil)]
        case .serveNotice(let docNumber, let on, let method, let signed, let note):
            guard let index = notices?.firstIndex(where: { $0.docNumber == docNumber }), let notice = notices?[index] else { return }
            let delivery = Delivery(on: on, method: method, signed: signed, note: note, recordedAt: at)
            notices?[index].delivery = delivery
            guard notice.kind.isWrittenAnswer else { return }
            switch notice.kind {
            case .handlingOpinion where reply?.delivery == nil: reply?.delivery = delivery
            case .reviewOpinion where review?.decision?.delivery == nil: review?.decision?.delivery = delivery
            case .reReviewOpinion where reReview?.decision?.delivery == nil: reReview?.decision?.delivery = delivery
            default: break
            }
        default: break
        }
    }
}
