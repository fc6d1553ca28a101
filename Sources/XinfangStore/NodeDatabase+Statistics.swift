import GRDB

/// The query planner's statistics of the cases (`sqlite_stat1`, taken by `ANALYZE cases`).
///
/// Without them SQLite weighs the indexes of `cases` by rule of thumb, and at a province it chose
/// the index of every case a holder ever had (36,000 rows, each looked up in the table) over the
/// partial index of its open cases (2,000 rows) for the landing page's held cases: 165 ms against
/// 2 ms. The statistics are taken when the store opens and by every reconciliation round, but only
/// when they are missing or the cases have grown or shrunk by half since (a full `ANALYZE cases` at
/// a million cases takes about 1.5 s on this machine, under the write lock); a store too small
/// for the choice to matter is left to the defaults.
extension NodeDatabase {
    /// Below this many cases the planner's defaults choose as well as statistics would.
    static let statisticsFloor = 5_000
    /// The statistics are taken again when the cases number more than this factor times, or less
    /// than its inverse, the count they were taken at.
    static let statisticsDrift = 2

    /// Whether the cases' statistics are missing or stale (see `statisticsDrift`).
    static func plannerStatisticsAreStale(_ db: Database) throws -> Bool {
        let cases = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM cases") ?? 0
        guard cases >= statisticsFloor else { return false }
        guard try db.tableExists("sqlite_stat1") else { return true }
        // An index's statistics begin with the number of rows it had; the primary key's has every case.
        let stat = try String.fetchOne(db, sql: "SELECT stat FROM sqlite_stat1 WHERE tbl = 'cases' AND idx = 'sqlite_autoindex_cases_1'")
        guard let taken = stat?.split(separator: " ").first.flatMap({ Int($0) }), taken > 0 else { return true }
        return cases > taken * statisticsDrift || cases * statisticsDrift < taken
    }

    /// Takes the cases' statistics when they are stale; whether it did.
    @discardableResult
    public func refreshPlannerStatistics() async throws -> Bool {
        // PostgreSQL's autovacuum keeps a server's statistics.
        guard case .sqlite(let writer) = backend else { return false }
        guard try await writer.read({ db in try Self.plannerStatisticsAreStale(db) }) else { return false }
        // Checked again under the write lock: another process may have taken them meanwhile.
        return try await writer.write { db in try Self.takePlannerStatisticsIfStale(db) }
    }

    /// In the caller's write transaction: takes the cases' statistics when they are stale.
    static func takePlannerStatisticsIfStale(_ db: Database) throws -> Bool {
        guard try plannerStatisticsAreStale(db) else { return false }
        try db.execute(sql: "ANALYZE cases")
        return true
    }
}
