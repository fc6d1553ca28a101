package import Foundation
import GRDB
package import XinfangCore

extension NodeDatabase {
    /// For the anti-entropy benchmark only: fills the store with `count` synthetic replicated case
    /// heads shared with `peer`, straight into the rows an exchange reads (the cases' bucket
    /// columns and the per-peer bucket digests), in one transaction. `version(i)` names case i's
    /// head, so two stores built with different versions for a few cases differ in exactly those.
    package func loadSyntheticHeads(count: Int, sharedWith peer: NodeID, version: @escaping @Sendable (Int) -> Int) async throws {
        try await loadSyntheticHeads(numberedAs: node, count: count, sharedWith: peer, version: version)
    }

    /// The same heads as `numberedAs`'s store (version 1 each), as a replica holds them.
    package func loadSyntheticHeadsAs(_ origin: NodeID, count: Int, sharedWith peer: NodeID) async throws {
        try await loadSyntheticHeads(numberedAs: origin, count: count, sharedWith: peer) { _ in 1 }
    }

    func loadSyntheticHeads(
        numberedAs origin: NodeID,
        count: Int,
        sharedWith peer: NodeID,
        version: @escaping @Sendable (Int) -> Int
    )
        async throws
    {
        let offsetMs = Int64(calendar.utcOffsetSeconds) * 1000
        try await writeSQLite { db in
            try Self.bulkLoadCases(db, offsetMs: offsetMs) {
                try Self.insertSyntheticHeads(db, origin: origin, node: self.node, count: count, peer: peer, version: version)
            }
        }
    }

    /// The synthetic heads' rows and their bucket digests.
    private static func insertSyntheticHeads(_ db: Database, origin: NodeID, node: NodeID, count: Int, peer: NodeID, version: (Int) -> Int) throws {
        var buckets: [Int: UInt64] = [:]
        let statement = try db.makeStatement(
            sql: """
                INSERT INTO cases (case_number, status, holder, owner, epoch, head_seq, head_hash, registered_at,
                    registered_at_node, received_at, channel, purpose, category_l1, category_l2, category_l3, issue_region,
                    urgent, law_related, summary, search_text, last_event_at, ae_bucket, ae_hash, ae_peers)
                VALUES (?, 'accepted', ?, ?, 0, 1, ?, 0, ?, 0, 'letter', 'request', '', '', '', '', 0, 0, '', '', 0, ?, ?, ?)
                """
        )
        for i in 0..<count {
            let number = CaseNumber(rawValue: syntheticNumber(origin, i))
            let head = "synthetic-\(i)-v\(version(i))"
            let key = AntiEntropy.caseKey(number)
            let contribution = AntiEntropy.contribution(number, head: head, events: 0)
            buckets[AntiEntropy.leaf(ofKey: key), default: 0] ^= contribution
            try statement.execute(arguments: [
                number.rawValue, node.rawValue, node.rawValue, head, node.rawValue, AntiEntropy.leaf(ofKey: key),
                Int64(bitPattern: contribution), peer.rawValue,
            ])
        }
        for (bucket, digest) in buckets {
            try db.execute(
                """
                INSERT INTO ae_buckets (peer, bucket, digest) VALUES (?, ?, ?)
                ON CONFLICT(peer, bucket) DO UPDATE SET digest = (ae_buckets.digest | excluded.digest) - (ae_buckets.digest & excluded.digest)
                """,
                [peer.rawValue, bucket, Int64(bitPattern: digest)]
            )
        }
    }

    /// The synthetic case number `i` of `node`, in a real number's shape: 90,000 a day from the
    /// day `20000000`. Built without Foundation's formatting, which a million rows feel.
    static func syntheticNumber(_ node: NodeID, _ i: Int) -> String {
        let sequence = String(i % 90_000 + 1)
        return "\(node.rawValue)-\(20_000_000 + i / 90_000)-\(String(repeating: "0", count: 5 - sequence.count))\(sequence)"
    }

    /// Runs `load` (the benchmarks' many rows written at once into `cases`) with the table's
    /// secondary indexes and the indicators' triggers dropped, then builds each index
    /// again from the rows (one sort each, instead of a tree insert a row and an index) and counts
    /// the indicators once (`DailyCounts.bulkLoad`). In the caller's transaction: no one sees the
    /// table without its indexes.
    static func bulkLoadCases(_ db: some SQLSession, offsetMs: Int64, _ load: () throws -> Void) throws {
        let indexes: [(name: String, sql: String)] = try db.rows(db.dialect.droppableIndexes, arguments: ["cases"], cached: false).map {
            ($0[0] ?? "", $0[1] ?? "")
        }
        for index in indexes { try db.execute("DROP INDEX \"\(index.name)\"") }
        try DailyCounts.bulkLoad(db, offsetMs: offsetMs, load)
        for index in indexes { try db.execute(index.sql) }
    }
}

extension NodeDatabase {
    /// For the supervision benchmark only: `count` synthetic cases of a province's subtree, written
    /// straight into the columns the backlog and the indicators read, in one transaction.
    ///
    /// Deterministic from the case index: registered evenly over the `years` before `now`, handled
    /// by the `units` (weighted towards the first ones, the counties), across the four channels and
    /// the first-level categories; cases of the last 90 days are partly still open (intake,
    /// handling, review), older ones closed, most evaluated; 2 % of older cases stay open and
    /// overdue (积案), 8 % are repeats, 3 % 越级访. Each case's state (`case_states`) is one registration's state under each
    /// case's number (the dashboard's pages decode it for the rows they show; its status is not
    /// the row's, which the queries read).
    package func loadSyntheticCases(count: Int, units: [NodeID], now: Date, years: Int = 3) async throws {
        let nowMs = now.milliseconds
        let day = IndicatorRules.dayMs
        let spanMs = Int64(years) * 365 * day
        let categories = ContentCategoryCatalog.all.map(\.level1).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        let channels = Channel.allCases.map(\.rawValue)
        let weights = units.indices.map { i in max(1, units.count - i) }
        let totalWeight = weights.reduce(0, +)
        let placeholder = "\(node.rawValue)-29999999-99999"
        // The state's JSON around each place its number goes (Foundation's search for a substring
        // was a fifth of the load's time).
        let template = String(decoding: try CanonicalJSON.encoder.encode(try syntheticState(placeholder, now: now)), as: UTF8.self)
            .components(separatedBy: placeholder)
        // Through the seam, so that one load serves both backends: multi-row inserts of
        // `syntheticBatch` rows (one statement a row would be a round trip a row on PostgreSQL).
        let batch = Self.syntheticBatch
        try await write { db in
            var rows: [any SQLValueConvertible] = []
            var states: [any SQLValueConvertible] = []
            func flush() throws {
                let n = states.count / 2
                guard n > 0 else { return }
                _ = try db.run(Self.syntheticCasesInsert(rows: n), arguments: rows, cached: n == batch)
                _ = try db.run(Self.syntheticStatesInsert(rows: n), arguments: states, cached: n == batch)
                rows.removeAll(keepingCapacity: true)
                states.removeAll(keepingCapacity: true)
            }
            // The indexes built and the indicators' counts made once from the rows, not a row at a time.
            try Self.bulkLoadCases(db, offsetMs: Int64(calendar.utcOffsetSeconds) * 1000) {
                for i in 0..<count {
                    var h = UInt64(truncatingIfNeeded: i) &* 0x9E37_79B9_7F4A_7C15
                    func next(_ n: Int) -> Int {
                        h ^= h >> 29
                        h = h &* 0xBF58_476D_1CE4_E5B9
                        h ^= h >> 32
                        return Int(h % UInt64(n))
                    }
                    var pick = next(totalWeight)
                    var unitIndex = 0
                    while pick >= weights[unitIndex] {
                        pick -= weights[unitIndex]
                        unitIndex += 1
                    }
                    let unit = units[unitIndex]
                    let registered = nowMs - spanMs + Int64(i) * spanMs / Int64(max(count, 1))
                    let age = (nowMs - registered) / day
                    let decided: Int64? = next(100) < 85 ? registered + Int64(next(20)) * day : nil
                    let handlingDue = decided.map { $0 + 60 * day }
                    var status: CaseStatus
                    if age < 90 {
                        status = [.registered, .accepted, .extended, .replied, .closed, .evaluated, .reviewRequested][next(7)]
                    } else {
                        status = next(100) < 2 ? .accepted : [.closed, .closureVerified, .evaluated, .evaluated, .terminated][next(5)]
                    }
                    if decided == nil, status != .registered { status = .rejected }
                    let open = status.isOpen
                    let closed: Int64? =
                        [.closed, .closureVerified, .evaluated, .terminated].contains(status) ? decided.map { $0 + Int64(5 + next(80)) * day } : nil
                    let evaluated: Int64? = status == .evaluated ? closed.map { $0 + Int64(1 + next(20)) * day } : nil
                    let ratings = [Rating.satisfied, .basicallySatisfied, .dissatisfied].map(\.rawValue)
                    let dueKind: String? = open ? (decided == nil ? "notice" : "handling") : nil
                    let dueAt: Int64? = open ? (decided == nil ? registered + 15 * day : handlingDue) : nil
                    let number = Self.syntheticNumber(unit, i)
                    rows += [
                        number, status.rawValue, unit.rawValue, unit.rawValue, "synthetic-\(i)", registered, unit.rawValue, registered,
                        channels[next(channels.count)], categories[next(categories.count)], unit.rawValue, next(100) < 3, "合成信访件\(i)",
                        dueKind, dueAt, closed ?? decided ?? registered, next(100) < 3, open, decided ?? registered, 1 + next(4), unit.rawValue,
                        open && next(100) < 10 ? units[0].rawValue : nil, open && next(100) < 5 ? registered + 30 * day : nil, decided,
                        handlingDue, closed, closed.map { $0 + 30 * day }, evaluated, evaluated.map { _ in ratings[next(3)] },
                        evaluated.map { _ in ratings[next(3)] }, next(100) < 8, next(100) < 2, next(100) < 1 ? 1 : 0, next(100) < 1 ? 12 : 0,
                        registered - Int64(next(3)) * day,
                    ]
                    states += [number, template.joined(separator: number)]
                    if states.count / 2 == batch { try flush() }
                }
                try flush()
            }
        }
    }

    /// Rows a synthetic load inserts a statement: 35 values a case, far under either backend's
    /// limit of bound values (SQLite 32,766, PostgreSQL 65,535).
    static let syntheticBatch = 500

    /// The synthetic cases' insert of `rows` rows (35 values each).
    static func syntheticCasesInsert(rows: Int) -> String {
        let row = """
            (?, ?, ?, ?, 0, 5, ?, ?, ?, ?, ?, 'request', ?, '', '', ?, 0, ?, ?, '', ?, ?, ?,
                ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """
        return """
            INSERT INTO cases (case_number, status, holder, owner, epoch, head_seq, head_hash, registered_at,
                registered_at_node, received_at, channel, purpose, category_l1, category_l2, category_l3, issue_region,
                urgent, law_related, summary, search_text, next_due_kind, next_due_at, last_event_at,
                skip_level, is_open, holder_since, moves, unit_node, assigned_by, supervision_due_at, decided_at,
                handling_due_at, closed_at, eval_due_at, evaluated_at, office_rating, unit_rating, is_repeat,
                joint_letter, collective_batches, collective_persons, petition_received_at)
            VALUES
            """ + Array(repeating: row, count: rows).joined(separator: ",\n")
    }

    /// The synthetic states' insert of `rows` rows.
    static func syntheticStatesInsert(rows: Int) -> String {
        "INSERT INTO case_states (case_number, state_json) VALUES " + Array(repeating: "(?, ?)", count: rows).joined(separator: ", ")
    }

    /// A letter's registered state under the case number `number`.
    private func syntheticState(_ number: String, now: Date) throws -> CaseState {
        let registration = CaseRegistration(
            channel: .letter,
            petitioners: [Petitioner(name: "张伟", mobile: "13900000000", isLead: true)],
            purpose: .request,
            category: ContentCategory("劳动和社会保障", "劳动关系", "拖欠农民工工资"),
            issueRegion: RegionCode(rawValue: node.rawValue),
            summary: "合成信访件",
            text: "合成信访件，供基准测试。",
            receivedAt: now,
            registeredBy: "bench"
        )
        let event = CaseEvent(
            caseNumber: CaseNumber(rawValue: number),
            epoch: 0,
            seq: 1,
            prevHash: nil,
            origin: node,
            time: HLCTimestamp(wallMs: now.milliseconds, logical: 0),
            actor: "bench",
            body: .register(registration)
        )
        return try CaseState.opened(by: event)
    }

    /// The size of the store's database in bytes: SQLite's file (0 in memory), or PostgreSQL's
    /// database.
    package func fileSize() async throws -> Int {
        try await read { db in
            switch db.dialect {
            case .sqlite: (try db.value("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()", as: Int.self)) ?? 0
            case .postgres: (try db.value("SELECT pg_database_size(current_database())", as: Int.self)) ?? 0
            }
        }
    }

    /// `SELECT count(*) FROM cases`: the floor a query over every case cannot beat, for benchmarks.
    package func countAllCases() async throws -> Int {
        try await read { db in try db.value("SELECT count(*) FROM cases", as: Int.self) ?? 0 }
    }
}

/// For the ingest benchmark's limit: the same event rows inserted into a bare table with the same
/// columns and index as the store's `events` (`Migration021EventsByCase`), in the same batches,
/// one durable (`synchronous = FULL`, WAL) transaction a batch, with no checks, no hashing and no
/// state: what SQLite alone allows on this machine. Events per second.
package enum RawInsertBenchmark {
    package static func eventsPerSecond(directory: URL, batches: [[CaseEvent]]) async throws -> Double {
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        SQLiteSetup.apply()
        var config = Configuration()
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        let pool = try DatabasePool(path: directory.appendingPathComponent("raw.sqlite").path, configuration: config)
        try await pool.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE events (hash TEXT NOT NULL, case_number TEXT NOT NULL, epoch INTEGER NOT NULL,
                        seq INTEGER NOT NULL, prev_hash TEXT, origin TEXT NOT NULL, hlc_wall INTEGER NOT NULL, hlc_logical INTEGER NOT NULL,
                        actor TEXT NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL, signature TEXT, stored_at INTEGER NOT NULL, command TEXT) STRICT;
                    CREATE UNIQUE INDEX events_by_case ON events(case_number, seq, epoch, hash)
                    """
            )
        }
        let rows = try batches.map { batch in
            try batch.map { e in
                (e, String(decoding: try CanonicalJSON.encoder.encode(e.body), as: UTF8.self))
            }
        }
        let started = DispatchTime.now().uptimeNanoseconds
        for batch in rows {
            try await pool.write { db in
                let statement = try db.makeStatement(
                    sql: "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)"
                )
                for (e, body) in batch {
                    try statement.execute(arguments: [
                        e.hash, e.caseNumber.rawValue, e.epoch, e.seq, e.prevHash, e.origin.rawValue, e.time.wallMs, e.time.logical,
                        e.actor, e.body.kind, body, e.signature, e.time.wallMs,
                    ])
                }
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        return Double(rows.reduce(0) { $0 + $1.count }) / seconds
    }
}

extension NodeDatabase {
    /// For the benchmarks only: this SQLite store's database as of one commit, copied to `file`
    /// (`VACUUM INTO`), so that a later scenario opens a copy instead of loading the same rows again.
    package func copyDatabase(to file: URL) async throws {
        let writer = try sqliteWriter(for: "a copy of the database file")
        try await writer.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [file.path]) }
    }
}
