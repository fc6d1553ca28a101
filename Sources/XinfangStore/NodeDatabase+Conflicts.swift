public import Foundation
import GRDB
public import XinfangCore

/// A branch that lost at a fork of a case, as the case view and the flags show it.
public struct CaseConflict: Codable, Sendable, Equatable {
    public var caseNumber: CaseNumber
    /// The hash of the losing branch's first event: names the conflict.
    public var branch: String
    public var forkSeq: Int
    public var winnerOrigin: NodeID
    public var loserOrigin: NodeID
    public var loserHead: String
    public var loserEvents: Int
    public var detectedAt: Date
    public var resolvedAt: Date?
    public var decision: ConflictDecision?
}

// MARK: - Chains with forks

extension NodeDatabase {
    /// Whether case `number` has an event with `hash` stored (found through the case's index: an
    /// event's hash covers its case, so one stored under another case is not its).
    static func hasEvent(_ db: some SQLSession, hash: String, of number: String) throws -> Bool {
        try db.value("SELECT 1 FROM events WHERE case_number = ? AND hash = ?", [number, hash], as: Bool.self) ?? false
    }

    /// Every stored event of a case, on every branch, by position.
    static func loadAllEvents(_ db: some SQLSession, _ number: CaseNumber) throws -> [CaseEvent] {
        try db.fetchAll("SELECT * FROM events WHERE case_number = ? ORDER BY seq, epoch, hash", [number.rawValue])
            .map(CaseEvent.init(row:))
    }

    /// The case's chain: from the registration to the materialised head (the winner of any fork).
    static func loadEvents(_ db: some SQLSession, _ number: CaseNumber) throws -> [CaseEvent] {
        let all = try loadAllEvents(db, number)
        guard let head = try db.value("SELECT head_hash FROM cases WHERE case_number = ?", [number.rawValue], as: String.self) else {
            return all
        }
        if all.count == all.last?.seq, all.last?.hash == head { return all }
        return EventTree(all).path(to: head)
    }

    /// The events of the case's chain after `seq`, at most `limit`, as a batch's run: each in its
    /// canonical JSON, copied from its row (`StoredEventJSON`); nil when there are none. `forked`
    /// says whether the case's events have a fork (`forkedCases`, asked once for a whole packet).
    static func chainRun(_ db: some SQLSession, _ number: CaseNumber, after seq: Int, limit: Int, forked: Bool) throws -> OutboxRun? {
        if forked { return try OutboxRun(winningEvents(db, number, after: seq, limit: limit)) }
        let rows = try storedEvents(db, number, after: seq, limit: limit)
        guard let last = rows.last else { return nil }
        return OutboxRun(caseNumber: number, lastSeq: last["seq"], events: rows.map(StoredEventJSON.json))
    }

    /// The events of the case's chain after `seq`, at most `limit`.
    static func chainEvents(_ db: some SQLSession, _ number: CaseNumber, after seq: Int, limit: Int) throws -> [CaseEvent] {
        if try !forkedCases(db, [number.rawValue]).isEmpty { return try winningEvents(db, number, after: seq, limit: limit) }
        return try storedEvents(db, number, after: seq, limit: limit).map(CaseEvent.init(row:))
    }

    /// Without a fork the events stored after `seq`, in order, are the chain's.
    private static func storedEvents(_ db: some SQLSession, _ number: CaseNumber, after seq: Int, limit: Int) throws -> [SQLRow] {
        try db.fetchAll("SELECT * FROM events WHERE case_number = ? AND seq > ? ORDER BY seq LIMIT ?", [number.rawValue, seq, limit])
    }

    /// With a fork they may all lie on a losing branch: a forked case walks its winning chain.
    private static func winningEvents(_ db: some SQLSession, _ number: CaseNumber, after seq: Int, limit: Int) throws -> [CaseEvent] {
        Array(try loadEvents(db, number).filter { $0.seq > seq }.prefix(limit))
    }

    /// Which of the cases `numbers` has a fork: more events stored than its head's sequence number
    /// (a chain without a fork has exactly one event for each number up to its head), counted as
    /// `PacketReads` counts them. One statement for as many cases as a packet carries; the sender
    /// asked two a case before.
    static func forkedCases(_ db: some SQLSession, _ numbers: [String]) throws -> Set<String> {
        var forked = Set<String>()
        for list in inLists(numbers) {
            let rows = try db.rows(
                """
                SELECT case_number FROM cases WHERE case_number IN (\(list.placeholders))
                    AND head_seq <> (SELECT COUNT(*) FROM events WHERE events.case_number = cases.case_number)
                """,
                arguments: list.arguments,
                cached: true
            )
            for row in rows { forked.insert(row[0]) }
        }
        return forked
    }

    /// After a run arrived on another branch than the head: the fork rule picks the head, the
    /// materialised state follows it, peers that held the old head get the new chain from the fork,
    /// and every losing branch is recorded and sent on, so every level sees the same history.
    func settleFork(
        _ db: some SQLSession,
        _ number: CaseNumber,
        previous: CaseState,
        tree: EventTree,
        sender: NodeID,
        senderHead: CaseEvent,
        now: Date
    ) throws -> CaseState {
        guard let hierarchy else { return previous }
        let chain = tree.winningChain(topology: hierarchy.topology)
        let state: CaseState
        do { state = try CaseState.fold(chain, topology: hierarchy.topology) } catch { throw StoreError.brokenChain(error) }
        try save(db, state)
        if state.headHash != previous.headHash, let fork = ForkRule.compare(tree.path(to: previous.headHash), chain, topology: hierarchy.topology) {
            for (id, item) in try OutboxTable.rows(db, kind: .chain, case: number) {
                try OutboxTable.save(db, id: id, item.rewound(forkSeq: fork.forkSeq, head: state.headSeq, now: now), was: item, now: now)
            }
        }
        try refreshConflicts(db, number, state: state, tree: tree, now: now)
        let senderHasHead = chain.last?.hash == senderHead.hash
        try enqueueReplication(db, of: state, receivedFrom: senderHasHead ? sender : nil, now: now)
        // The sender gets the other branches too (not the one it sent).
        try enqueueBranches(db, number, to: [sender], except: senderHead.hash, now: now)
        return state
    }

    /// The nodes that took part in the case's losing branches: they keep receiving the case.
    static func losingParticipants(_ db: some SQLSession, _ number: CaseNumber) throws -> [NodeID] {
        try db.values("SELECT loser_participants FROM conflicts WHERE case_number = ?", [number.rawValue], as: String.self)
            .flatMap { $0.split(separator: ",").map { NodeID(String($0)) } }
    }

    /// The heads of the case's losing branches.
    static func losingLeaves(_ db: some SQLSession, _ number: CaseNumber) throws -> [String] {
        try db.values("SELECT loser_leaves FROM conflicts WHERE case_number = ?", [number.rawValue], as: String.self)
            .flatMap { $0.split(separator: ",").map(String.init) }
    }

    /// Enqueues every losing branch of the case for each peer (a peer that has it drops it as known);
    /// `leaves` are the branches' heads when the caller has read them.
    func enqueueBranches(
        _ db: some SQLSession,
        _ number: CaseNumber,
        to peers: [NodeID],
        except skipped: String? = nil,
        leaves known: [String]? = nil,
        now: Date
    ) throws {
        guard !peers.isEmpty else { return }
        let leaves = try known ?? Self.losingLeaves(db, number)
        for head in leaves where head != skipped {
            for peer in peers {
                // A branch already queued for the peer keeps its place.
                try OutboxTable.upsert(db, .branch(peer, number, head: head), new: .branch(now: now), now: now) { $0 }
            }
        }
    }

    /// Rewrites the case's rows in `conflicts` from its event tree and the resolutions on its chain.
    @discardableResult
    func refreshConflicts(
        _ db: some SQLSession,
        _ number: CaseNumber,
        state: CaseState,
        tree given: EventTree?,
        now: Date
    ) throws -> [EventTree.Branch] {
        guard let hierarchy else { return [] }
        let tree = try given ?? EventTree(Self.loadAllEvents(db, number))
        guard tree.isForked else {
            try db.execute("DELETE FROM conflicts WHERE case_number = ?", [number.rawValue])
            return []
        }
        let branches = tree.losingBranches(winning: tree.path(to: state.headHash), topology: hierarchy.topology)
        let names = branches.map(\.first.hash)
        try db.run(
            "DELETE FROM conflicts WHERE case_number = ? AND branch NOT IN (\(names.map { _ in "?" }.joined(separator: ",")))",
            arguments: [any SQLValueConvertible]([number.rawValue] + names),
            cached: false
        )
        for branch in branches {
            let resolution = state.resolutions?.last { $0.branch == branch.first.hash }
            // Who took part on the losing side (an offer's receiver, say) keeps getting the case.
            let losingSide = (try? CaseState.fold(tree.path(to: branch.head.hash)))?.participants ?? [branch.first.origin]
            try db.execute(
                """
                INSERT INTO conflicts (case_number, branch, fork_seq, winner_hash, winner_origin, loser_origin, loser_head,
                    loser_events, loser_participants, loser_leaves, detected_at, resolved_at, decision)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(case_number, branch) DO UPDATE SET
                    winner_hash = excluded.winner_hash, winner_origin = excluded.winner_origin,
                    loser_head = excluded.loser_head, loser_events = excluded.loser_events,
                    loser_participants = excluded.loser_participants, loser_leaves = excluded.loser_leaves,
                    resolved_at = excluded.resolved_at, decision = excluded.decision
                """,
                [
                    number.rawValue, branch.first.hash, branch.first.seq, branch.winner.hash, branch.winner.origin.rawValue,
                    branch.first.origin.rawValue, branch.head.hash, branch.events.count,
                    losingSide.map(\.rawValue).joined(separator: ","), branch.leaves.map(\.hash).joined(separator: ","), now.milliseconds,
                    resolution?.at.milliseconds, resolution?.decision.rawValue,
                ]
            )
        }
        return branches
    }

    /// The conflicts of a case (open and resolved), in fork order.
    public func conflicts(of number: CaseNumber) async throws -> [CaseConflict] {
        try await read { db in try Self.loadConflicts(db, where: "case_number = ?", [number.rawValue]) }
    }

    static func loadConflicts(
        _ db: some SQLSession,
        where condition: String,
        _ arguments: [any SQLValueConvertible],
        limit: Int = 10_000
    ) throws -> [CaseConflict] {
        try db.rows(
            "SELECT * FROM conflicts WHERE \(condition) ORDER BY case_number, fork_seq, branch LIMIT ?",
            arguments: [any SQLValueConvertible](arguments + [limit]),
            cached: false
        ).map { row in
            CaseConflict(
                caseNumber: CaseNumber(rawValue: row["case_number"]),
                branch: row["branch"],
                forkSeq: row["fork_seq"],
                winnerOrigin: NodeID(row["winner_origin"] as String),
                loserOrigin: NodeID(row["loser_origin"] as String),
                loserHead: row["loser_head"],
                loserEvents: row["loser_events"],
                detectedAt: Date(milliseconds: row["detected_at"]),
                resolvedAt: (row["resolved_at"] as Int64?).map(Date.init(milliseconds:)),
                decision: (row["decision"] as String?).flatMap(ConflictDecision.init(rawValue:))
            )
        }
    }

    /// Every event of a case on every branch, for the case view's two sides of a conflict.
    public func allEvents(of number: CaseNumber) async throws -> [CaseEvent] {
        try await read { db in try Self.loadAllEvents(db, number) }
    }
}

// MARK: - Forced takeover and resolution

extension NodeDatabase {
    /// 强制接管: this node, an ancestor of the holder that does not answer, appends a takeover at
    /// the head it knows with the epoch raised by one, and becomes the holder.
    public func takeOver(_ number: CaseNumber, reason: String, actor: String, now: Date) async throws -> CaseState {
        guard let hierarchy else { throw StoreError.invalid(.invalid("action", "本节点未配置层级拓扑，不能强制接管。")) }
        let state = try await write { db in
            guard let state = try Self.loadState(db, number) else { throw StoreError.caseNotFound(number) }
            guard CommandPolicy.mayTakeOver(node: node, holder: state.holder, topology: hierarchy.topology) else {
                throw StoreError.refused(.notAnAncestor(holder: state.holder))
            }
            let action = try admit(.takeOver(by: node, reason: reason), on: state, now: now)
            return try append(db, to: state, caseNumber: number, body: .act(action), actor: actor, command: nil, now: now)
        }
        outboxSignal.notify()
        return state
    }

    /// After a `resolveConflict` event: record the decision and, for `adopt`, re-apply the losing
    /// branch's actions that the lifecycle still allows, as new events by this holder.
    func settleResolution(
        _ db: some SQLSession,
        _ number: CaseNumber,
        state: CaseState,
        branch: String,
        decision: ConflictDecision,
        now: Date
    )
        throws -> CaseState
    {
        var state = state
        if decision == .adopt {
            let tree = EventTree(try Self.loadAllEvents(db, number))
            let chain = Set(tree.path(to: state.headHash).map(\.hash))
            let losing = tree.losingBranches(winning: tree.path(to: state.headHash), topology: hierarchy!.topology)
                .first { $0.first.hash == branch }
            for event in losing.map({ tree.path(to: $0.head.hash) }) ?? [] where !chain.contains(event.hash) {
                guard case .act(let action) = event.body, !action.name.isForced, action.name != .resolveConflict else { continue }
                guard let adopted = try? admit(action, on: state, now: now) else { continue }
                state = try append(db, to: state, caseNumber: number, body: .act(adopted), actor: event.actor, command: event.command, now: now)
            }
        }
        try refreshConflicts(db, number, state: state, tree: nil, now: now)
        return state
    }

    static func openConflict(_ db: some SQLSession, _ number: CaseNumber, branch: String) throws -> Bool {
        try db.value(
            "SELECT 1 FROM conflicts WHERE case_number = ? AND branch = ? AND resolved_at IS NULL",
            [number.rawValue, branch],
            as: Bool.self
        ) ?? false
    }
}

// MARK: - Inspection (reconciliation, the simulator's invariants)

extension NodeDatabase {
    /// Open conflicts of cases this node holds, oldest first, at most `limit`.
    public func openConflictsHeldHere(limit: Int = 100) async throws -> [CaseConflict] {
        try await read { db in
            try Self.loadConflicts(
                db,
                where: "resolved_at IS NULL AND case_number IN (SELECT case_number FROM cases WHERE holder = ?)",
                [node.rawValue],
                limit: max(1, limit)
            )
        }
    }

    /// Per case stored here: the head and the hashes of every stored event (every branch).
    public func replicaContents() async throws -> [CaseNumber: (head: String, events: Set<String>)] {
        try await read { db in
            var result: [CaseNumber: (head: String, events: Set<String>)] = [:]
            for row in try db.fetchAll("SELECT case_number, head_hash FROM cases") {
                result[CaseNumber(rawValue: row["case_number"])] = (row["head_hash"], [])
            }
            for row in try db.fetchAll("SELECT case_number, hash FROM events") {
                result[CaseNumber(rawValue: row["case_number"]), default: ("", [])].events.insert(row["hash"])
            }
            return result
        }
    }
}
