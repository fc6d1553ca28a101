import Foundation
import GRDB
import XinfangCore

/// Where a long step of opening a store reports how far it is (the schema's migrations, the
/// rewrite of every materialised case a migration may ask for): a line for the log.
public typealias ProgressReport = @Sendable (String) -> Void

extension NodeDatabase {
    static var migrator: DatabaseMigrator { migrator(report: nil) }

    /// The migrations in order; `report`, where a long migration says how far it is (an existing
    /// store's upgrade).
    static func migrator(report: ProgressReport?) -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration(Migration001Initial.identifier, migrate: Migration001Initial.migrate)
        migrator.registerMigration(Migration002Sync.identifier, migrate: Migration002Sync.migrate)
        migrator.registerMigration(Migration003Reconciliation.identifier, migrate: Migration003Reconciliation.migrate)
        migrator.registerMigration(Migration004Supervision.identifier, migrate: Migration004Supervision.migrate)
        migrator.registerMigration(Migration005Security.identifier, migrate: Migration005Security.migrate)
        migrator.registerMigration(Migration006Performance.identifier, migrate: Migration006Performance.migrate)
        migrator.registerMigration(Migration007DailyCounts.identifier, migrate: Migration007DailyCounts.migrate)
        migrator.registerMigration(Migration008Deadlines.identifier, migrate: Migration008Deadlines.migrate)
        migrator.registerMigration(Migration009OneTimeCodes.identifier, migrate: Migration009OneTimeCodes.migrate)
        migrator.registerMigration(Migration010ReplayWindow.identifier, migrate: Migration010ReplayWindow.migrate)
        migrator.registerMigration(Migration011LinkSessions.identifier, migrate: Migration011LinkSessions.migrate)
        migrator.registerMigration(Migration012ReceiptAge.identifier, migrate: Migration012ReceiptAge.migrate)
        migrator.registerMigration(Migration013CaseFile.identifier, migrate: Migration013CaseFile.migrate)
        migrator.registerMigration(Migration014Lookup.identifier, migrate: Migration014Lookup.migrate)
        migrator.registerMigration(Migration015Notifications.identifier, migrate: Migration015Notifications.migrate)
        migrator.registerMigration(Migration016CaseStates.identifier, migrate: Migration016CaseStates.migrate)
        migrator.registerMigration(Migration017OverdueIndex.identifier, migrate: Migration017OverdueIndex.migrate)
        migrator.registerMigration(Migration018EventFormat.identifier, migrate: Migration018EventFormat.migrate)
        migrator.registerMigration(Migration019DailyCountsStaged.identifier, migrate: Migration019DailyCountsStaged.migrate)
        migrator.registerMigration(Migration020OpenIndexByKind.identifier, migrate: Migration020OpenIndexByKind.migrate)
        migrator.registerMigration(Migration021EventsByCase.identifier) { db in try Migration021EventsByCase.migrate(db, report: report) }
        return migrator
    }

    /// Brings the schema to this build's, refusing a store a newer build migrated, and redoes what
    /// a migration or another calendar made stale. An upgrade over a large store says what it
    /// applies, how long each migration took, and how far the rewrite of the cases is (every
    /// `ProgressMeter.interval`, with its rate and the time left), so an operator watching the log of
    /// a province's restart knows it is working and when it will serve.
    func upgradeSchema(_ writer: any DatabaseWriter, report: ProgressReport?) throws {
        let applied = try writer.read { try Self.migrator.appliedIdentifiers($0) }
        // A new store is created silently; an existing one says what it is about to do.
        let existing = !applied.isEmpty
        let migrator = Self.migrator(report: existing ? report : nil)
        let unknown = applied.subtracting(migrator.migrations)
        if !unknown.isEmpty { throw StoreError.newerSchema(unknownMigrations: unknown.sorted()) }
        let pending = migrator.migrations.filter { !applied.contains($0) }
        if existing, !pending.isEmpty {
            let cases = try writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM cases") ?? 0 }
            report?("schema: applying \(pending.count) migration(s) (\(pending.joined(separator: ", "))) to a store of \(cases) cases")
        }
        for identifier in pending {
            let started = Date()
            try migrator.migrate(writer, upTo: identifier)
            if existing { report?(String(format: "schema: %@ applied in %.2f s", identifier, Date().timeIntervalSince(started))) }
        }
        if try writer.read({ db in try needsRefresh(db) }) {
            try writer.write { db in
                try refreshDerived(db, existing: existing, report: report)
                try beforeCommit(db, audit: nil)
            }
        }
        if try writer.read({ db in try Self.plannerStatisticsAreStale(db) }) {
            let started = Date()
            _ = try writer.write { db in try Self.takePlannerStatisticsIfStale(db) }
            if existing { report?(String(format: "schema: planner statistics taken in %.2f s", Date().timeIntervalSince(started))) }
        }
    }

    /// The indicators' daily counts are cut at midnight of this calendar's zone.
    var dailyCountsOffsetMs: Int64 { DailyCounts.offsetMs(calendar) }

    /// Whether `refreshDerived` has anything to do (a read, so an open takes no write lock for nothing).
    func needsRefresh(_ db: some SQLSession) throws -> Bool {
        try materialisedIsStale(db) || !DailyCounts.areCurrent(db, offsetMs: dailyCountsOffsetMs)
    }

    /// A migration asked for the materialised rows to be rewritten, or they were computed with
    /// another calendar than this one.
    func materialisedIsStale(_ db: some SQLSession) throws -> Bool {
        try NodeMeta.get(db, "rebuild_materialised") != nil || NodeMeta.get(db, "calendar") != calendar.fingerprint
    }

    /// Redoes, inside the caller's write transaction, what a migration or another calendar made
    /// stale, on either backend: a migration that adds derived columns, or another calendar than
    /// the one the deadline columns were computed with, asks for the materialised rows to be
    /// rewritten; the daily counts are recounted for another zone or another version of their rules.
    func refreshDerived(_ db: some SQLSession, existing: Bool, report: ProgressReport?) throws {
        if try materialisedIsStale(db) {
            let total = try db.value("SELECT COUNT(*) FROM cases", as: Int.self) ?? 0
            var meter = ProgressMeter(label: "schema: rewriting the materialised cases", total: total)
            if existing { report?("\(meter.label): \(total) cases") }
            let result = try rebuild(db, repair: true, rewriteAll: true) { done in
                if existing, let line = meter.line(done: done) { report?(line) }
            }
            if existing { report?(meter.finished(done: result.cases)) }
            try NodeMeta.remove(db, "rebuild_materialised")
            try NodeMeta.set(db, "calendar", calendar.fingerprint)
        }
        if try !DailyCounts.areCurrent(db, offsetMs: dailyCountsOffsetMs) {
            let started = Date()
            try DailyCounts.install(db, offsetMs: dailyCountsOffsetMs)
            if existing { report?(String(format: "schema: indicator counts rebuilt in %.2f s", Date().timeIntervalSince(started))) }
        }
    }
}

/// The progress of a long step over a known number of items, as log lines at most every
/// `interval`: done of total, the percentage, the rate and the time left at that rate.
struct ProgressMeter {
    static let interval: TimeInterval = 5
    let label: String
    let total: Int
    /// What is counted, in the last line: "cases", "events".
    let unit: String
    let started: Date
    var lastLine: Date

    init(label: String, total: Int, unit: String = "cases", started: Date = Date()) {
        self.label = label
        self.total = total
        self.unit = unit
        self.started = started
        self.lastLine = started
    }

    /// A line if `interval` has passed since the last one.
    mutating func line(done: Int, now: Date = Date()) -> String? {
        guard now.timeIntervalSince(lastLine) >= Self.interval else { return nil }
        lastLine = now
        let elapsed = now.timeIntervalSince(started)
        let rate = Double(done) / max(elapsed, 0.001)
        let left = rate > 0 ? Double(max(total - done, 0)) / rate : 0
        return String(
            format: "%@: %d of %d (%.0f %%), %.0f/s, about %.0f s left",
            label,
            done,
            total,
            total > 0 ? 100 * Double(done) / Double(total) : 100,
            rate,
            left
        )
    }

    func finished(done: Int, now: Date = Date()) -> String {
        let elapsed = now.timeIntervalSince(started)
        return String(format: "%@: %d %@ in %.1f s (%.0f/s)", label, done, unit, elapsed, Double(done) / max(elapsed, 0.001))
    }
}
