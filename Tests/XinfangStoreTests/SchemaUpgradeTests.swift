import Foundation
import GRDB
import Synchronization
import Testing
import XinfangCore
import XinfangTesting

@testable import XinfangStore

/// An upgrade over an existing store says in the log what it applies and how far it is (issue 20):
/// the pending migrations and the store's size first, each migration's time, the rewrite of the
/// materialised cases with its running count, rate and time left. A new store opens silently.
struct SchemaUpgradeTests {
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        var report: ProgressReport { { line in self.lines.withLock { $0.append(line) } } }
        var all: [String] { lines.withLock { $0 } }
    }

    @Test func anUpgradeSaysWhatItAppliesAndTheRewriteHowFarItIs() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("xinfang-upgrade-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var (topology, keys) = ExampleHierarchy.topology(baseURL: { "http://\($0).invalid" })
        topology.formats = nil
        let node = ExampleHierarchy.province
        func open(_ lines: Lines) throws -> NodeDatabase {
            try NodeDatabase.open(
                directory: directory,
                node: node,
                calendar: .standard,
                hierarchy: Hierarchy(topology: topology, key: keys[node]!),
                report: lines.report
            )
        }
        let created = Lines()
        let store = try open(created)
        #expect(created.all.isEmpty, "a new store is created silently")
        let now = Fixtures.instant("2026-11-02T09:00:00+08:00")
        try await store.loadSyntheticChains(count: 300, now: now, days: 10, batch: 128)
        try await store.rewindToPreviousSchema()
        let rewound = try await store.readSQLite { db in try db.columns(in: "events").map(\.name) }
        #expect(!rewound.contains("format"))
        let eventsBefore = try await store.readSQLite { db in
            try Row.fetchAll(db, sql: "SELECT * FROM events ORDER BY hash").map { $0.description }
        }
        #expect(try await store.readSQLite { db in try db.primaryKey("events").columns } == ["hash"], "keyed by hash before 021")

        let upgrade = Lines()
        let upgraded = try open(upgrade)
        #expect(
            upgrade.all.first
                == "schema: applying 4 migration(s) (018-event-format, 019-daily-counts-staged, 020-open-index-by-kind, 021-events-by-case) to a store of 300 cases",
            "\(upgrade.all)"
        )
        for identifier in ["018-event-format", "019-daily-counts-staged", "020-open-index-by-kind", "021-events-by-case"] {
            #expect(upgrade.all.contains { $0.hasPrefix("schema: \(identifier) applied in ") && $0.hasSuffix(" s") })
        }
        #expect(upgrade.all.contains { $0.hasPrefix("schema: indicator counts rebuilt in ") }, "the per-row triggers rewritten")
        #expect(upgrade.all.contains("schema: 021-events-by-case: copying the events under their case: 300 events"))
        #expect(upgrade.all.contains { $0.hasPrefix("schema: 021-events-by-case: copying the events under their case: 300 events in ") })
        let number = try #require(try await upgraded.readSQLite { db in try String.fetchOne(db, sql: "SELECT case_number FROM cases LIMIT 1") })
        #expect(try await upgraded.events(of: CaseNumber(rawValue: number)).map(\.format) == [1])
        // 021: every event carried over as it was (its format NULL, format 1), under its case.
        let eventsAfter = try await upgraded.readSQLite { db in
            try Row.fetchAll(
                db,
                sql:
                    "SELECT hash, case_number, epoch, seq, prev_hash, origin, hlc_wall, hlc_logical, actor, kind, body, signature, stored_at, command FROM events ORDER BY hash"
            )
            .map { $0.description }
        }
        #expect(eventsAfter == eventsBefore && eventsAfter.count == 300)
        #expect(try await upgraded.readSQLite { db in try db.primaryKey("events").columns } == ["rowid"])
        #expect(
            try await upgraded.readSQLite { db in try db.indexes(on: "events").map { "\($0.name) \($0.isUnique) \($0.columns)" } }
                == ["events_by_case true [\"case_number\", \"seq\", \"epoch\", \"hash\"]"]
        )

        // A migration asking for every case to be rewritten: the count first, the total last.
        try await upgraded.requestMaterialisedRewrite()
        let rewrite = Lines()
        let rewritten = try open(rewrite)
        #expect(rewrite.all.first == "schema: rewriting the materialised cases: 300 cases", "\(rewrite.all)")
        #expect(rewrite.all.contains { $0.hasPrefix("schema: rewriting the materialised cases: 300 cases in ") })
        #expect(try await rewritten.rebuildMaterialisedState(repair: false).mismatched.isEmpty)

        // Opened again with nothing to do, it says nothing.
        let quiet = Lines()
        _ = try open(quiet)
        #expect(quiet.all.isEmpty, "\(quiet.all)")
    }

    /// Migration 021 copies the events a slice of cases at a time: with slices of 7 cases over
    /// 300 (43 statements, the last one open-ended), every event arrives once, in case order, and
    /// a store whose events name a case it does not hold is refused, not half migrated.
    @Test func theEventsAreCopiedUnderTheirCaseInSlices() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("xinfang-021-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (topology, keys) = ExampleHierarchy.topology(baseURL: { "http://\($0).invalid" })
        let node = ExampleHierarchy.province
        let store = try NodeDatabase.open(
            directory: directory,
            node: node,
            calendar: .standard,
            hierarchy: Hierarchy(topology: topology, key: keys[node]!)
        )
        try await store.loadSyntheticChains(count: 300, now: Fixtures.instant("2026-11-02T09:00:00+08:00"), days: 10, batch: 128)
        let rest = "epoch, seq, prev_hash, origin, hlc_wall, hlc_logical, actor, kind, body, signature, stored_at, command, format"
        let columns = "hash, case_number, \(rest)"
        let before = try await store.readSQLite { db in
            try Row.fetchAll(db, sql: "SELECT \(columns) FROM events ORDER BY case_number, seq, epoch, hash").map(\.description)
        }
        #expect(before.count == 300)
        let writer = try store.sqliteWriter(for: "the test")
        // The table as 021 finds it: keyed by hash, its rows in hash order; `extra` more rows.
        @Sendable func keyedByHash(_ db: Database, extra: String = "") throws {
            try db.execute(
                sql: """
                    CREATE TABLE events_old (hash TEXT PRIMARY KEY NOT NULL, case_number TEXT NOT NULL, epoch INTEGER NOT NULL,
                        seq INTEGER NOT NULL, prev_hash TEXT, origin TEXT NOT NULL, hlc_wall INTEGER NOT NULL,
                        hlc_logical INTEGER NOT NULL, actor TEXT NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL, signature TEXT,
                        stored_at INTEGER NOT NULL, command TEXT, format INTEGER) STRICT;
                    INSERT INTO events_old SELECT \(columns) FROM events ORDER BY hash;
                    \(extra)
                    DROP TABLE events;
                    ALTER TABLE events_old RENAME TO events;
                    """
            )
        }
        let lines = Lines()
        try await writer.write { db in
            try keyedByHash(db)
            try Migration021EventsByCase.migrate(db, report: lines.report, casesPerCopy: 7)
        }
        let after = try await store.readSQLite { db in
            try Row.fetchAll(db, sql: "SELECT \(columns) FROM events ORDER BY rowid").map(\.description)
        }
        #expect(after == before, "every event once, the rows in case order")
        #expect(lines.all.first == "schema: 021-events-by-case: copying the events under their case: 300 events")
        #expect(lines.all.dropFirst().first?.hasPrefix("schema: 021-events-by-case: copying the events under their case: 300 events in ") == true)
        // The two steps after the copy, each begun and timed.
        #expect(lines.all.dropFirst(2).first == "schema: 021-events-by-case: removing the earlier table")
        #expect(lines.all.dropFirst(3).first?.hasPrefix("schema: 021-events-by-case: the earlier table removed in ") == true)
        #expect(lines.all.dropFirst(3).first?.hasSuffix(" s; indexing the events by case") == true)
        #expect(lines.all.last?.hasPrefix("schema: 021-events-by-case: indexed in ") == true && lines.all.count == 5, "\(lines.all)")

        // An event whose case the store does not hold: copied, then refused at the commit by the
        // table's foreign key; the store as it was.
        await #expect(throws: DatabaseError.self) {
            try await writer.write { db in
                try keyedByHash(
                    db,
                    extra: "INSERT INTO events_old SELECT 'x' || hash, '430000-20261102-99999', \(rest) FROM events LIMIT 1;"
                )
                try Migration021EventsByCase.migrate(db, report: nil, casesPerCopy: 7)
            }
        }
        #expect(
            try await store.readSQLite { db in try Row.fetchAll(db, sql: "SELECT \(columns) FROM events ORDER BY rowid").map(\.description) }
                == before
        )
    }

    @Test func theMeterSpeaksEveryIntervalWithRateAndTimeLeft() {
        let t0 = Fixtures.instant("2026-11-02T09:00:00+08:00")
        var meter = ProgressMeter(label: "schema: rewriting the materialised cases", total: 1_000, started: t0)
        #expect(meter.line(done: 100, now: t0.addingTimeInterval(1)) == nil, "within the interval")
        #expect(
            meter.line(done: 250, now: t0.addingTimeInterval(10))
                == "schema: rewriting the materialised cases: 250 of 1000 (25 %), 25/s, about 30 s left"
        )
        #expect(meter.line(done: 260, now: t0.addingTimeInterval(12)) == nil, "the interval runs from the last line")
        #expect(
            meter.line(done: 700, now: t0.addingTimeInterval(20))
                == "schema: rewriting the materialised cases: 700 of 1000 (70 %), 35/s, about 9 s left"
        )
        #expect(
            meter.finished(done: 1_000, now: t0.addingTimeInterval(25)) == "schema: rewriting the materialised cases: 1000 cases in 25.0 s (40/s)"
        )
    }
}
