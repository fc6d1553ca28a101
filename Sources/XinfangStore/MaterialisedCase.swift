import Foundation
import GRDB
import XinfangCore

/// The materialised row of a case in `cases`, column by column, by name: what the filters, the
/// lists, the backlog and the indicators read. Built from the fold of the chain (`CaseState`) and
/// the calendar. The whole state, encoded, is kept beside it in `case_states` (`json`), read only
/// for the cases a page shows or a command changes. Columns fixed at registration are written
/// once; the others are rewritten on every save.
struct MaterialisedCase: Sendable {
    /// Every column's value, in the order of `columns` (bound by position: binding 47 values by
    /// name cost more than running the statement).
    var values: [SQLValue]
    /// The case's number and its whole state, canonical JSON, for `case_states`.
    var caseNumber: String
    var json: String

    /// Every column, in the upsert's order.
    static let columns = registrationColumns + stateColumns

    /// The columns only the registration sets (a later save leaves them).
    static let registrationColumns = [
        "case_number", "registered_at", "registered_at_node", "channel", "purpose", "category_l1", "category_l2", "category_l3",
        "issue_region", "urgent", "law_related", "summary", "search_text", "skip_level", "is_repeat", "joint_letter",
        "collective_batches", "collective_persons",
    ]

    /// The columns every save rewrites.
    static let stateColumns = [
        "status", "holder", "owner", "epoch", "head_seq", "head_hash", "received_at", "next_due_kind", "next_due_at", "last_event_at",
        "is_open", "holder_since", "moves", "unit_node", "assigned_by", "supervision_due_at", "decided_at",
        "handling_due_at", "closed_at", "eval_due_at", "evaluated_at", "office_rating", "unit_rating", "respondent_node",
        "accept_due_at", "handling_met_at", "petition_received_at", "lookup_digest",
    ]

    /// The upsert, written once from the column lists.
    static let upsert: String = {
        """
        INSERT INTO cases (\(columns.joined(separator: ", ")))
        VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))
        ON CONFLICT(case_number) DO UPDATE SET \(stateColumns.map { "\($0) = excluded.\($0)" }.joined(separator: ", "))
        """
    }()

    init(_ state: CaseState, calendar: DeadlineCalendar, hierarchy: Hierarchy?, json: String) {
        let r = state.registration
        let deadlines = state.deadlines(calendar: calendar)
        let due = state.nextObligation(among: deadlines)
        let handling = deadlines.first { $0.kind == .assignment } ?? deadlines.first { $0.kind == .handling }
        let closureReportOwed = state.isBacklog && state.closedAt == nil && state.status != .offered
        let skipLevel = r.intake?.kind == .skipLevel || hierarchy?.isSkipLevel(registeredAt: state.registeredAtNode, region: r.issueRegion) == true
        let values: [String: any SQLValueConvertible] = [
            "case_number": state.caseNumber.rawValue,
            "registered_at": state.registeredAt.milliseconds,
            "registered_at_node": state.registeredAtNode.rawValue,
            "channel": r.channel.rawValue,
            "purpose": r.purpose.rawValue,
            "category_l1": r.category.level1,
            "category_l2": r.category.level2,
            "category_l3": r.category.level3,
            "issue_region": r.issueRegion.rawValue,
            "urgent": r.urgent,
            "law_related": r.lawRelated,
            "summary": r.summary,
            "search_text": ([state.caseNumber.rawValue, r.summary, r.respondent ?? ""] + r.petitioners.map(\.name)).joined(separator: " "),
            "skip_level": skipLevel,
            "is_repeat": !r.linkedCases.isEmpty || r.intake != nil,
            "joint_letter": r.jointLetter,
            "collective_batches": r.collective?.batches ?? 0,
            "collective_persons": r.collective?.personVisits ?? 0,
            "status": state.status.rawValue,
            "holder": state.holder.rawValue,
            "owner": state.owner.rawValue,
            "epoch": state.epoch,
            "head_seq": state.headSeq,
            "head_hash": state.headHash,
            "received_at": state.receivedAt.milliseconds,
            "next_due_kind": due?.kind.rawValue,
            "next_due_at": due?.dueAt.milliseconds,
            "last_event_at": state.lastEventAt.milliseconds,
            "is_open": state.isBacklog,
            "holder_since": (state.holderSince ?? state.lastEventAt).milliseconds,
            "moves": state.moves ?? 0,
            "unit_node": state.statisticsUnit.rawValue,
            "assigned_by": closureReportOwed ? state.assignment?.assigner.rawValue : nil,
            "supervision_due_at": state.openSupervision?.feedbackDue(calendar: calendar).milliseconds,
            "decided_at": (state.acceptedAt ?? state.disposal?.at)?.milliseconds,
            "handling_due_at": handling?.dueAt.milliseconds,
            "closed_at": state.closedAt?.milliseconds,
            "eval_due_at": state.evaluationDue(calendar: calendar)?.milliseconds,
            "evaluated_at": state.evaluation?.at.milliseconds,
            "office_rating": state.evaluation?.office.rawValue,
            "unit_rating": state.evaluation?.unit.rawValue,
            "respondent_node": r.purpose == .accusation ? r.respondentNode?.rawValue : nil,
            "accept_due_at": state.noticeDeadline(calendar: calendar).dueAt.milliseconds,
            "handling_met_at": handling?.metAt?.milliseconds,
            "petition_received_at": r.receivedAt.milliseconds,
            "lookup_digest": state.lookup?.digest,
        ]
        self.caseNumber = state.caseNumber.rawValue
        self.json = json
        self.values = Self.columns.map { values[$0]?.sqlValue ?? .null }
        assert(Set(values.keys) == Set(Self.columns), "a column without a value, or a value without a column")
    }

    /// The state's upsert.
    static let stateUpsert = """
        INSERT INTO case_states (case_number, state_json) VALUES (?, ?)
        ON CONFLICT(case_number) DO UPDATE SET state_json = excluded.state_json
        """

    /// Writes the row, then the state (the row first: the state refers to it).
    func save(_ db: some SQLSession) throws {
        try db.execute(Self.upsert, values as [any SQLValueConvertible])
        try db.execute(Self.stateUpsert, [caseNumber, json])
    }
}
