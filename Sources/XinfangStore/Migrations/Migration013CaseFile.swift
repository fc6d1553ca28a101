import GRDB

/// v13: the case file's bytes travel between neighbours apart from the events (issue 17).
/// `case_blobs` materialises which case names which blob (what a neighbour may be handed), and
/// `blob_wants` is the node's list of blobs it has an event for but not the bytes: whom to ask
/// first, since when, how often it failed, when to ask again, and the neighbour that did not answer
/// (its want is due again as soon as that neighbour speaks). Rows are rebuilt from the chains.
/// `notice_numbers` is this organ's 文号 sequence per year, advanced in the transaction that
/// issues the notice, so a number is never given twice, also across a restart.
enum Migration013CaseFile {
    static let identifier = "013-case-file"

    static func migrate(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE case_blobs (
                    sha256 TEXT NOT NULL,
                    case_number TEXT NOT NULL,
                    PRIMARY KEY (sha256, case_number)
                ) WITHOUT ROWID;
                CREATE TABLE blob_wants (
                    sha256 TEXT PRIMARY KEY,
                    case_number TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    sender TEXT,
                    wanted_since INTEGER NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at INTEGER NOT NULL,
                    last_error TEXT,
                    waiting_on TEXT
                ) WITHOUT ROWID;
                CREATE INDEX blob_wants_due ON blob_wants(next_attempt_at);
                CREATE TABLE notice_numbers (
                    year INTEGER PRIMARY KEY,
                    last INTEGER NOT NULL
                );
                INSERT INTO node_meta (key, value) VALUES ('rebuild_materialised', '1')
                    ON CONFLICT(key) DO UPDATE SET value = excluded.value;
                """
        )
    }
}
