import GRDB

/// v18: an event's format (`DataFormats`): NULL for format 1, the form every stored event has, so
/// the column is added without rewriting a row (SQLite stores the default in the schema); events of
/// format 2 on record theirs, which their hash covers.
enum Migration018EventFormat {
    static let identifier = "018-event-format"

    static func migrate(_ db: Database) throws {
        try db.execute(sql: "ALTER TABLE events ADD COLUMN format INTEGER CHECK (format IS NULL OR format >= 2)")
    }
}
