package import Foundation
import GRDB
import XinfangCore

extension NodeDatabase {
    /// For the migration benchmark only: `count` letters registered here, each a signed one-event
    /// chain in the hierarchy's format with its materialised row, spread over the `days` days
    /// before `now` (at most 99,999 a day), in transactions of `batch` cases whose pure work (the
    /// hash, the signature, the fold, the encodings) runs on every core first. `progress` hears
    /// the cases stored so far after each transaction.
    package func loadSyntheticChains(
        count: Int,
        now: Date,
        days: Int = 1_000,
        batch: Int = 8_192,
        progress: @Sendable (Int) -> Void = { _ in }
    ) async throws {
        let perDay = max(1, (count + days - 1) / days)
        precondition(perDay <= 99_999, "at most 99,999 cases a day")
        let today = calendar.civilDate(of: now)
        let formats = writtenFormats
        var done = 0
        while done < count {
            let first = done
            let size = min(batch, count - first)
            let prepared = try Self.parallelMap(size, minimumPerWorker: 64) { offset -> Result<(EventRow, MaterialisedCase), any Error> in
                Result { try self.syntheticChain(first + offset, perDay: perDay, days: days, today: today, now: now, format: formats.event) }
            }.map { try $0.get() }
            try await write { db in
                for (event, materialised) in prepared {
                    try materialised.save(db)  // the row before its event, as `append` does
                    try self.insert(db, event)
                }
            }
            done += size
            progress(done)
        }
    }

    /// Case `i`'s registration event and materialised row: pure.
    private func syntheticChain(_ i: Int, perDay: Int, days: Int, today: CivilDate, now: Date, format: Int) throws -> (EventRow, MaterialisedCase) {
        let dayBack = days - 1 - i / perDay
        let date = today.adding(days: -dayBack)
        let received = now.addingTimeInterval(-Double(dayBack) * 86_400 - Double(i % perDay))
        let registration = CaseRegistration(
            channel: .letter,
            petitioners: [Petitioner(name: "合成来信人\(i % 9_973)", isLead: true)],
            purpose: .request,
            category: ContentCategory("劳动和社会保障", "劳动关系", "拖欠农民工工资"),
            issueRegion: RegionCode(rawValue: node.rawValue),
            summary: "合成信访件\(i)",
            text: "合成信访件，供迁移基准测试。",
            receivedAt: received,
            registeredBy: "bench"
        )
        var event = CaseEvent(
            caseNumber: CaseNumber.mint(node: node, date: date, sequence: i % perDay + 1),
            epoch: 0,
            seq: 1,
            prevHash: nil,
            origin: node,
            time: HLCTimestamp(wallMs: received.milliseconds, logical: 0),
            actor: "bench",
            body: .register(registration),
            format: format
        )
        hierarchy?.key.sign(&event)
        let state = try CaseState.opened(by: event)
        let encoded = event.encoded()
        return (eventRow(encoded, storedAt: received), try caseRow(state, opening: encoded))
    }

    /// For the migration benchmark only: takes the store back to the schema of the releases before
    /// `Migration018EventFormat`, `Migration019DailyCountsStaged`, `Migration020OpenIndexByKind` and
    /// `Migration021EventsByCase`, as a store of those releases holds it: the events keyed by their
    /// hash without the format column, the staging table and the migrations' records removed, the
    /// open cases' index in its earlier order,
    /// and the daily counts signed as the per-row triggers signed them (their SQL is gone from this
    /// build; the triggers are dropped, and the opening writes the current ones and recounts, as it
    /// does for such a store). Refused when an event of format 2 is stored.
    package func rewindToPreviousSchema() async throws {
        // GRDB's writer itself: the store's own write would count the staged rows from a table
        // this takes away.
        try await sqliteWriter(for: "a rewind").write { db in
            guard try db.value("SELECT COUNT(*) FROM events WHERE format IS NOT NULL", as: Int.self) == 0 else {
                throw StoreError.database("events of format 2 are stored: the previous release cannot read this store")
            }
            try DailyCounts.run(db, DailyCounts.dropTriggersSQL(.sqlite))
            try db.execute("DROP TABLE \(DailyCounts.stagedTable)")
            try NodeMeta.set(db, "daily_counts", "v\(DailyCounts.version) offset \(self.dailyCountsOffsetMs)")
            try db.execute(
                sql: """
                    CREATE TABLE events_previous (
                        hash TEXT PRIMARY KEY NOT NULL,
                        case_number TEXT NOT NULL REFERENCES cases(case_number) DEFERRABLE INITIALLY DEFERRED,
                        epoch INTEGER NOT NULL, seq INTEGER NOT NULL, prev_hash TEXT, origin TEXT NOT NULL,
                        hlc_wall INTEGER NOT NULL, hlc_logical INTEGER NOT NULL, actor TEXT NOT NULL, kind TEXT NOT NULL,
                        body TEXT NOT NULL, signature TEXT, stored_at INTEGER NOT NULL, command TEXT
                    ) STRICT;
                    INSERT INTO events_previous SELECT hash, case_number, epoch, seq, prev_hash, origin, hlc_wall, hlc_logical,
                        actor, kind, body, signature, stored_at, command FROM events;
                    DROP TABLE events;
                    ALTER TABLE events_previous RENAME TO events;
                    CREATE INDEX events_by_case ON events(case_number, seq, epoch);
                    CREATE TRIGGER events_are_append_only_update BEFORE UPDATE ON events
                    BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
                    CREATE TRIGGER events_are_append_only_delete BEFORE DELETE ON events
                    BEGIN SELECT RAISE(ABORT, 'events are append-only'); END
                    """
            )
            try db.execute("DROP INDEX cases_open")
            try db.execute(
                """
                CREATE INDEX cases_open ON cases(holder, status, petition_received_at, next_due_kind, next_due_at,
                    assigned_by, supervision_due_at) WHERE is_open = 1
                """
            )
            for identifier in [
                Migration018EventFormat.identifier, Migration019DailyCountsStaged.identifier, Migration020OpenIndexByKind.identifier,
                Migration021EventsByCase.identifier,
            ] {
                try db.execute("DELETE FROM grdb_migrations WHERE identifier = ?", [identifier])
            }
        }
    }

    /// For the migration benchmark only: asks for the rewrite of every materialised case at the
    /// next opening, as migrations 004, 005, 008, 012 and 013 did.
    package func requestMaterialisedRewrite() async throws {
        try await write { db in try NodeMeta.set(db, "rebuild_materialised", "bench") }
    }
}
