import Foundation
import XinfangCore
import XinfangStore

extension DashboardPages {
    /// The case, its deadlines, flags, conflicts, its path through the levels, and a form for
    /// each thing this node may do.
    func casePage(
        _ view: CaseView,
        events: [CaseEvent],
        message: String?,
        error: String?,
        permissions: Set<Permission>,
        revealed: Bool = false
    ) -> CasePage {
        let state = view.state
        let r = state.registration
        return CasePage(
            frame: frame("信访件 \(state.caseNumber)"),
            message: message,
            error: error,
            number: state.caseNumber.rawValue,
            status: state.status.label,
            flagCount: view.flags.isEmpty ? nil : view.flags.count,
            light: view.light?.rawValue ?? "none",
            lightLabel: view.light?.label ?? "已结",
            received: "\(services.database.calendar.civilDate(of: r.receivedAt))",
            ageDays: view.ageDays,
            holder: nodeName(state.holder),
            holderSince: state.holderSince.map(HTML.time) ?? "—",
            owner: nodeName(state.owner),
            summary: r.summary,
            text: r.text,
            petitioners: r.petitioners.map { Masking.name($0.name) }.joined(separator: "、"),
            contacts: revealed
                ? r.petitioners.map {
                    Contact(name: $0.name, lead: $0.isLead, mobile: $0.mobile ?? "—", idNumber: $0.idNumber ?? "—", address: $0.address ?? "—")
                } : nil,
            canReveal: !revealed && permissions.contains(.readPersonalData),
            lookupCode: revealed ? view.lookupCode : nil,
            canReissueCode: permissions.contains(.register) && PublicLookup.exclusion(of: r) == nil,
            collective: r.collective.map { Collective(batches: $0.batches, persons: $0.personVisits) },
            channel: r.channel.label,
            jointLetter: r.jointLetter,
            purpose: r.purpose.label,
            category: "\(r.category.level1) › \(r.category.level2) › \(r.category.level3)",
            region: regionName(r.issueRegion),
            registeredAt: nodeName(state.registeredAtNode),
            registered: HTML.time(state.registeredAt),
            registeredBy: r.registeredBy,
            intake: r.intake.map { Intake(kind: $0.kind.label, earlier: $0.earlierCase.rawValue, earlierHolder: nodeName($0.earlierHolder)) },
            repeats: state.repeats.map(\.rawValue),
            deadlines: deadlineRows(view),
            flags: flagTable(view.flags),
            conflicts: view.conflicts.map { c in
                ConflictRow(
                    forkSeq: c.conflict.forkSeq,
                    winner: nodeName(c.conflict.winnerOrigin),
                    loser: nodeName(c.conflict.loserOrigin),
                    branch: String(c.conflict.branch.prefix(12)),
                    losing: c.losing.map(\.label).joined(separator: "、"),
                    open: c.conflict.resolvedAt == nil,
                    decision: c.conflict.decision?.label ?? "已处理"
                )
            },
            timeline: timeline(events),
            losing: view.conflicts.flatMap(\.losing).map {
                LosingEntry(label: $0.label, origin: nodeName($0.origin), actor: $0.actor, time: HTML.time($0.at), seq: $0.seq)
            },
            forms: actionForms(view, permissions: permissions),
            caseFile: caseFileSection(state, permissions: permissions)
        )
    }

    /// Every deadline, with its light while the organ's obligation runs; an open 督办 adds its
    /// feedback date (the holder's obligation too).
    func deadlineRows(_ view: CaseView) -> [DeadlineRow] {
        let now = services.clock.now()
        let calendar = services.database.calendar
        var rows = view.deadlines.map {
            DeadlineRow(
                label: $0.label,
                dueDate: "\($0.dueDate)",
                metAt: $0.metAt.map(HTML.time) ?? "—",
                light: $0.light?.rawValue,
                lightLabel: $0.light?.label,
                daysOverdue: $0.daysOverdue > 0 ? $0.daysOverdue : nil,
                state: $0.overdue ? ($0.metAt == nil ? "未按期完成" : "逾期完成") : $0.open ? "进行中" : ($0.metAt == nil ? "已届满" : "按期完成")
            )
        }
        if let supervision = view.state.openSupervision {
            let due = supervision.feedbackDue(calendar: calendar)
            let light = DueLight.of(dueAt: due, now: now, rule: services.lights(now: now))
            let days = DueLightRule.daysOverdue(dueDate: calendar.civilDate(of: due), now: now, calendar: calendar)
            rows.append(
                DeadlineRow(
                    label: "督办反馈期限",
                    dueDate: "\(calendar.civilDate(of: due))",
                    metAt: "—",
                    light: light.rawValue,
                    lightLabel: light.label,
                    daysOverdue: days > 0 ? days : nil,
                    state: light == .red ? "未按期反馈" : "待反馈"
                )
            )
        }
        return rows
    }

    /// The chain as a timeline: who held the case when, every handoff, command and takeover.
    func timeline(_ events: [CaseEvent]) -> [TimelineEntry] {
        var entries: [TimelineEntry] = []
        var holder: NodeID?
        var state: CaseState?
        for event in events {
            if state == nil { state = try? CaseState.opened(by: event) } else { try? state?.apply(event) }
            let moved = state.map { $0.holder != holder && holder != nil } ?? false
            let kind = event.body.kind
            let detail = detail(of: event.body)
            entries.append(
                TimelineEntry(
                    cls: kind == "takeOver" || kind == "resolveConflict" ? "conflict" : moved ? "move" : event.command != nil ? "cmd" : "",
                    label: event.body.label,
                    origin: nodeName(event.origin),
                    actor: event.actor,
                    time: HTML.time(event.date),
                    seq: event.seq,
                    command: event.command.map { TimelineEntry.Command(origin: nodeName($0.origin), actor: $0.actor) },
                    detail: detail.isEmpty ? nil : detail,
                    movedTo: moved ? state.map { nodeName($0.holder) } : nil
                )
            )
            holder = state?.holder
        }
        return entries
    }

    /// The words of an event worth showing: its reason, note, opinion or text.
    func detail(of body: CaseEventBody) -> String {
        switch body {
        case .register(let r): return "登记：\(r.summary)"
        case .refuse(_, let detail): return "指令未执行：\(detail)"
        case .act(let action): return detail(of: action)
        }
    }

    func detail(of action: CaseAction) -> String {
        switch action {
        case .offer(let to, let mode, let dueAt, let note):
            return "\(mode == .assign ? "交办" : "转送")至 \(nodeName(to))" + (dueAt.map { "，期限 \(HTML.time($0))" } ?? "") + (note.map { "：\($0)" } ?? "")
        case .escalate(let to, let reason, let routing): return "上报至 \(nodeName(to))：\(reason)" + (routing.map { "（\($0)）" } ?? "")
        case .decline(let reason), .reject(let reason), .returnClosure(let reason), .terminate(let reason): return reason
        case .recall(_, let reason), .takeOver(_, let reason): return reason
        case .refuseRepeat(let earlier, let reason): return reason + (earlier.map { "（前件 \($0)）" } ?? "")
        case .extend(let days, let approver, let reason): return "延期 \(days) 天，批准人 \(approver)：\(reason)"
        case .reply(let outcome, let opinion), .decideReview(let outcome, let opinion), .decideReReview(let outcome, let opinion):
            return "\(outcome.label)：\(opinion)"
        case .evaluate(let office, let unit, let comment, let via):
            return "信访部门 \(office.label)，责任单位 \(unit.label)" + (via.map { "（\($0.label)）" } ?? "") + (comment.map { "：\($0)" } ?? "")
        case .supervise(_, let dueAt, let note): return "督办：\(note)（反馈期限 \(HTML.time(dueAt))）"
        case .supervisionFeedback(let text), .comment(let text): return text
        case .requestReview(let reason, let reviewer, let routing), .requestReReview(let reason, let reviewer, let routing):
            return reason + (reviewer.map { "（复查/复核机关 \(nodeName($0))）" } ?? "") + (routing.map { "（\($0)）" } ?? "")
        case .deliver(let on, let method, let signed, let note):
            return "\(on) \(method.label)，\(signed ? "已签收" : "拒收")" + (note.map { "：\($0)" } ?? "")
        case .hearing(let from, let to, let note): return "听证 \(from) 至 \(to)：\(note)"
        case .repeatPetition(let newCase, _): return "重复信访新件 \(newCase)"
        case .resolveConflict(let branch, let decision, let reason): return "\(decision.label)（分支 \(branch.prefix(12))…）：\(reason)"
        case .notify(let note), .verifyClosure(let note): return note ?? ""
        case .close(let report): return report ?? ""
        case .routeOut(let channel, let note): return "导入\(channel.label)" + (note.map { "：\($0)" } ?? "")
        case .accept: return ""
        case .attach(let file):
            return
                "\(file.stage.label)材料：\(file.fileName)（\(file.mediaType.label)，\(ByteCountFormatter.string(fromByteCount: Int64(file.size), countStyle: .file))）"
        case .withdrawAttachment(_, let reason): return "撤回材料：\(reason)"
        case .issueNotice(let notice): return "出具\(notice.kind.title)（\(notice.docNumber)）"
        case .reissueLookupCode: return "原查询码作废，已发放新查询码"
        case .returnToSender(let reason, let note): return "退回来件系统：\(reason.label)" + (note.map { "（\($0)）" } ?? "")
        case .serveNotice(let docNumber, let on, let method, let signed, let note):
            return "\(docNumber) 于 \(on) \(method.label)，\(signed ? "已签收" : "拒收")" + (note.map { "：\($0)" } ?? "")
        }
    }

    /// One form per action this node may take now (as holder) or send (as a command) that the
    /// signed-in role may take.
    func actionForms(_ view: CaseView, permissions: Set<Permission>) -> [ActionForm] {
        let actions = (view.allowedActions + view.commandActions.filter { !view.allowedActions.contains($0) && $0 != .repeatPetition })
            .filter {
                permissions.contains($0.permission) && $0 != .attach && $0 != .withdrawAttachment && $0 != .issueNotice
                    && $0 != .reissueLookupCode
            }
        return actions.map { action in
            ActionForm(
                label: action.label,
                isCommand: !view.allowedActions.contains(action),
                action: action.rawValue,
                number: view.state.caseNumber.rawValue,
                fields: Self.formFields(action).map(field)
            )
        }
    }

    /// The fields each action's form asks for (the flat `ActionFields` names).
    static func formFields(_ action: ActionName) -> [String] {
        switch action {
        case .offer: ["to", "mode", "dueAt", "note"]
        case .notify, .verifyClosure: ["note"]
        case .decline, .reject, .returnClosure, .terminate, .escalate, .recall, .takeOver, .requestReview, .requestReReview: ["reason"]
        case .routeOut: ["channel", "note"]
        case .returnToSender: ["returnReason", "note"]
        case .refuseRepeat: ["earlierCase", "reason"]
        case .extend: ["days", "approver", "reason"]
        case .reply, .decideReview, .decideReReview: ["outcome", "opinion"]
        case .close: ["report"]
        case .evaluate: ["officeRating", "unitRating", "via", "comment"]
        case .comment, .supervisionFeedback: ["text"]
        case .supervise: ["dueAt", "note"]
        case .resolveConflict: ["branch", "decision", "reason"]
        case .deliver: ["deliveredOn", "method", "signed", "note"]
        case .serveNotice: ["docNumber", "deliveredOn", "method", "signed", "note"]
        case .hearing: ["hearingFrom", "hearingTo", "note"]
        case .accept, .repeatPetition, .attach, .withdrawAttachment, .issueNotice, .reissueLookupCode: []
        }
    }

    /// The input for one action field.
    func field(_ name: String) -> FieldModel {
        typealias F = FieldModel
        switch name {
        case "to":
            let nodes = services.database.hierarchy?.topology.nodes.filter { $0.id != me } ?? []
            return .select("接收机关", name, nodes.map { ($0.id.rawValue, $0.name) })
        case "mode": return .select("方式", name, [("assign", "交办"), ("transfer", "转送")])
        case "outcome": return .select("处理结果", name, ReplyOutcome.allCases.map { ($0.rawValue, $0.label) })
        case "officeRating", "unitRating":
            return .select(
                name == "officeRating" ? "对信访部门" : "对责任单位",
                name,
                [("satisfied", "满意"), ("basicallySatisfied", "基本满意"), ("dissatisfied", "不满意")]
            )
        case "decision": return .select("处理", name, [("adopt", "采纳失败分支"), ("dismiss", "驳回失败分支")])
        case "channel": return .select("导入渠道", name, RouteOutChannel.allCases.map { ($0.rawValue, $0.label) })
        case "method": return .select("送达方式", name, DeliveryMethod.allCases.map { ($0.rawValue, $0.label) })
        // Staff record an evaluation taken by phone or in person; the online one is the petitioner's.
        case "returnReason": return .select("退单原因", name, SenderReturnReason.allCases.map { ($0.rawValue, $0.label) })
        case "via": return .select("评价渠道", name, [EvaluationChannel.phone, .inPerson].map { ($0.rawValue, $0.label) })
        case "signed": return .select("签收情况", name, [("true", "签收"), ("false", "拒收")])
        case "dueAt": return .input(F.Input(label: "期限", type: "date", name: name, required: true))
        case "deliveredOn": return .input(F.Input(label: "送达日期", type: "date", name: name, required: true))
        case "hearingFrom": return .input(F.Input(label: "听证开始日期", type: "date", name: name, required: true))
        case "hearingTo": return .input(F.Input(label: "听证结束日期", type: "date", name: name, required: true))
        case "days": return .input(F.Input(label: "延期天数", type: "number", name: name, min: 1, max: ActionLimits.extensionDaysMax, required: true))
        case "approver": return .input(F.Input(label: "批准人", name: name, maxlength: ActionLimits.approverLengthMax, required: true))
        case "earlierCase": return .input(F.Input(label: "前件编号", name: name, maxlength: 30))
        case "branch": return .input(F.Input(label: "失败分支首事件哈希", name: name, maxlength: 64, size: 66))
        default:
            let labels = ["note": "说明", "reason": "理由", "opinion": "处理意见", "report": "办结报告", "comment": "评价意见", "text": "内容"]
            return .area(F.Area(label: labels[name] ?? name, name: name, maxlength: 2000))
        }
    }

    // MARK: Registration

    /// 内容分类 as a three-level choice: first and second levels group the third.
    static func categoryChoice(selected: String?) -> FieldModel {
        var groups: [FieldModel.Grouped.Group] = []
        for category in ContentCategoryCatalog.all {
            let label = "\(category.level1) › \(category.level2)"
            let value = "\(category.level1)|\(category.level2)|\(category.level3)"
            let option = FieldModel.Option(value: value, text: category.level3, selected: value == selected)
            if groups.last?.label == label {
                groups[groups.count - 1].options.append(option)
            } else {
                groups.append(FieldModel.Grouped.Group(label: label, options: [option]))
            }
        }
        return FieldModel(grouped: FieldModel.Grouped(label: "内容分类", name: "category", groups: groups))
    }

    /// The registration form, with what was typed and why it was refused.
    func registerPage(values: [String: String], error: String?) -> RegisterPage {
        typealias F = FieldModel
        func v(_ name: String) -> String? { values[name] }
        let fields: [FieldModel] = [
            .select("信访形式", "channel", Channel.allCases.map { ($0.rawValue, $0.label) }, selected: v("channel")),
            .select("信访目的", "purpose", Purpose.allCases.map { ($0.rawValue, $0.label) }, selected: v("purpose")),
            Self.categoryChoice(selected: v("category")),
            FieldModel(
                search: F.Search(
                    label: "或输入关键字搜索",
                    name: "categorySearch",
                    listID: "categories",
                    value: v("categorySearch") ?? "",
                    suggestions: ContentCategoryCatalog.all.map(RegistrationForm.categoryText)
                )
            ),
            F.lineBreakField,
            .input(
                F.Input(
                    label: "问题属地（区划代码）",
                    name: "issueRegion",
                    maxlength: 12,
                    value: v("issueRegion") ?? services.identity.area.rawValue,
                    required: true
                )
            ),
            .input(F.Input(label: "收件日期", type: "date", name: "receivedAt", value: v("receivedAt"))),
            F.lineBreakField,
            .input(F.Input(label: "信访人姓名", name: "name", maxlength: 50, value: v("name"), required: true)),
            .input(F.Input(label: "证件号码", name: "idNumber", maxlength: 30, value: v("idNumber"))),
            .input(F.Input(label: "手机", name: "mobile", maxlength: 11, value: v("mobile"))),
            F.lineBreakField,
            .input(F.Input(label: "被反映人/单位", name: "respondent", maxlength: 200, value: v("respondent"))),
            .area(F.Area(label: "摘要", name: "summary", maxlength: 500, value: v("summary") ?? "", required: true)),
            .area(F.Area(label: "诉求内容", name: "text", maxlength: 20000, value: v("text") ?? "", required: true, tall: true)),
            .checkbox("涉法涉诉", "lawRelated", checked: v("lawRelated") == "true"),
            .checkbox("重大紧急", "urgent", checked: v("urgent") == "true"),
            .checkbox("涉密（不提供公开查询）", "confidential", checked: v("confidential") == "true"),
            .input(F.Input(label: "登记人", name: "registeredBy", maxlength: 50, value: v("registeredBy"), required: true)),
        ]
        return RegisterPage(frame: frame("登记"), error: error, fields: fields)
    }
}
