import Foundation
import GRDB
import XinfangCore

// MARK: - Rows of events and cases

extension NodeDatabase {
    func insert(_ db: some SQLSession, _ event: CaseEvent, storedAt: Date? = nil) throws {
        try insert(db, eventRow(event.encoded(), storedAt: storedAt))
    }

    /// An event as its row and its petitioners' match keys, its body and command stored as they
    /// were encoded for its hash: pure, so a packet's are made on every core before the write
    /// transaction (`PreparedRun`).
    func eventRow(_ encoded: CaseEvent.Encoded, storedAt: Date?) -> EventRow {
        let event = encoded.event
        let values: [any SQLValueConvertible] = [
            event.caseNumber.rawValue, event.epoch, event.seq, event.hash, event.prevHash, event.origin.rawValue,
            event.time.wallMs, event.time.logical, event.actor, event.body.kind, encoded.body, event.signature,
            storedAt?.milliseconds ?? event.time.wallMs, encoded.command, event.formatField,
        ]
        let keys: [String] =
            if case .register(let registration) = event.body { PetitionerMatch.keys(of: registration, protector: personalData) } else { [] }
        return EventRow(caseNumber: event.caseNumber.rawValue, values: values.map(\.sqlValue), petitionerKeys: keys)
    }

    func insert(_ db: some SQLSession, _ row: EventRow) throws {
        try db.execute(EventRow.insert, row.values as [any SQLValueConvertible])
        for key in row.petitionerKeys {
            try db.execute(EventRow.petitionerKeyInsert, [key, row.caseNumber])
        }
    }

    /// Writes the materialised row of a case (insert or update), with the columns the lists, the
    /// backlog and the indicators read (all derived from the state).
    func save(_ db: some SQLSession, _ state: CaseState) throws {
        try caseRow(state).save(db)
    }

    /// The materialised row of a state: pure, like `eventRow`. `opening`, the register event of a
    /// case the state opens, lends its registration's JSON to the state's.
    func caseRow(_ state: CaseState, opening: CaseEvent.Encoded? = nil) throws -> MaterialisedCase {
        let json = try state.canonicalJSON(opening: opening)
        return MaterialisedCase(state, calendar: calendar, hierarchy: hierarchy, json: json)
    }
}

/// An event's row in `events`, in the insert's column order, and its petitioners' match keys.
struct EventRow: Sendable {
    var caseNumber: String
    var values: [SQLValue]
    var petitionerKeys: [String]

    static let insert = """
        INSERT INTO events (case_number, epoch, seq, hash, prev_hash, origin, hlc_wall, hlc_logical, actor, kind, body, signature, stored_at, command, format)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    static let petitionerKeyInsert = "INSERT INTO petitioner_keys (match_key, case_number) VALUES (?, ?) ON CONFLICT DO NOTHING"
}
