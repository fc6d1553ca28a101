import Foundation

/// What a notice says, built from the case (pure): the data its template lays out. Every text is
/// plain; the template escapes it. Deadlines are computed on the node's calendar; a window that
/// runs from the petitioner's receipt is stated as the law states it (收到之日起).
public struct NoticeDraft: Sendable {
    public struct Paragraph: Sendable {
        public var heading: String?
        public var text: String
    }

    public var kind: String
    public var title: String
    public var organ: String
    public var docNumber: String
    public var caseNumber: String
    /// To whom: the petitioners (their names), or the receiving organ of a form.
    public var addressee: String
    public var paragraphs: [Paragraph]
    public var basis: String
    public var remedies: [String]
    /// The date in words, e.g. 2026年12月2日.
    public var issuedOn: String
    public var copyTo: String?

    static func words(_ date: CivilDate) -> String { "\(date.year)年\(date.month)月\(date.day)日" }

    /// The draft of `kind` for the case as it stands, issued by `organ` on `issuedOn`.
    public static func make(
        _ kind: NoticeKind,
        state: CaseState,
        organ: NodeID,
        docNumber: String,
        issuedOn: CivilDate,
        calendar: DeadlineCalendar,
        topology: Topology?,
        lookupCode: String? = nil
    ) -> NoticeDraft {
        let c = Composer(state: state, organ: organ, calendar: calendar, topology: topology)
        var draft = NoticeDraft(
            kind: kind.rawValue,
            title: kind.title,
            organ: c.name(organ),
            docNumber: docNumber,
            caseNumber: state.caseNumber.rawValue,
            addressee: c.petitioners,
            paragraphs: [],
            basis: "",
            remedies: [],
            issuedOn: words(issuedOn)
        )
        switch kind {
        case .acceptance, .nonAcceptance, .noFurtherAcceptance, .extensionNotice: c.intake(kind, into: &draft)
        case .handlingOpinion, .reviewOpinion, .reReviewOpinion: c.opinion(kind, into: &draft)
        case .transferForm, .assignForm: c.form(kind, into: &draft)
        }
        if kind == .acceptance, let lookupCode {
            // 查询码 (domain rules R56): printed on the 受理告知书 for the petitioner to follow the case.
            draft.paragraphs.append(
                Paragraph(
                    heading: nil,
                    text: "你（们）可凭查询码 \(lookupCode) 和手机号码或证件号码后四位，在本机关信访事项办理进度查询页面查询办理进度，并在办结后对办理情况作出评价。查询码请妥善保管。"
                )
            )
        }
        return draft
    }

    /// The case's facts in an officer's words, and the paragraphs of each kind.
    struct Composer {
        let state: CaseState
        let organ: NodeID
        let calendar: DeadlineCalendar
        let topology: Topology?

        var r: CaseRegistration { state.registration }
        var petitioners: String { r.petitioners.map(\.name).joined(separator: "、") }
        var received: String { words(calendar.civilDate(of: state.receivedAt)) }
        var matter: String { "你（们）于\(received)以\(r.channel.label)形式反映的“\(r.summary)”（信访件编号 \(state.caseNumber.rawValue)）" }

        func name(_ id: NodeID?) -> String { id.map { topology?.node($0)?.name ?? $0.rawValue } ?? "上一级机关" }
        func due(_ kind: DeadlineKind) -> String? { state.deadlines(calendar: calendar).last { $0.kind == kind }.map { words($0.dueDate) } }
        /// The level above the organ, passing over an accused organ as the review routing does.
        func above(_ node: NodeID) -> String {
            guard let topology, let parent = topology.parent(of: node) else { return "上一级机关" }
            return name(AccusedOrgan.route(to: parent, for: state, topology: topology, stage: "")?.node ?? parent)
        }

        func intake(_ kind: NoticeKind, into draft: inout NoticeDraft) {
            func say(_ text: String) { draft.paragraphs.append(Paragraph(heading: nil, text: text)) }
            switch kind {
            case .acceptance:
                say("\(matter)已收悉。经审查，该事项属于本机关职责范围，本机关决定予以受理。")
                say("本机关将自受理之日起60日内\(due(.handling).map { "（即\($0)前）" } ?? "")办结并书面答复你（们）；情况复杂的，经本机关负责人批准，可以适当延长办理期限，延长期限不超过30日，并将延期理由告知你（们）。")
                draft.basis = "《信访工作条例》第二十三条、第三十四条"
            case .nonAcceptance:
                say("\(matter)已收悉。经审查，\(state.disposal?.reason ?? "该事项不属于信访事项受理范围")。")
                say("依照规定，本机关对该信访事项不予受理。")
                draft.basis = "《信访工作条例》第二十三条"
                draft.remedies = ["对依法应当通过诉讼、仲裁、行政复议等法定途径解决的事项，请依照有关法律、行政法规规定的程序向有关机关提出。"]
            case .noFurtherAcceptance:
                let earlier = state.disposal?.earlierCase.map { "（原信访件编号 \($0.rawValue)）" } ?? ""
                say("\(matter)已收悉。经审查，该事项已依法作出处理并经复查、复核\(earlier)，\(state.disposal?.reason ?? "你（们）以同一事实和理由再次提出")。")
                say("依照规定，各级机关对该信访事项不再受理。对你（们）生活确有困难的，有关部门将依法做好疏导教育、帮扶救助等工作。")
                draft.basis = "《信访工作条例》第三十六条第三款、第三十七条"
            default:
                let ext = state.extension_
                say("\(matter)，本机关已于\(state.acceptedAt.map { words(calendar.civilDate(of: $0)) } ?? "此前")受理。")
                say(
                    "因\(ext?.reason ?? "情况复杂")，经本机关负责人\(ext.map { "（\($0.approver)）" } ?? "")批准，办理期限延长\(ext?.days ?? 30)日，本机关将于\(due(.handling) ?? "延长后的期限内")前作出书面答复。"
                )
                draft.basis = "《信访工作条例》第三十四条"
            }
        }

        func opinion(_ kind: NoticeKind, into draft: inout NoticeDraft) {
            func say(_ text: String, _ heading: String) { draft.paragraphs.append(Paragraph(heading: heading, text: text)) }
            let stage = kind == .handlingOpinion ? nil : (kind == .reviewOpinion ? state.review : state.reReview)
            let opinion = kind == .handlingOpinion ? state.reply : stage?.decision
            say(petitioners, "信访人")
            say(r.summary, "信访事项")
            if let stage { say(stage.reason, kind == .reviewOpinion ? "复查请求" : "复核请求") } else { say(r.text, "信访请求及事实理由") }
            say(opinion?.text ?? "", kind == .handlingOpinion ? "处理意见" : (kind == .reviewOpinion ? "复查意见" : "复核意见"))
            say("\(opinion?.outcome.label ?? "")。", "处理结果")
            switch kind {
            case .handlingOpinion:
                draft.basis = "《信访工作条例》第三十二条、第三十四条"
                draft.remedies = ["如对本处理意见不服，可以自收到本意见书之日起30日内，向\(above(organ))书面请求复查。"]
            case .reviewOpinion:
                draft.basis = "《信访工作条例》第三十五条"
                draft.remedies = ["如对本复查意见不服，可以自收到本意见书之日起30日内，向\(above(organ))书面请求复核。"]
            default:
                draft.basis = "《信访工作条例》第三十六条"
                draft.remedies = ["本复核意见为该信访事项的最终意见。信访人对复核意见不服，仍以同一事实和理由提出信访事项的，各级机关不再受理。"]
            }
        }

        func form(_ kind: NoticeKind, into draft: inout NoticeDraft) {
            func say(_ text: String) { draft.paragraphs.append(Paragraph(heading: nil, text: text)) }
            let to = state.pendingOffer?.to ?? state.assignment?.handler
            let dueAt = state.pendingOffer?.dueAt ?? state.assignment?.dueAt
            draft.addressee = name(to)
            let verb = kind == .transferForm ? "转送" : "交办"
            say("现将\(petitioners)于\(received)以\(r.channel.label)形式反映的“\(r.summary)”信访事项（信访件编号 \(state.caseNumber.rawValue)）\(verb)你单位，请依法办理。")
            say("请自收到之日起15日内书面告知信访人是否受理；如认为不属于你单位职责范围，请自收到之日起5个工作日内提出异议并说明理由。")
            if kind == .assignForm {
                say("请于\(dueAt.map { words(calendar.civilDate(of: $0)) } ?? "规定期限")前将办理结果报送本机关，并提交办结报告。")
                draft.basis = "《信访工作条例》第二十二条第一款第三项、第二十三条"
            } else {
                draft.basis = "《信访工作条例》第二十二条、第二十三条"
            }
            if r.purpose == .accusation {
                draft.copyTo = "本件为检举控告类事项，请注意保密，不得将检举控告材料及有关情况透露或者转给被检举控告的人员和单位。"
            }
        }
    }
}
