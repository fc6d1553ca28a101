import GRDB

/// v16: a case's whole state (`state_json`, about 1.5 KB encoded) moves out of the `cases` row into
/// `case_states`, keyed by case number (issue 19). The row keeps only what filters, lists, the
/// backlog and the indicators read, so a scan of a million cases reads about a quarter of the
/// pages it read before; the state is read only for the cases a page shows or a command changes.
/// The copy and the column's removal run in the migration's one transaction.
enum Migration016CaseStates {
    static let identifier = "016-case-states"

    static func migrate(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE case_states (
                    case_number TEXT PRIMARY KEY NOT NULL REFERENCES cases(case_number) DEFERRABLE INITIALLY DEFERRED,
                    state_json TEXT NOT NULL
                ) STRICT;
                INSERT INTO case_states (case_number, state_json) SELECT case_number, state_json FROM cases;
                ALTER TABLE cases DROP COLUMN state_json;
                """
        )
    }
}
