import GRDB

/// v4: supervision. Cases carry the columns the backlog and the indicators read (derived from the
/// state in the same transaction that saves it): whether the case is open work, since when its
/// holder holds it, how often it moved, the unit the indicators count it for, the 交办 and 督办 it
/// still owes, the intake decision, the 限办截止时间, the closure, the evaluation, and the
/// registration's repeat, joint-letter and collective-visit facts. One partial index covers the
/// backlog (open cases only); each indicator population is a range of a covering index on its
/// own time column (no table lookups, so a province's year costs an index scan).
/// `petitioner_keys` holds hashed match keys of each case's petitioners (ID number; name and
/// mobile), so an intake finds the earlier cases of the same person without reading them all.
///
/// The existing rows get their values from a rebuild of the materialised state, which the store
/// runs when it opens after this migration (`node_meta.rebuild_materialised`).
enum Migration004Supervision {
    static let identifier = "004-supervision"

    static func migrate(_ db: Database) throws {
        try db.execute(
            sql: """
                ALTER TABLE cases ADD COLUMN is_open INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE cases ADD COLUMN holder_since INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE cases ADD COLUMN moves INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE cases ADD COLUMN unit_node TEXT NOT NULL DEFAULT '';
                ALTER TABLE cases ADD COLUMN assigned_by TEXT;
                ALTER TABLE cases ADD COLUMN supervision_due_at INTEGER;
                ALTER TABLE cases ADD COLUMN decided_at INTEGER;
                ALTER TABLE cases ADD COLUMN handling_due_at INTEGER;
                ALTER TABLE cases ADD COLUMN closed_at INTEGER;
                ALTER TABLE cases ADD COLUMN eval_due_at INTEGER;
                ALTER TABLE cases ADD COLUMN evaluated_at INTEGER;
                ALTER TABLE cases ADD COLUMN office_rating TEXT;
                ALTER TABLE cases ADD COLUMN unit_rating TEXT;
                ALTER TABLE cases ADD COLUMN is_repeat INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE cases ADD COLUMN joint_letter INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE cases ADD COLUMN collective_batches INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE cases ADD COLUMN collective_persons INTEGER NOT NULL DEFAULT 0;

                CREATE INDEX cases_open ON cases(holder, status, holder_since, next_due_kind, next_due_at,
                    assigned_by, supervision_due_at) WHERE is_open = 1;
                CREATE INDEX cases_stats_registered ON cases(registered_at, unit_node, channel, category_l1, is_repeat,
                    skip_level, joint_letter, collective_batches, collective_persons, law_related, decided_at);
                CREATE INDEX cases_stats_closed ON cases(closed_at, unit_node) WHERE closed_at IS NOT NULL;
                CREATE INDEX cases_stats_handling ON cases(handling_due_at, law_related, closed_at, unit_node)
                    WHERE handling_due_at IS NOT NULL;
                CREATE INDEX cases_stats_evaluated ON cases(evaluated_at, law_related, unit_node, office_rating, unit_rating)
                    WHERE evaluated_at IS NOT NULL;
                CREATE INDEX cases_stats_eval_due ON cases(eval_due_at, law_related, unit_node)
                    WHERE eval_due_at IS NOT NULL AND evaluated_at IS NULL;
                CREATE INDEX cases_open_moves ON cases(moves DESC, case_number) WHERE is_open = 1 AND moves >= 2;

                CREATE TABLE petitioner_keys (
                    match_key TEXT NOT NULL,
                    case_number TEXT NOT NULL REFERENCES cases(case_number) DEFERRABLE INITIALLY DEFERRED,
                    PRIMARY KEY (match_key, case_number)
                ) STRICT, WITHOUT ROWID;

                INSERT INTO node_meta (key, value) VALUES ('rebuild_materialised', '004')
                    ON CONFLICT(key) DO UPDATE SET value = excluded.value;
                """
        )
    }
}
