import Foundation
import GRDB
import XinfangCore

/// What storing a run of new events takes that needs no database: the fold (each event's hash
/// checked, the lifecycle replayed), the events' rows and the case's materialised row with its
/// state encoded. Worked out from the case as it was stored at `base`; the write transaction takes
/// it only if the case's head is still `base` and the same events are new (`matches`), and works it
/// out again itself otherwise, with the same function (`prepare(_:onto:now:)`).
struct PreparedRun: Sendable {
    /// The head it was worked out from: nil when the case was not stored.
    var base: CaseHead?
    /// The hashes of the new events it stores, in order.
    var fresh: [String]
    /// The state after the new events.
    var next: CaseState
    var events: [EventRow]
    var caseRow: MaterialisedCase

    func matches(head: CaseHead?, fresh run: [CaseEvent]) -> Bool {
        base == head && fresh.elementsEqual(run.lazy.map(\.hash))
    }
}

/// A stored case's head: what a run of events must follow.
struct CaseHead: Sendable, Equatable {
    var seq: Int
    var hash: String
}

extension NodeDatabase {
    /// The outcome of folding new events onto a case: the prepared rows, or the receipt's refusal.
    enum Preparation {
        case prepared(PreparedRun)
        case refused(ChainIntake.Decision)
    }

    /// Folds `fresh` (new events that extend the case, as `ChainIntake` decided) onto `local` (nil:
    /// they open it) and makes their rows and the case's row. Pure: the one place this work is
    /// written, whether it runs before the transaction or inside it.
    func prepare(_ fresh: [CaseEvent], onto local: CaseState?, now: Date) throws -> Preparation {
        guard let topology = hierarchy?.topology, let first = fresh.first else {
            return .refused(.malformed(code: .emptyChain, detail: "no events"))
        }
        var next: CaseState
        let checked: [CaseEvent.Checked]
        do {
            // Each event's hash checked and its body encoded once, for the fold and for its row.
            checked = try fresh.map { event throws(ChainError) in try event.checked() }
            if let local {
                next = local
                if let refused = try ChainIntake.fold(checked[...], onto: &next, topology: topology) { return .refused(refused) }
            } else {
                next = try CaseState.opened(by: first)
                if let refused = try ChainIntake.fold(checked.dropFirst(), onto: &next, topology: topology) { return .refused(refused) }
            }
        } catch {
            return .refused(.refuse(code: .invalidChain, detail: "\(error)"))
        }
        return .prepared(
            PreparedRun(
                base: local.map { CaseHead(seq: $0.headSeq, hash: $0.headHash) },
                fresh: fresh.map(\.hash),
                next: next,
                events: checked.map { eventRow($0.encoded, storedAt: now) },
                caseRow: try caseRow(next, opening: local == nil ? checked.first?.encoded : nil)
            )
        )
    }

    /// A case's head, without decoding its state.
    static func loadHead(_ db: some SQLSession, _ number: CaseNumber) throws -> CaseHead? {
        try db.fetchOne("SELECT head_seq, head_hash FROM cases WHERE case_number = ?", [number.rawValue])
            .map { CaseHead(seq: $0[0], hash: $0[1]) }
    }

    /// Works out a packet's runs for `transaction`, beside it: one read of the cases they name and
    /// of the events the store already has, then each run's head signature checked and its
    /// preparation made, in slices (`runsPerSlice(of:)`) on every core, handed over as each slice is
    /// ready (`RunsAhead`), so the transaction stores the first runs while the next are prepared.
    /// A run that is not a plain extension of its case here (a duplicate, a gap, a fork, a
    /// refusal) gets no preparation: the transaction decides it itself. A failed read prepares
    /// nothing; the transaction then does it all. Packets that arrive together take turns for this
    /// work, in the order they came (`workAheadTurns`): the first has every core until its runs
    /// are ready, and the next one's work runs beside its transaction.
    ///
    /// The read completes before the transaction begins: a store on one connection
    /// (`DatabaseQueue`, the tests') cannot read while its transaction waits for the work.
    func withRunsAhead<T: Sendable>(
        _ runs: [[CaseEvent]],
        now: Date,
        _ transaction: @escaping @Sendable (RunsAhead) async throws -> T
    ) async throws -> T {
        let ahead = RunsAhead(count: runs.count)
        guard let topology = hierarchy?.topology, !runs.isEmpty else {
            ahead.deliver(runs.indices.map { ($0, RunAhead.nothing) })
            return try await transaction(ahead)
        }
        let snapshot = try? await snapshot(of: runs)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                await workAheadTurns.inTurn { await work(runs, snapshot: snapshot, topology: topology, now: now, into: ahead) }
                return nil
            }
            group.addTask { try await transaction(ahead) }
            var result: T?
            for try await value in group where value != nil { result = value }
            return result!
        }
    }

    private func work(
        _ runs: [[CaseEvent]],
        snapshot: (states: [String: String], known: Set<String>)?,
        topology: Topology,
        now: Date,
        into ahead: RunsAhead
    ) async {
        let slices = Array(runs.indices).chunked(Self.runsPerSlice(of: runs.count))
        let workers = Self.cores
        await withTaskGroup(of: Void.self) { group in
            for (number, slice) in slices.enumerated() {
                if number >= workers { await group.next() }
                group.addTask {
                    ahead.deliver(
                        slice.map { index in
                            let run = runs[index]
                            let verified = run.last.map { topology.node($0.origin)?.verifies($0) == true } ?? false
                            let inBounds = run.allSatisfy { $0.body.boundsFailure == nil }
                            let prepared = snapshot.flatMap { snapshot in
                                prepareAhead(run, snapshot: snapshot, verified: verified, inBounds: inBounds, topology: topology, now: now)
                            }
                            return (index, RunAhead(verified: verified, inBounds: inBounds, prepared: prepared))
                        }
                    )
                }
            }
        }
    }

    /// The encoded states of the cases `numbers` names (the ones stored), by case number.
    static func encodedStates(_ db: some SQLSession, _ numbers: [String]) throws -> [String: String] {
        var states: [String: String] = [:]
        for list in inLists(numbers) {
            let rows = try db.rows(
                "SELECT case_number, state_json FROM case_states WHERE case_number IN (\(list.placeholders))",
                arguments: list.arguments,
                cached: true
            )
            for row in rows { states[row[0]] = row[1] }
        }
        return states
    }

    /// The cores the work ahead spreads over, read once: Foundation reads them from `/proc` and
    /// the cgroup files on every call (two file reads a packet).
    static let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Runs per slice of the work done ahead: small enough that the writer soon has the first
    /// (at most `runsPerSliceMax`), and a packet of fewer runs than that a core is cut in one
    /// slice a core, so that its work, too, is done on every core: a packet of 10 new cases in one
    /// slice kept the writer waiting for one core to check and fold them all (P2 under load).
    static func runsPerSlice(of runs: Int) -> Int {
        max(1, min(runsPerSliceMax, (runs + cores - 1) / cores))
    }

    static let runsPerSliceMax = 16

    /// The states of the cases `runs` name and which of their events (and predecessors) are stored.
    private func snapshot(of runs: [[CaseEvent]]) async throws -> (states: [String: String], known: Set<String>) {
        let numbers = Array(Set(runs.compactMap { $0.first?.caseNumber.rawValue }))
        return try await read { db in (try Self.encodedStates(db, numbers), try Self.storedHashes(db, of: runs)) }
    }

    /// Which of the runs' events, and of their predecessors, are stored: the hashes stored under
    /// the runs' cases, kept where a run names them. A predecessor stored under another case is not
    /// the event's.
    ///
    /// Each backend reads them by its own key. SQLite finds a case's events under the case
    /// (`events_by_case`, migration 021; it has no index on the hash). PostgreSQL keeps its events
    /// keyed by their hash, and looks the wanted hashes up by that key: its planner knows a key's
    /// value matches one row before it has statistics, while a list of 200 case numbers in a table
    /// never analysed (a new store filling up, autovacuum's first pass a minute away) was estimated
    /// at every row, and each packet scanned the whole table twice (P9: 158 scans reading 2.4
    /// million rows by the time 29,000 events were stored).
    static func storedHashes(_ db: some SQLSession, of runs: [[CaseEvent]]) throws -> Set<String> {
        let wanted = Set(runs.joined().flatMap { event in [event.hash] + (event.prevHash.map { [$0] } ?? []) })
        let numbers = Set(runs.compactMap { $0.first?.caseNumber.rawValue })
        let byHash = db.dialect == .postgres
        var known = Set<String>()
        for list in inLists(byHash ? wanted.sorted() : numbers.sorted()) {
            let sql =
                byHash
                ? "SELECT hash, case_number FROM events WHERE hash IN (\(list.placeholders))"
                : "SELECT hash FROM events WHERE case_number IN (\(list.placeholders))"
            for row in try db.rows(sql, arguments: list.arguments, cached: true) {
                guard let hash = row["hash"] as String?, wanted.contains(hash) else { continue }
                // Found by its hash: kept only under one of the runs' cases, as SQLite's read finds it.
                if byHash, !numbers.contains(row["case_number"]) { continue }
                known.insert(hash)
            }
        }
        return known
    }

    private func prepareAhead(
        _ run: [CaseEvent],
        snapshot: (states: [String: String], known: Set<String>),
        verified: Bool,
        inBounds: Bool,
        topology: Topology,
        now: Date
    ) -> PreparedRun? {
        let json = run.first.flatMap { snapshot.states[$0.caseNumber.rawValue] }
        let local: CaseState?
        if let json {
            guard let decoded = try? CaseState.decodeCanonical(json) else { return nil }
            local = decoded
        } else {
            local = nil
        }
        let decision = ChainIntake.decide(
            run,
            local: local.map { ChainIntake.Local(headSeq: $0.headSeq, headHash: $0.headHash) },
            isKnown: snapshot.known.contains,
            topology: topology,
            verifiedHeads: verified ? [run.last!.hash] : [],
            inBounds: inBounds
        )
        guard case .extend(let fresh) = decision, case .prepared(let prepared) = try? prepare(fresh, onto: local, now: now) else { return nil }
        return prepared
    }

    /// Bound variables per `IN (…)` list at most, well under SQLite's limit; a power of two.
    static let variablesPerQuery = 512

    static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ", ")
    }

    /// `keys` as the lists of `IN (…)` queries, one statement a list: at most `variablesPerQuery`
    /// keys a list, each list padded to a power of two by repeating its last key (`IN` matches a
    /// row once however often its key is listed). A query then has at most ten shapes, which the
    /// connection keeps prepared (`cached: true`); preparing a packet's reads anew at every packet,
    /// each with its list of 200 case numbers, took 4.5 % of the writer thread's time in P1
    /// (docs/BENCHMARKS.md, "Texts bound in place, reads kept prepared, three packets on the wire").
    static func inLists<Key: SQLValueConvertible>(_ keys: some Collection<Key>) -> [InList] {
        Array(keys).chunked(variablesPerQuery).map { chunk in
            let size = 1 << (Int.bitWidth - (chunk.count - 1).leadingZeroBitCount)
            let padding = Array(repeating: chunk.last!, count: size - chunk.count)
            return InList(placeholders: paddedPlaceholders[size.trailingZeroBitCount], arguments: Array(chunk) + padding)
        }
    }

    /// The placeholders of a list of each power of two up to `variablesPerQuery`, written once.
    private static let paddedPlaceholders = (0...variablesPerQuery.trailingZeroBitCount).map { placeholders(1 << $0) }
}

/// One list of an `IN (…)` query (`NodeDatabase.inLists`): its placeholders and their values.
struct InList {
    let placeholders: String
    let arguments: [any SQLValueConvertible]
}

extension Array {
    /// The array in consecutive slices of at most `size` elements.
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min(count, $0 + size)] }
    }
}

/// What was worked out ahead for one run: whether its head's signature verifies, whether every
/// one of its events lies within the bounds (`CaseEventBody.boundsFailure`), and its preparation
/// (nil: the transaction works it out).
struct RunAhead: Sendable {
    var verified: Bool
    var inBounds: Bool
    var prepared: PreparedRun?

    /// Nothing worked out ahead: the transaction checks and prepares the run itself.
    static let nothing = RunAhead(verified: false, inBounds: false, prepared: nil)
}

/// The runs of a packet worked out ahead, handed from the tasks that make them to the write
/// transaction that waits for each in turn (on GRDB's writer thread, never on Swift's cooperative
/// threads, which make them).
final class RunsAhead: @unchecked Sendable {
    private let condition = NSCondition()
    private var runs: [RunAhead?]

    init(count: Int) { runs = Array(repeating: nil, count: count) }

    func deliver(_ made: [(Int, RunAhead)]) {
        condition.lock()
        for (index, run) in made { runs[index] = run }
        condition.broadcast()
        condition.unlock()
    }

    /// Run `index`'s work, waiting until it is delivered.
    func take(_ index: Int) -> RunAhead {
        condition.lock()
        defer { condition.unlock() }
        while runs[index] == nil { condition.wait() }
        return runs[index]!
    }
}
