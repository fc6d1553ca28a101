public import Foundation
import GRDB
import Synchronization
public import XinfangCore

/// One node's store: the case chains and their materialised state, in one SQLite file.
///
/// Every intent-named method is one transaction: a registration or an action reads the current
/// state, asks the lifecycle, appends the event and updates the materialised row together, so a
/// crash leaves either all of it or none. Production opens a WAL `DatabasePool` with
/// `synchronous = FULL`, so a committed (acknowledged) event survives `kill -9` and power loss.
public struct NodeDatabase: Sendable {
    /// Where the store's rows are.
    enum Backend: Sendable {
        /// One SQLite file (or memory) through GRDB: every node's default.
        case sqlite(any DatabaseWriter)
        /// A database server's transactions (PostgreSQL, `XinfangPostgres`) through the seam.
        case server(any SQLTransactions)
    }

    let backend: Backend
    /// The node this store belongs to.
    public let node: NodeID
    /// The calendar the materialised deadlines were computed with.
    public let calendar: DeadlineCalendar
    /// The tree, this node's key and the policy; nil for a standalone node.
    public let hierarchy: Hierarchy?
    /// Seals petitioners' personal data before it enters a chain, and opens it for those allowed.
    public let personalData: PersonalDataProtector
    /// Wakes the sync dispatcher after a commit that put something in the outbox.
    public let outboxSignal: OutboxSignal
    /// The newest peer protocol version each neighbour stated, per sending session.
    public let peerVersions = PeerVersions()
    /// Which of the node's servers runs its background work (`NodeLeadership`); nil for a store
    /// with one server (SQLite), which always does.
    public let leadership: (any NodeLeadership)?
    /// How many transactions this store has run (reads and writes): what the sync loop's idle
    /// tests and the metrics count.
    public let transactions = TransactionCounter()
    /// The case file's bytes (`BlobStore`): `blobs/` beside the database file.
    public let blobs: BlobStore
    /// Whether stored events queue notifications (on when the config names a gateway), and the
    /// signal that wakes the sender after a commit that queued one.
    public let notifications = NotificationQueueSwitch()
    /// Where new 查询码 come from: the system's random generator, or a seeded one (the simulator,
    /// whose runs must repeat).
    public let lookupCodes = LookupCodeSource()
    /// The reconciliation round's answers for the cases it evaluated, kept for the next round.
    let caseFlagMemo = CaseFlagMemo()
    /// The packets' work done ahead of their transactions, one packet at a time in arrival order
    /// (`withRunsAhead`).
    let workAheadTurns = TurnGate()
    /// Whether commits wait for fsync (`synchronous = FULL`, a node's store), so that
    /// `writeUnsynced` has something to relax.
    let syncsCommits: Bool
    /// The statements that add what SQLite's daily-count triggers staged (`DailyCounts.flushSQL`),
    /// which every write transaction runs before it commits; none on a database server, whose
    /// triggers count per statement.
    let stagedCountsFlush: [String]

    /// How long a writer waits for a lock before the store reports `.busy`.
    public static let busyTimeoutSeconds: TimeInterval = 5

    init(
        backend: Backend,
        node: NodeID,
        calendar: DeadlineCalendar,
        hierarchy: Hierarchy?,
        personalData: PersonalDataProtector,
        blobDirectory: URL,
        syncsCommits: Bool = false,
        report: ProgressReport? = nil
    ) throws {
        self.backend = backend
        self.blobs = BlobStore(directory: blobDirectory, protector: personalData)
        self.syncsCommits = syncsCommits
        self.personalData = personalData
        self.node = node
        self.calendar = calendar
        self.hierarchy = hierarchy
        self.outboxSignal = OutboxSignal()
        switch backend {
        case .server(let server):
            leadership = server.leadership()
            stagedCountsFlush = []
        case .sqlite:
            leadership = nil
            stagedCountsFlush = DailyCounts.flushSQL(offsetMs: DailyCounts.offsetMs(calendar))
        }
        if case .sqlite(let writer) = backend { try Self.translating { try upgradeSchema(writer, report: report) } }
    }

    /// The file name of a node's database inside its data directory.
    public static let fileName = "xinfang.sqlite"

    /// How a commit reaches the disk.
    public enum Durability: Sendable {
        /// `synchronous = FULL`: a committed transaction survives a crash of the process and of
        /// the machine. Production.
        case full
        /// `synchronous = OFF`: a committed transaction survives the process closing the store
        /// (the operating system still holds it), not a power loss. For the simulator, which
        /// crashes nodes by closing their stores thousands of times a second.
        case processCrashOnly
    }

    /// SQLite's page cache per connection, in KiB (its default is 2,000). A packet's new cases touch
    /// pages all over the indexes keyed by hashes and digests; with the default cache the writer
    /// spilled dirty pages to the WAL in mid-transaction and read them back, several writes a page.
    /// The cache grows only as pages are used: an idle node does not pay for it.
    public static let pageCacheKiB = 65_536

    /// How much of the store file the writer's connection maps (SQLite's `mmap_size`), at most.
    public static let writerMapBytes = 256 << 20

    /// Opens (creating if needed) the node's database in `directory`.
    public static func open(
        directory: URL,
        node: NodeID,
        calendar: DeadlineCalendar,
        hierarchy: Hierarchy? = nil,
        durability: Durability = .full,
        personalData: PersonalDataProtector = .development,
        report: ProgressReport? = nil
    ) throws -> NodeDatabase {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        SQLiteSetup.apply()
        var config = Configuration()
        config.busyMode = .timeout(busyTimeoutSeconds)
        config.foreignKeysEnabled = true
        config.prepareDatabase { db in
            try db.execute(sql: durability == .full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = OFF")
            try db.execute(sql: "PRAGMA cache_size = -\(pageCacheKiB)")
            // Each received run is a savepoint, whose journal of the pages it changes was a temporary
            // file: two writes per page, half the writes of a packet. In memory it is a copy.
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
            // The writer reads the pages it changes through a mapping of the file instead of a
            // read into its cache: about 3 % less CPU an event in P1 (docs/BENCHMARKS.md). Readers
            // keep reading, so a province's answers do not map its whole store (the mapped pages
            // count in the process's resident memory, as page cache).
            if !db.configuration.readonly { try db.execute(sql: "PRAGMA mmap_size = \(writerMapBytes)") }
        }
        let pool = try translating { try DatabasePool(path: directory.appendingPathComponent(fileName).path, configuration: config) }
        return try NodeDatabase(
            backend: .sqlite(pool),
            node: node,
            calendar: calendar,
            hierarchy: hierarchy,
            personalData: personalData,
            blobDirectory: directory.appendingPathComponent("blobs"),
            syncsCommits: durability == .full,
            report: report
        )
    }

    /// An in-memory store, for tests.
    public static func inMemory(
        node: NodeID,
        calendar: DeadlineCalendar = .standard,
        hierarchy: Hierarchy? = nil,
        personalData: PersonalDataProtector = .development
    ) throws -> NodeDatabase {
        SQLiteSetup.apply()
        var config = Configuration()
        config.foreignKeysEnabled = true
        return try NodeDatabase(
            backend: .sqlite(try DatabaseQueue(configuration: config)),
            node: node,
            calendar: calendar,
            hierarchy: hierarchy,
            personalData: personalData,
            blobDirectory: FileManager.default.temporaryDirectory.appendingPathComponent("xinfang-blobs-\(UUID().uuidString)")
        )
    }

    /// Runs `body`, translating SQLite errors into `StoreError` at the store boundary.
    static func translating<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch { throw translated(error) }
    }

    static func translated(_ error: any Error) -> any Error {
        if let violation = error as? SQLConstraintViolation { return StoreError.database(violation.message) }
        guard let error = error as? DatabaseError else { return error }
        switch error.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED: return StoreError.busy
        default: return StoreError.database(error.description)
        }
    }
}

// MARK: - Registration and actions

extension NodeDatabase {
    /// A client's key for retrying a registration safely, with a fingerprint of the request body.
    public struct IdempotencyKey: Sendable {
        public var key: String
        public var fingerprint: String
        public init(key: String, fingerprint: String) {
            self.key = key
            self.fingerprint = fingerprint
        }
    }

    /// Registers a petition (登记): mints its number and appends the opening event.
    ///
    /// Idempotent under `idempotencyKey`: the same key with the same request returns the case it
    /// created (`created == false`); with another request it is refused. `receivedAtPastMaxDays`
    /// bounds how old the receipt may be (a ledger import takes years of history).
    public func register(
        _ registration: CaseRegistration,
        actor: String,
        now: Date,
        idempotencyKey: IdempotencyKey? = nil,
        receivedAtPastMaxDays: Int = RegistrationLimits.receivedAtPastMaxDays
    ) async throws -> (state: CaseState, created: Bool) {
        let checked: CaseRegistration
        do { checked = try registration.validated(now: now, receivedAtPastMaxDays: receivedAtPastMaxDays) } catch { throw StoreError.invalid(error) }
        let audit = AuditScope.current
        let (state, created) = try await write { db in
            if let idempotencyKey {
                if let row = try db.fetchOne(
                    "SELECT request_hash, case_number FROM registration_keys WHERE idempotency_key = ?",
                    [idempotencyKey.key]
                ) {
                    let number = CaseNumber(rawValue: row["case_number"])
                    guard (row["request_hash"] as String) == idempotencyKey.fingerprint else {
                        throw StoreError.idempotencyKeyReused(key: idempotencyKey.key, caseNumber: number)
                    }
                    guard let state = try Self.loadState(db, number) else { throw StoreError.caseNotFound(number) }
                    return (state, false)
                }
            }
            let sequence = (Int(try NodeMeta.get(db, "case_seq") ?? "0") ?? 0) + 1
            try NodeMeta.set(db, "case_seq", String(sequence))
            let number = CaseNumber.mint(node: node, date: calendar.civilDate(of: now), sequence: sequence)
            // The request's audit row (committed with this transaction) names the new case.
            audit?.update {
                $0.action = "case.register"
                $0.object = number.rawValue
            }
            var valid = checked
            valid.petitioners = try valid.petitioners.map { try personalData.protect($0) }
            valid.intake = try intakeFinding(db, for: valid)
            // 查询码: issued here, never taken from a client; none for a case the lookup never serves.
            valid.lookup = PublicLookup.exclusion(of: valid) == nil ? try lookupCodes.next(personalData).seal : nil
            var state = try append(db, to: nil, caseNumber: number, body: .register(valid), actor: actor, command: nil, now: now)
            state = try followIntake(db, state, actor: actor, now: now)
            if let idempotencyKey {
                try db.execute(
                    "INSERT INTO registration_keys (idempotency_key, request_hash, case_number, created_at) VALUES (?, ?, ?, ?)",
                    [idempotencyKey.key, idempotencyKey.fingerprint, number.rawValue, now.milliseconds]
                )
            }
            return (state, true)
        }
        if created { outboxSignal.notify() }
        return (state, created)
    }

    /// The intake check (同人同事): the earlier cases of the same petitioners in this store (which
    /// holds its whole subtree), and what the rule makes of them.
    func intakeFinding(_ db: some SQLSession, for registration: CaseRegistration) throws -> IntakeFinding? {
        let keys = PetitionerMatch.keys(of: registration, protector: personalData)
        var numbers = registration.linkedCases.map(\.rawValue)
        if !keys.isEmpty {
            numbers += try db.rows(
                "SELECT DISTINCT case_number FROM petitioner_keys WHERE match_key IN (\(keys.map { _ in "?" }.joined(separator: ","))) LIMIT ?",
                arguments: keys as [any SQLValueConvertible] + [IntakeCheck.candidatesMax],
                cached: false
            ).compactMap { $0[0] as String? }
        }
        let candidates = try Set(numbers).sorted().prefix(IntakeCheck.candidatesMax).compactMap { try Self.loadState(db, CaseNumber(rawValue: $0)) }
        return IntakeCheck.finding(for: registration, at: node, candidates: candidates, topology: hierarchy?.topology)
    }

    /// What follows a registration: the earlier cases' holders are told of the repeat (a
    /// `repeatPetition` command), a 越级访 is transferred to the node handling the matter, and a
    /// matter already re-reviewed or terminated is refused (不再受理) citing the earlier case.
    func followIntake(_ db: some SQLSession, _ registered: CaseState, actor: String, now: Date) throws -> CaseState {
        let r = registered.registration
        var linked = r.linkedCases
        if let finding = r.intake, finding.kind != .refusedRepeat, !linked.contains(finding.earlierCase) { linked.append(finding.earlierCase) }
        for earlier in linked where hierarchy != nil {
            // 重复信访: tell the earlier case's holder, wherever it is.
            try submit(db, caseNumber: earlier, action: .repeatPetition(newCase: registered.caseNumber, note: nil), actor: actor, now: now)
        }
        guard let finding = r.intake else { return registered }
        let number = registered.caseNumber
        switch finding.kind {
        case .repeatPetition:
            return registered
        case .skipLevel:
            var note = "越级访：该事项已由 \(finding.earlierHolder) 受理办理（信访件 \(finding.earlierCase)），本级不予受理，转交办理机关。"
            var target = finding.earlierHolder
            if let topology = hierarchy?.topology {
                // Never to the organ a complaint accuses: the level above it takes the transfer.
                guard let routed = AccusedOrgan.route(to: target, for: registered, topology: topology, stage: "越级访转交") else { return registered }
                target = routed.node
                if let why = routed.note { note += why }
            }
            if target == node { return registered }
            return try append(
                db,
                to: registered,
                caseNumber: number,
                body: .act(.offer(to: target, mode: .transfer, dueAt: nil, note: note)),
                actor: actor,
                command: nil,
                now: now
            )
        case .refusedRepeat:
            let reason = "该事项已经复核或终结（信访件 \(finding.earlierCase)），依《信访工作条例》第三十六条不再受理。"
            return try append(
                db,
                to: registered,
                caseNumber: number,
                body: .act(.refuseRepeat(earlierCase: finding.earlierCase, reason: reason)),
                actor: actor,
                command: nil,
                now: now
            )
        }
    }

    /// Applies one lifecycle action to a case this node holds: checks it, appends it, materialises.
    public func act(on number: CaseNumber, action: CaseAction, actor: String, now: Date) async throws -> CaseState {
        let state = try await write { db in
            guard let state = try Self.loadState(db, number) else { throw StoreError.caseNotFound(number) }
            let completed = try admit(action, on: state, now: now)
            if case .takeOver = completed { throw StoreError.refused(.notAnAncestor(holder: state.holder)) }
            guard case .resolveConflict(let branch, let decision, _) = completed else {
                return try append(db, to: state, caseNumber: number, body: .act(completed), actor: actor, command: nil, now: now)
            }
            guard try Self.openConflict(db, number, branch: branch) else {
                throw StoreError.invalid(.invalid("branch", "该件没有以 \(branch.prefix(12))… 开始的未处理冲突分支。"))
            }
            let resolved = try append(db, to: state, caseNumber: number, body: .act(completed), actor: actor, command: nil, now: now)
            return try settleResolution(db, number, state: resolved, branch: branch, decision: decision, now: now)
        }
        outboxSignal.notify()
        return state
    }

    /// The decision context of this node at `now`.
    func context(now: Date) -> ActionContext { ActionContext(node: node, now: now, calendar: calendar, topology: hierarchy?.topology) }

    /// Completes an action with the node parameters the policy names (`Hierarchy.completed`) and
    /// passes it through the lifecycle (`Lifecycle.admit`): the form to append, or the refusal.
    func admit(_ action: CaseAction, on state: CaseState, now: Date) throws -> CaseAction {
        let completed = hierarchy?.completed(action, state: state) ?? action
        do { return try Lifecycle.admit(completed, on: state, context: context(now: now)) } catch { throw StoreError.refused(error) }
    }

    /// Appends one event made here (signed when the node has a key), materialises the new state and
    /// enqueues its replication, inside the caller's transaction.
    ///
    /// Every event a node makes passes here, so here is where its bounds are checked: an action is
    /// stored in its validated form (`CaseAction.validated()`), a registration only within the
    /// bounds a receiver checks too, so no caller can write an event the node cannot read back.
    func append(
        _ db: some SQLSession,
        to current: CaseState?,
        caseNumber: CaseNumber,
        body: CaseEventBody,
        actor: String,
        command: CaseCommand?,
        now: Date
    ) throws -> CaseState {
        let raisesEpoch: Bool = if case .act(.takeOver) = body { true } else { false }
        let body = try Self.bounded(body)
        var event = CaseEvent(
            caseNumber: caseNumber,
            epoch: (current?.epoch ?? 0) + (raisesEpoch ? 1 : 0),
            seq: (current?.headSeq ?? 0) + 1,
            prevHash: current?.headHash,
            origin: node,
            time: try nextTime(db, now: now),
            actor: actor,
            body: body,
            command: command,
            format: writtenFormats.event
        )
        hierarchy?.key.sign(&event)
        var state: CaseState
        do {
            if var current {
                try current.apply(event, topology: hierarchy?.topology)
                state = current
            } else {
                state = try CaseState.opened(by: event)
            }
        } catch { throw StoreError.brokenChain(error) }
        try save(db, state)  // the row before its event: see `receive`
        try insert(db, event)
        try recordFiles(db, named: [event], of: state, from: nil, now: now)
        try queueNotifications(db, for: [event], of: state, now: now)
        try enqueueReplication(db, of: state, receivedFrom: nil, now: now)
        return state
    }

    /// The formats this node writes: the hierarchy's (`Topology.formats`); a standalone node's, the newest.
    var writtenFormats: DataFormats { hierarchy?.topology.writtenFormats ?? .newest }

    /// The body in the form the chain stores, or `StoreError.invalid` when a bound is broken.
    static func bounded(_ body: CaseEventBody) throws -> CaseEventBody {
        do { return try body.bounded() } catch { throw StoreError.invalid(error) }
    }

    /// The next hybrid-logical-clock time stamp, persisted so it never repeats across restarts.
    func nextTime(_ db: some SQLSession, now: Date) throws -> HLCTimestamp {
        let next = HLCTimestamp.tick(after: try NodeMeta.clock(db), nowMs: now.milliseconds)
        try NodeMeta.setClock(db, next)
        return next
    }
}

/// The source of new 查询码: the system's random generator unless a seed is given.
public final class LookupCodeSource: Sendable {
    private let seeded = Mutex<SeededRandom?>(nil)

    init() {}

    /// Draws codes from `seed` from now on (the simulator: the same run makes the same codes).
    public func useSeed(_ seed: UInt64) { seeded.withLock { $0 = SeededRandom(seed: seed) } }

    public func next(_ protector: PersonalDataProtector) throws -> (code: LookupCode, seal: LookupSeal) {
        try seeded.withLock { seeded in
            guard var random = seeded else {
                var system = SystemRandomNumberGenerator()
                return try protector.newLookupCode(using: &system)
            }
            defer { seeded = random }
            return try protector.newLookupCode(using: &random)
        }
    }
}

// MARK: - Reads

extension NodeDatabase {
    /// The current state of a case, or nil when it is not stored here.
    public func caseState(_ number: CaseNumber) async throws -> CaseState? {
        try await read { db in try Self.loadState(db, number) }
    }

    /// The case a registration made under this idempotency key, if any.
    public func caseNumber(forIdempotencyKey key: String) async throws -> CaseNumber? {
        try await read { db in
            try db.value("SELECT case_number FROM registration_keys WHERE idempotency_key = ?", [key], as: String.self)
                .map(CaseNumber.init(rawValue:))
        }
    }

    /// The chain of a case, in order.
    public func events(of number: CaseNumber) async throws -> [CaseEvent] {
        try await read { db in try Self.loadEvents(db, number) }
    }

    /// How many cases and events are stored.
    /// Whether the store answers a read and every migration this build knows has been applied
    /// (a readiness probe's check).
    public func isMigrated() async throws -> Bool {
        switch backend {
        case .sqlite(let writer):
            do { return try await writer.read { db in try Self.migrator.hasCompletedMigrations(db) } } catch { throw Self.translated(error) }
        case .server:
            // The server's migrations were checked when the store opened: a read shows it answers.
            return try await read { db in try db.value("SELECT 1", as: Int.self) == 1 }
        }
    }

    public func counts() async throws -> (cases: Int, events: Int) {
        try await read { db in
            (
                try db.value("SELECT COUNT(*) FROM cases", as: Int.self) ?? 0,
                try db.value("SELECT COUNT(*) FROM events", as: Int.self) ?? 0
            )
        }
    }
}

// MARK: - Rows

extension NodeDatabase {
    static func loadState(_ db: some SQLSession, _ number: CaseNumber) throws -> CaseState? {
        guard let json = try db.value("SELECT state_json FROM case_states WHERE case_number = ?", [number.rawValue], as: String.self)
        else {
            return nil
        }
        return try CaseState.decodeCanonical(json)
    }
}

extension CaseEvent {
    init(row: SQLRow) throws {
        let body = try CanonicalJSON.decoder.decode(CaseEventBody.self, from: Data((row["body"] as String).utf8))
        self.init(
            caseNumber: CaseNumber(rawValue: row["case_number"]),
            epoch: row["epoch"],
            seq: row["seq"],
            prevHash: row["prev_hash"],
            origin: NodeID(row["origin"] as String),
            time: HLCTimestamp(wallMs: row["hlc_wall"], logical: row["hlc_logical"]),
            actor: row["actor"],
            body: body,
            command: try (row["command"] as String?).map { try CanonicalJSON.decoder.decode(CaseCommand.self, from: Data($0.utf8)) },
            format: row["format"] ?? 1
        )
        // Keep the stored hash: a mismatch with the recomputed one is what `fold` detects.
        self.hash = row["hash"]
        self.signature = row["signature"]
    }
}

extension HLCTimestamp {
    init?(stored: String) {
        let parts = stored.split(separator: ".")
        guard parts.count == 2, let wall = Int64(parts[0]), let logical = Int32(parts[1]) else { return nil }
        self.init(wallMs: wall, logical: logical)
    }

    var stored: String { "\(wallMs).\(logical)" }
}

extension Date {
    /// Milliseconds since 1970, as stored: the canonical form's (`CanonicalJSON.milliseconds`).
    public var milliseconds: Int64 { CanonicalJSON.milliseconds(self) }

    /// The date of a stored millisecond count.
    public init(milliseconds: Int64) { self.init(timeIntervalSince1970: Double(milliseconds) / 1000) }
}

/// The store by its node and kind, never its contents' keys (the data keyring it holds, which a
/// default description would print wherever a value holding the store is logged).
extension NodeDatabase: Redacted {
    public var redactedDescription: String {
        switch backend {
        case .sqlite: "NodeDatabase(node: \(node), SQLite)"
        case .server: "NodeDatabase(node: \(node), database server)"
        }
    }
}
