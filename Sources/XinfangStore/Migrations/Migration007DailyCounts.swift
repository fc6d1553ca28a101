import Foundation
import GRDB
import XinfangCore

/// v7: the indicators' counts per day and per month, kept by triggers on `cases`.
///
/// The indicators read every case of their period: at 1,000,000 cases a year to date took 0.6 s and
/// three years 2 s (bench supervision). `daily_counts` holds, per measure, unit and period (a civil
/// day, or a month), what those queries summed; the triggers add a case's contribution when its row
/// is written and take the old one away when it changes, in the same transaction, so the counts
/// always equal what a scan of `cases` would give. A period is answered with whole months in the
/// middle and days at its edges. The civil day needs the calendar's UTC offset: the triggers are
/// written with it when the store opens (`DailyCounts.install`), and a store opened with another
/// offset, or by a version whose measures differ, rewrites them and recounts the table.
///
/// The indexes that served only those scans (registrations, closures and evaluations by date) go:
/// every new case paid for them.
enum Migration007DailyCounts {
    static let identifier = "007-daily-counts"

    static func migrate(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE daily_counts (
                    measure TEXT NOT NULL,
                    grain TEXT NOT NULL CHECK (grain IN ('d', 'm')),
                    period INTEGER NOT NULL,
                    unit_node TEXT NOT NULL,
                    k1 TEXT NOT NULL,
                    k2 TEXT NOT NULL,
                    n INTEGER NOT NULL,
                    a INTEGER NOT NULL,
                    b INTEGER NOT NULL,
                    c INTEGER NOT NULL,
                    d INTEGER NOT NULL,
                    e INTEGER NOT NULL,
                    f INTEGER NOT NULL,
                    PRIMARY KEY (measure, grain, period, unit_node, k1, k2)
                ) STRICT, WITHOUT ROWID;

                DROP INDEX cases_stats_registered;
                DROP INDEX cases_stats_closed;
                DROP INDEX cases_stats_evaluated;
                """
        )
    }
}
