import GRDB

/// v14: the petitioner's 查询码 (issue 18). `cases.lookup_digest` materialises the keyed digest
/// of the code that opens the case now (the registration's or the latest reissued one), so any
/// level answers for a case from its replica. `lookup_failures` counts the failed lookups per
/// code and per client address in a window, and the lockout they earned, durably: a restart
/// does not hand a guesser a fresh allowance.
enum Migration014Lookup {
    static let identifier = "014-lookup"

    static func migrate(_ db: Database) throws {
        try db.execute(
            sql: """
                ALTER TABLE cases ADD COLUMN lookup_digest TEXT;
                CREATE INDEX cases_lookup_digest ON cases(lookup_digest) WHERE lookup_digest IS NOT NULL;
                CREATE TABLE lookup_failures (
                    subject TEXT PRIMARY KEY,
                    failures INTEGER NOT NULL,
                    window_start INTEGER NOT NULL,
                    locked_until INTEGER
                ) WITHOUT ROWID;
                """
        )
    }
}
