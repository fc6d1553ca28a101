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
        // Each value appended in the order of `columns` (checked in debug builds): no dictionary of
        // 47 boxed values to hash a case.
        var values: [SQLValue] = []
        values.reserveCapacity(Self.columns.count)
        func put(_ column: String, _ value: some SQLValueConvertible) {
            assert(Self.columns[values.count] == column, "\(column) is not the next column")
            values.append(value.sqlValue)
        }
        put("case_number", state.caseNumber.rawValue)
        put("registered_at", state.registeredAt.milliseconds)
        put("registered_at_node", state.registeredAtNode.rawValue)
        put("channel", r.channel.rawValue)
        put("purpose", r.purpose.rawValue)
        put("category_l1", r.category.level1)
        put("category_l2", r.category.level2)
        put("category_l3", r.category.level3)
        put("issue_region", r.issueRegion.rawValue)
        put("urgent", r.urgent)
        put("law_related", r.lawRelated)
        put("summary", r.summary)
        put("search_text", ([state.caseNumber.rawValue, r.summary, r.respondent ?? ""] + r.petitioners.map(\.name)).joined(separator: " "))
        put("skip_level", skipLevel)
        put("is_repeat", !r.linkedCases.isEmpty || r.intake != nil)
        put("joint_letter", r.jointLetter)
        put("collective_batches", r.collective?.batches ?? 0)
        put("collective_persons", r.collective?.personVisits ?? 0)
        put("status", state.status.rawValue)
        put("holder", state.holder.rawValue)
        put("owner", state.owner.rawValue)
        put("epoch", state.epoch)
        put("head_seq", state.headSeq)
        put("head_hash", state.headHash)
        put("received_at", state.receivedAt.milliseconds)
        put("next_due_kind", due?.kind.rawValue)
        put("next_due_at", due?.dueAt.milliseconds)
        put("last_event_at", state.lastEventAt.milliseconds)
        put("is_open", state.isBacklog)
        put("holder_since", (state.holderSince ?? state.lastEventAt).milliseconds)
        put("moves", state.moves ?? 0)
        put("unit_node", state.statisticsUnit.rawValue)
        put("assigned_by", closureReportOwed ? state.assignment?.assigner.rawValue : nil)
        put("supervision_due_at", state.openSupervision?.feedbackDue(calendar: calendar).milliseconds)
        put("decided_at", (state.acceptedAt ?? state.disposal?.at)?.milliseconds)
        put("handling_due_at", handling?.dueAt.milliseconds)
        put("closed_at", state.closedAt?.milliseconds)
        put("eval_due_at", state.evaluationDue(calendar: calendar)?.milliseconds)
        put("evaluated_at", state.evaluation?.at.milliseconds)
        put("office_rating", state.evaluation?.office.rawValue)
        put("unit_rating", state.evaluation?.unit.rawValue)
        put("respondent_node", r.purpose == .accusation ? r.respondentNode?.rawValue : nil)
        put("accept_due_at", state.noticeDeadline(calendar: calendar).dueAt.milliseconds)
        put("handling_met_at", handling?.metAt?.milliseconds)
        put("petition_received_at", r.receivedAt.milliseconds)
        put("lookup_digest", state.lookup?.digest)
        self.caseNumber = state.caseNumber.rawValue
        self.json = json
        assert(values.count == Self.columns.count, "a column without a value")
        self.values = values
    }

    /// The state's upsert.
    static let stateUpsert = """
        INSERT INTO case_states (case_number, state_json) VALUES (?, ?)
        ON CONFLICT(case_number) DO UPDATE SET state_json = excluded.state_json
        """

    /// The upsert of a case whose anti-entropy columns are known before its row is written
    /// (`CaseDigest`): the same, with those three columns. A received new case is inserted with
    /// them instead of being inserted and then updated: on PostgreSQL that update wrote a new
    /// version of each row and an entry in each of the table's indexes, the server's largest
    /// statement of a packet (docs/BENCHMARKS.md, P9).
    static let upsertWithDigest: String = {
        let all = columns + CaseDigest.columns
        return """
            INSERT INTO cases (\(all.joined(separator: ", ")))
            VALUES (\(all.map { _ in "?" }.joined(separator: ", ")))
            ON CONFLICT(case_number) DO UPDATE SET \((stateColumns + CaseDigest.columns).map { "\($0) = excluded.\($0)" }.joined(separator: ", "))
            """
    }()

    /// Writes the row, then the state (the row first: the state refers to it); with `digest`, the
    /// row's anti-entropy columns too.
    func save(_ db: some SQLSession, digest: CaseDigest? = nil) throws {
        if let digest {
            try db.execute(Self.upsertWithDigest, values as [any SQLValueConvertible] + [digest.bucket, digest.hash, digest.peersColumn])
        } else {
            try db.execute(Self.upsert, values as [any SQLValueConvertible])
        }
        try db.execute(Self.stateUpsert, [caseNumber, json])
    }
}
