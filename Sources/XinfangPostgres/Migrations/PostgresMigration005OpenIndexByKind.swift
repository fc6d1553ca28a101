/// The partial index of the open cases (`cases_open`) ordered by holder, status and the kind of the
/// next deadline, as SQLite's migration 020: the backlog's one pass groups by those three.
enum PostgresMigration005OpenIndexByKind {
    static let migration = PostgresMigration(
        identifier: "005-open-index-by-kind",
        statements: [
            "DROP INDEX cases_open",
            "CREATE INDEX cases_open ON cases(holder, status, next_due_kind, petition_received_at, next_due_at, assigned_by, supervision_due_at) WHERE is_open = 1",
        ]
    )
}
