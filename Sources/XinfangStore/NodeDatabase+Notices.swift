public import Foundation
import GRDB
public import XinfangCore

extension NodeDatabase {
    /// 出具文书: issues a notice of `kind` on a case this node holds (or hands down, for the
    /// forms), in one transaction: the case must have reached the notice's fact here and not have
    /// it yet; the organ's next 文号 of the year is taken; the notice is drafted from the case and
    /// rendered (`render`, the templates), its bytes frozen into the blob store and its hash put
    /// in the issuing event (for a form of a case handed down, in the command the receiver
    /// appends). A refusal takes no number.
    public func issueNotice(
        _ kind: NoticeKind,
        on number: CaseNumber,
        prefix: String,
        actor: String,
        now: Date,
        render: @escaping @Sendable (NoticeDraft) throws -> Data
    ) async throws -> (CaseState, NoticeRecord) {
        let result = try await write { db -> (CaseState, NoticeRecord) in
            guard let state = try Self.loadState(db, number) else { throw StoreError.caseNotFound(number) }
            guard let occasion = kind.occasion(in: state, at: node) else {
                throw StoreError.refused(.noticeNotDue("本件尚未到出具\(kind.title)的环节，或该文书不由本机关出具。"))
            }
            if (state.notices ?? []).contains(where: { $0.kind == kind && $0.occasion == occasion }) {
                throw StoreError.refused(.alreadyRecorded(.issueNotice))
            }
            let today = calendar.civilDate(of: now)
            let sequence = (try db.value("SELECT last FROM notice_numbers WHERE year = ?", [today.year], as: Int.self) ?? 0) + 1
            try db.execute(
                "INSERT INTO notice_numbers (year, last) VALUES (?, ?) ON CONFLICT(year) DO UPDATE SET last = excluded.last",
                [today.year, sequence]
            )
            let docNumber = NoticeNumbering.docNumber(prefix: prefix, year: today.year, sequence: sequence)
            let draft = NoticeDraft.make(
                kind,
                state: state,
                organ: node,
                docNumber: docNumber,
                issuedOn: today,
                calendar: calendar,
                topology: hierarchy?.topology,
                lookupCode: try state.lookup.map { try personalData.openLookupCode($0).description }
            )
            let bytes = try render(draft)
            let stored = try blobs.put(bytes)
            let record = NoticeRecord(kind: kind, docNumber: docNumber, sha256: stored.sha256, size: bytes.count, occasion: occasion)
            guard state.holder == node else {
                // A form of a case handed down: the receiver holds it now and appends the form as
                // this organ's command; the bytes follow as any file of the case file.
                _ = try submit(db, caseNumber: number, action: .issueNotice(record), actor: actor, now: now)
                return (state, record)
            }
            let action = try admit(.issueNotice(record), on: state, now: now)
            let next = try append(db, to: state, caseNumber: number, body: .act(action), actor: actor, command: nil, now: now)
            return (next, record)
        }
        outboxSignal.notify()
        return result
    }
}
