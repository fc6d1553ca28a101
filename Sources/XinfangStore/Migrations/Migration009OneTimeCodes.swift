import GRDB

/// v9: a TOTP code is accepted once (RFC 6238 §5.2): each account remembers the last 30-second
/// time step whose code it accepted, and a login must use a later one.
enum Migration009OneTimeCodes {
    static let identifier = "009-one-time-codes"

    static func migrate(_ db: Database) throws {
        try db.execute(sql: "ALTER TABLE users ADD COLUMN totp_last_step INTEGER;")
    }
}
