public import Foundation
import GRDB
public import XinfangCore

/// A batch of outbox items for one peer, with everything the packet must carry.
public struct OutboxBatch: Sendable {
    public var peer: NodeID
    /// The packet's sequence number for this peer (monotonic, persisted): a receiver refuses replays.
    public var packetSeq: Int
    /// Per case, the events the peer lacks, in chain order.
    public var chains: [[CaseEvent]]
    public var commands: [CaseCommand]
    /// The outbox rows this batch covers.
    public var itemIDs: [Int64]
}

/// The outbox as an operator sees it, per peer.
public struct PeerOutbox: Codable, Sendable, Equatable {
    public struct Item: Codable, Sendable, Equatable {
        public var id: Int64
        public var kind: String
        public var caseNumber: String
        public var commandId: String?
        public var state: String
        public var targetSeq: Int
        public var ackedSeq: Int
        public var attempts: Int
        public var lastError: String?
        public var lastErrorKind: String?
        public var nextAttemptAt: Date
    }

    public var peer: String
    /// Items by state: pending, sent, acknowledged, failed, dead.
    public var counts: [String: Int]
    public var lastPacketSent: Int
    public var lastPacketReceived: Int
    public var lastSuccessAt: Date?
    public var lastFailureAt: Date?
    public var lastError: String?
    /// Refused incoming packets from this peer, by code.
    public var refusals: [String: Int]
    /// Items not yet acknowledged, oldest first (at most `itemsShownMax`).
    public var items: [Item]

    public static let itemsShownMax = 100
}

// MARK: - Appending side: replication and commands

extension NodeDatabase {
    /// Enqueues the case's new events for every adjacent node that must have them, in the
    /// caller's transaction. A peer the events came from is recorded as having them.
    func enqueueReplication(_ db: Database, of state: CaseState, receivedFrom: NodeID?, now: Date) throws {
        guard let hierarchy else { return }
        let head = state.headSeq
        if let sender = receivedFrom {
            try OutboxTable.upsert(db, .chain(sender, state.caseNumber), new: .heldByPeer(to: head, now: now), now: now) { $0.heldByPeer(to: head) }
        }
        var everyone = state
        for participant in try Self.losingParticipants(db, state.caseNumber) { everyone.addParticipant(participant) }
        let peers = Routing.replicationPeers(for: everyone, at: node, topology: hierarchy.topology, receivedFrom: receivedFrom)
        try updateDigest(db, of: state, peers: Routing.replicationPeers(for: everyone, at: node, topology: hierarchy.topology, receivedFrom: nil))
        // A peer that starts replicating a forked case needs its losing branches as well.
        try enqueueBranches(db, state.caseNumber, to: peers, now: now)
        for peer in peers {
            try OutboxTable.upsert(db, .chain(peer, state.caseNumber), new: .chain(to: head, now: now), now: now) { $0.raised(to: head, now: now) }
        }
    }

    /// Makes a signed command here for a case this node does not hold and routes it to the holder.
    public func submitCommand(caseNumber: CaseNumber, action: CaseAction, actor: String, now: Date) async throws -> CaseCommand {
        let command = try await write { db in
            try submit(db, caseNumber: caseNumber, action: action, actor: actor, now: now)
        }
        outboxSignal.notify()
        return command
    }

    @discardableResult
    func submit(_ db: Database, caseNumber: CaseNumber, action raw: CaseAction, actor: String, now: Date) throws -> CaseCommand {
        guard let hierarchy else { throw StoreError.invalid(.invalid("action", "本节点未配置层级拓扑，不能向其他节点发送指令。")) }
        // A command carries an action in the form a chain stores, within its bounds, or none.
        let action: CaseAction
        do { action = try raw.validated() } catch { throw StoreError.invalid(error) }
        // Unique without randomness: this node's id and its persisted hybrid-logical-clock tick.
        let tick = try nextTime(db, now: now)
        var command = CaseCommand(
            id: "\(node.rawValue)-\(tick.wallMs)-\(tick.logical)",
            caseNumber: caseNumber,
            origin: node,
            actor: actor,
            action: action,
            createdAt: now
        )
        hierarchy.key.sign(&command)
        try record(db, command, status: .pending, now: now)
        try route(db, command, now: now)
        return command
    }

    /// Takes a command that arrived from `peer`: checks its signature, drops a duplicate, then
    /// applies it if this node holds the case or forwards it towards the holder.
    public func receiveCommand(_ command: CaseCommand, from peer: NodeID, now: Date) async throws -> ItemReceipt {
        @Sendable func receipt(_ status: ItemReceipt.Status, _ code: String? = nil, _ detail: String? = nil) -> ItemReceipt {
            ItemReceipt(kind: .command, caseNumber: command.caseNumber, commandId: command.id, status: status, code: code, detail: detail)
        }
        guard let hierarchy else { return receipt(.rejected, "no-hierarchy", "this node has no topology") }
        guard CaseCommand.isValidID(command.id) else { return receipt(.rejected, "invalid-command", "malformed command id") }
        guard let origin = hierarchy.topology.node(command.origin) else {
            return receipt(.rejected, "unknown-node", "origin \(command.origin) is not in the topology")
        }
        guard origin.verifies(command) else {
            return receipt(.rejected, "bad-signature", "the command's signature does not verify against \(command.origin)'s key")
        }
        guard command.hops < CaseCommand.hopsMax else {
            return receipt(.rejected, "undeliverable", "the command passed \(CaseCommand.hopsMax) nodes")
        }
        let result = try await write { db -> ItemReceipt in
            var forwarded = command
            forwarded.hops += 1
            if let row = try Row.fetchOne(db, cached: "SELECT body, status FROM commands WHERE id = ?", arguments: [command.id]) {
                // The same packet again is a duplicate. A command coming back further along its way
                // (the holder moved while it travelled, so its route passes here twice) goes on.
                let stored = try CanonicalJSON.decoder.decode(CaseCommand.self, from: Data((row["body"] as String).utf8))
                let settled = CommandStatus(rawValue: row["status"])?.isSettled ?? false
                guard !settled, forwarded.hops > stored.hops else { return receipt(.duplicate) }
                try db.execute(
                    cached: "UPDATE commands SET body = ?, updated_at = ? WHERE id = ?",
                    arguments: [String(decoding: try CanonicalJSON.encoder.encode(forwarded), as: UTF8.self), now.milliseconds, command.id]
                )
            } else {
                try record(db, forwarded, status: .received, now: now)
            }
            try route(db, forwarded, now: now)
            return receipt(.accepted)
        }
        outboxSignal.notify()
        return result
    }

    func record(_ db: Database, _ command: CaseCommand, status: CommandStatus, now: Date) throws {
        let body = String(decoding: try CanonicalJSON.encoder.encode(command), as: UTF8.self)
        try db.execute(
            cached: "INSERT INTO commands (id, case_number, origin, body, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            arguments: [command.id, command.caseNumber.rawValue, command.origin.rawValue, body, status.rawValue, now.milliseconds, now.milliseconds]
        )
    }

    func setCommandStatus(_ db: Database, id: String, status: CommandStatus, detail: String?, now: Date) throws {
        try db.execute(
            cached: "UPDATE commands SET status = ?, detail = ?, updated_at = ? WHERE id = ?",
            arguments: [status.rawValue, detail, now.milliseconds, id]
        )
    }

    /// Applies a command here if this node holds the case, else enqueues it for the next hop.
    func route(_ db: Database, _ command: CaseCommand, now: Date) throws {
        guard let hierarchy else { return }
        let state = try Self.loadState(db, command.caseNumber)
        if let state, state.holder == node {
            try apply(db, command, to: state, now: now)
            return
        }
        guard let next = Routing.commandNextHop(holder: state?.holder, at: node, topology: hierarchy.topology) else {
            try setCommandStatus(db, id: command.id, status: .undeliverable, detail: "信访件 \(command.caseNumber) 在本节点及上级均未找到。", now: now)
            return
        }
        try OutboxTable.upsert(db, .command(next, command.caseNumber, commandID: command.id), new: .command(now: now), now: now) {
            $0.rerouted(now: now)
        }
        if command.origin != node {
            try setCommandStatus(db, id: command.id, status: .forwarded, detail: "转往 \(next)", now: now)
        }
    }

    /// The holder applies a command: the resulting event carries the command; a command the policy
    /// or the lifecycle refuses is recorded as a `commandRefused` event, so its origin learns why.
    func apply(_ db: Database, _ command: CaseCommand, to state: CaseState, now: Date) throws {
        guard let hierarchy else { return }
        // Exactly once per chain: a command an earlier holder already applied or refused is settled.
        if let settled = try String.fetchOne(
            db,
            cached: "SELECT kind FROM events WHERE case_number = ? AND command IS NOT NULL AND json_extract(command, '$.id') = ? LIMIT 1",
            arguments: [command.caseNumber.rawValue, command.id]
        ) {
            try setCommandStatus(db, id: command.id, status: settled == CaseEventBody.refusedKind ? .refused : .applied, detail: nil, now: now)
            return
        }
        var action = hierarchy.completed(command.action, state: state)
        var refusal: (code: String, detail: String)?
        if let failure = CommandPolicy.refusal(of: action, from: command.origin, state: state, hierarchy: hierarchy) {
            refusal = (failure.code, failure.detail)
        } else {
            do {
                action = try Lifecycle.admit(action, on: state, context: context(now: now))
            } catch {
                refusal = (error.code, error.description)
            }
        }
        let body: CaseEventBody = refusal.map { .refuse(code: $0.code, detail: $0.detail) } ?? .act(action)
        let appended = try append(db, to: state, caseNumber: command.caseNumber, body: body, actor: command.actor, command: command, now: now)
        try setCommandStatus(
            db,
            id: command.id,
            status: refusal == nil ? .applied : .refused,
            detail: refusal?.detail ?? "已由持有节点在第 \(appended.headSeq) 条事件执行。",
            now: now
        )
    }
}

// MARK: - Receiving side: chains

extension NodeDatabase {
    /// Takes one packet's chains from an adjacent peer, with the packet's replay check and the
    /// sender's reachability, in one transaction: one commit, one fsync, per packet (each hop of an
    /// assignment waited for three when they were separate). Nil when `packetSeq` is not newer than
    /// the last one from `peer` (a replay): nothing is written.
    ///
    /// Per run: events the store has are skipped (a duplicate is acknowledged, not re-applied); a
    /// run that does not start right after the local head is answered `gap` with the head, so the
    /// sender resends from there. The new events must link by hash, be appended by the holder of
    /// the moment, and the last one must carry a valid signature of its origin: it covers every
    /// event before it by the hash chain. The signatures are checked on every core before the write
    /// transaction (which runs on one). Commit, then acknowledge.
    public func receivePacket(from peer: NodeID, packetSeq: Int, chains runs: [[CaseEvent]], now: Date) async throws -> [ItemReceipt]? {
        let verified = await Self.verifiedHeads(runs.compactMap(\.last), topology: hierarchy?.topology)
        let receipts = try await write { db -> [ItemReceipt]? in
            guard try Self.acceptPacket(db, from: peer, packetSeq: packetSeq, now: now) else { return nil }
            try Self.markReachable(db, peer, now: now)
            return try receive(db, runs, from: peer, now: now, verifiedHeads: verified)
        }
        if receipts != nil { outboxSignal.notify() }
        return receipts
    }

    /// Each run in a savepoint: a run the store cannot take is refused alone. A database failure
    /// fails the whole transaction, and the sender sends the packet again.
    func receive(_ db: Database, _ runs: [[CaseEvent]], from peer: NodeID, now: Date, verifiedHeads verified: Set<String>) throws -> [ItemReceipt] {
        try runs.map { run in
            var receipt: ItemReceipt?
            do {
                try db.inSavepoint {
                    receipt = try receive(db, run, from: peer, now: now, verifiedHeads: verified)
                    return receipt?.status == .rejected ? .rollback : .commit
                }
            } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
                receipt = ItemReceipt(
                    kind: .chain,
                    caseNumber: run.first?.caseNumber ?? CaseNumber(rawValue: "?"),
                    status: .rejected,
                    code: "store-refused",
                    detail: "\(error.message ?? "constraint failed")"
                )
            }
            return receipt!
        }
    }

    /// The hashes of those `heads` whose signature verifies against their origin's key, checked
    /// in parallel (one task per core).
    static func verifiedHeads(_ heads: [CaseEvent], topology: Topology?) async -> Set<String> {
        guard let topology, !heads.isEmpty else { return [] }
        let tasks = min(heads.count, max(1, ProcessInfo.processInfo.activeProcessorCount))
        let share = (heads.count + tasks - 1) / tasks
        return await withTaskGroup(of: [String].self) { group in
            for start in stride(from: 0, to: heads.count, by: share) {
                let slice = heads[start..<min(heads.count, start + share)]
                group.addTask {
                    slice.compactMap { event in topology.node(event.origin)?.verifies(event) == true ? event.hash : nil }
                }
            }
            var verified = Set<String>()
            for await hashes in group { verified.formUnion(hashes) }
            return verified
        }
    }

    func receive(_ db: Database, _ events: [CaseEvent], from peer: NodeID, now: Date, verifiedHeads: Set<String> = []) throws -> ItemReceipt {
        guard let first = events.first else {
            return ItemReceipt(kind: .chain, caseNumber: CaseNumber(rawValue: "?"), status: .rejected, code: "empty-chain", detail: "no events")
        }
        let number = first.caseNumber
        func receipt(_ status: ItemReceipt.Status, head: Int, _ code: String? = nil, _ detail: String? = nil) -> ItemReceipt {
            ItemReceipt(kind: .chain, caseNumber: number, status: status, head: head, code: code, detail: detail)
        }
        guard let hierarchy else { return receipt(.rejected, head: 0, "no-hierarchy", "this node has no topology") }
        guard events.allSatisfy({ $0.caseNumber == number }),
            zip(events, events.dropFirst()).allSatisfy({ $0.seq + 1 == $1.seq && $1.prevHash == $0.hash })
        else {
            return receipt(.rejected, head: 0, "invalid-chain", "a chain item holds consecutive, linked events of one case")
        }
        let local = try Self.loadState(db, number)
        let head = local?.headSeq ?? 0
        // An event is known by its hash, whatever branch it is on; what is new must be a suffix.
        var known = 0
        for event in events {
            guard try Self.hasEvent(db, hash: event.hash) else { break }
            known += 1
        }
        let fresh = Array(events.dropFirst(known))
        guard let newFirst = fresh.first else { return receipt(.duplicate, head: head) }
        guard try fresh.allSatisfy({ try !Self.hasEvent(db, hash: $0.hash) }) else {
            return receipt(.rejected, head: head, "invalid-chain", "a known event follows an unknown one")
        }
        if newFirst.prevHash == nil, local != nil {
            return receipt(.rejected, head: head, "diverged", "a different registration of this case number is stored here")
        }
        let parentKnown = try newFirst.prevHash.map { try Self.hasEvent(db, hash: $0) } ?? true
        guard parentKnown else {
            // Behind: ask for what follows the head. On another branch at that position: ask for
            // the whole chain, whose known prefix is skipped.
            return newFirst.seq > head + 1
                ? receipt(.gap, head: head, "gap", "events after \(head) are missing")
                : receipt(.gap, head: 0, "gap", "event \(newFirst.seq - 1) here is on another branch; send the chain from its start")
        }
        guard let last = fresh.last, let signer = hierarchy.topology.node(last.origin),
            verifiedHeads.contains(last.hash) || signer.verifies(last)
        else {
            return receipt(.rejected, head: head, "bad-signature", "the head event's signature does not verify against its origin's key")
        }
        guard fresh.allSatisfy({ hierarchy.topology.contains($0.origin) }) else {
            return receipt(.rejected, head: head, "unknown-node", "an event's origin is not in the topology")
        }
        // What the events say must lie within the bounds this node's own events keep.
        for event in fresh {
            if let failure = event.body.boundsFailure {
                return receipt(.rejected, head: head, "out-of-bounds", "event \(event.seq): \(failure)")
            }
        }
        /// Folds `events` onto `state`, refusing one that hands a 检举控告 to the accused organ.
        func applyChecked(_ events: ArraySlice<CaseEvent>, to state: inout CaseState) throws -> ItemReceipt? {
            for event in events {
                let before = state.holder
                try state.apply(event, topology: hierarchy.topology)
                if state.holder != before, AccusedOrgan.forbids(state.holder, for: state, topology: hierarchy.topology) {
                    return receipt(
                        .rejected,
                        head: head,
                        "respondent-node",
                        "event \(event.seq) hands the complaint to \(state.holder), the accused organ or a unit below it"
                    )
                }
            }
            return nil
        }
        let state: CaseState
        if let current = local, newFirst.prevHash != current.headHash {
            // A fork: validate the new run on its own branch, then let the fork rule pick the head.
            let tree = EventTree(try Self.loadAllEvents(db, number))
            do {
                var branch = try CaseState.fold(tree.path(to: newFirst.prevHash ?? ""), topology: hierarchy.topology)
                if let refused = try applyChecked(fresh[...], to: &branch) { return refused }
            } catch {
                return receipt(.rejected, head: head, "invalid-chain", "\(error)")
            }
            for event in fresh { try insert(db, event, storedAt: now) }
            state = try settleFork(db, number, previous: current, tree: EventTree(tree.events + fresh), sender: peer, senderHead: last, now: now)
        } else {
            var next: CaseState
            do {
                if var current = local {
                    if let refused = try applyChecked(fresh[...], to: &current) { return refused }
                    next = current
                } else {
                    next = try CaseState.opened(by: newFirst)
                    try next.checkHash(newFirst)
                    if let refused = try applyChecked(fresh.dropFirst(), to: &next) { return refused }
                }
            } catch {
                return receipt(.rejected, head: head, "invalid-chain", "\(error)")
            }
            for event in fresh { try insert(db, event, storedAt: now) }
            try save(db, next)
            try enqueueReplication(db, of: next, receivedFrom: peer, now: now)
            if fresh.contains(where: \.isResolution) { try refreshConflicts(db, number, state: next, tree: nil, now: now) }
            state = next
        }
        // A command the chain settled is settled here too, whoever made it: a copy of it still
        // travelling (a resend, a route passing here again) must not be applied a second time.
        for event in fresh {
            if let command = event.command {
                let refused: Bool = if case .refuse = event.body { true } else { false }
                try setCommandStatus(db, id: command.id, status: refused ? .refused : .applied, detail: nil, now: now)
            }
        }
        // Keep this node's clock ahead of every time stamp it has seen.
        let lastSeen = try Self.meta(db, "hlc").flatMap(HLCTimestamp.init(stored:))
        let latest = fresh.map(\.time).max()!
        try Self.setMeta(db, "hlc", HLCTimestamp.receive(latest, after: lastSeen, nowMs: now.milliseconds).stored)
        // Commands that reached this node before the case did, and that it now holds.
        if state.holder == node {
            let waiting = try String.fetchAll(
                db,
                cached: "SELECT body FROM commands WHERE case_number = ? AND status = 'undeliverable'",
                arguments: [number.rawValue]
            )
            for body in waiting {
                let command = try CanonicalJSON.decoder.decode(CaseCommand.self, from: Data(body.utf8))
                if let current = try Self.loadState(db, number) { try apply(db, command, to: current, now: now) }
            }
        }
        return receipt(.applied, head: state.headSeq)
    }
}

// MARK: - The outbox

extension NodeDatabase {
    /// After a restart, items that were in flight are sent again (the receiver drops duplicates).
    public func resetInFlight(now: Date) async throws {
        try await write { db in
            for id in try Int64.fetchAll(db, cached: "SELECT id FROM outbox WHERE state = 'sent'") {
                try OutboxTable.update(db, id: id, now: now) { $0.requeued() }
            }
        }
    }

    /// The next packet for `peer`: due items, oldest first, within the packet limits; nil when
    /// nothing is due. Marks the items sent and allocates the packet's sequence number.
    public func nextBatch(for peer: NodeID, now: Date) async throws -> OutboxBatch? {
        try await write { db -> OutboxBatch? in
            let rows = try Row.fetchAll(
                db,
                cached: """
                    SELECT id, kind, case_number, command_id, acked_seq, branch_head FROM outbox
                    WHERE peer = ? AND state IN ('pending', 'failed') AND next_attempt_at <= ?
                    ORDER BY id LIMIT ?
                    """,
                arguments: [peer.rawValue, now.milliseconds, DeliveryPolicy.itemsPerPacketMax]
            )
            guard !rows.isEmpty else { return nil }
            var chains: [[CaseEvent]] = []
            var commands: [CaseCommand] = []
            var ids: [Int64] = []
            var eventBudget = DeliveryPolicy.eventsPerPacketMax
            for row in rows {
                let id: Int64 = row["id"]
                if (row["kind"] as String) == "command" {
                    guard
                        let body = try String.fetchOne(
                            db,
                            cached: "SELECT body FROM commands WHERE id = ?",
                            arguments: [row["command_id"] as String?]
                        )
                    else {
                        try OutboxTable.update(db, id: id, now: now) { $0.abandoned("command body missing") }
                        continue
                    }
                    let command = try CanonicalJSON.decoder.decode(CaseCommand.self, from: Data(body.utf8))
                    commands.append(command)
                    ids.append(id)
                    continue
                }
                guard eventBudget > 0 else { break }
                let number = CaseNumber(rawValue: row["case_number"])
                let events: [CaseEvent]
                if (row["kind"] as String) == "branch" {
                    // A losing branch travels with its whole path, so the receiver never lacks its fork point.
                    if chains.contains(where: { $0.first?.caseNumber == number }) { continue }
                    let path = EventTree(try Self.loadAllEvents(db, number)).path(to: row["branch_head"] as String? ?? "")
                    if path.count > eventBudget, !chains.isEmpty { break }
                    events = path
                } else {
                    events = try Self.chainEvents(db, number, after: row["acked_seq"], limit: eventBudget)
                }
                if events.isEmpty {
                    try OutboxTable.update(db, id: id, now: now) { $0.emptied() }
                    continue
                }
                eventBudget -= events.count
                chains.append(events)
                ids.append(id)
            }
            guard !ids.isEmpty else { return nil }
            try db.execute(
                // Every item the packet covers is `OutboxItem.sent()`: one statement for the batch.
                sql:
                    "UPDATE outbox SET state = '\(OutboxState.sent.rawValue)', updated_at = ? WHERE id IN (\(ids.map { _ in "?" }.joined(separator: ",")))",
                arguments: StatementArguments([now.milliseconds] + ids)
            )
            return OutboxBatch(peer: peer, packetSeq: try Self.allocatePacketSeq(db, for: peer), chains: chains, commands: commands, itemIDs: ids)
        }
    }

    /// Records the receiver's per-item answers: acknowledged items are done, a gap resends from
    /// the receiver's head at once, a rejected item waits and is tried again, and dies after
    /// `DeliveryPolicy.rejectedAttemptsMax` rejections. Committed without waiting for fsync: if a
    /// power failure loses it, the items are sent again and the receiver answers `duplicate`.
    public func recordDelivery(_ batch: OutboxBatch, receipts: [ItemReceipt], now: Date, jitter: Double) async throws {
        try await writeUnsynced { db in
            let ms = now.milliseconds
            var answered = Set<Int64>()
            // The batch's chain items by case, read once by id: a lookup per receipt by case number
            // scanned the peer's whole outbox (no index serves `kind IN ('chain', 'branch')`), which
            // made each delivery cost O(queued items) (found by `xinfang bench ingest`).
            var chainItems: [String: [Int64]] = [:]
            if !batch.itemIDs.isEmpty {
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT id, case_number FROM outbox WHERE id IN (\(batch.itemIDs.map { _ in "?" }.joined(separator: ",")))
                            AND kind IN ('chain', 'branch') ORDER BY id
                        """,
                    arguments: StatementArguments(batch.itemIDs)
                )
                for row in rows { chainItems[row["case_number"], default: []].append(row["id"]) }
            }
            for receipt in receipts {
                let id: Int64?
                switch receipt.kind {
                case .chain:
                    // One receipt per run, in the packet's order (a case's chain and a branch may share a packet).
                    let key = receipt.caseNumber.rawValue
                    id = chainItems[key]?.isEmpty == false ? chainItems[key]?.removeFirst() : nil
                case .command:
                    id = try Int64.fetchOne(
                        db,
                        cached: "SELECT id FROM outbox WHERE peer = ? AND kind = 'command' AND command_id = ?",
                        arguments: [batch.peer.rawValue, receipt.commandId]
                    )
                }
                guard let id, batch.itemIDs.contains(id) else { continue }
                answered.insert(id)
                let sentHead = batch.chains.first { $0.first?.caseNumber == receipt.caseNumber }?.last?.seq ?? 0
                try OutboxTable.update(db, id: id, now: now) { $0.answered(receipt, sentHead: sentHead, now: now, jitter: jitter) }
            }
            // Items the receiver did not answer are tried again after a back-off.
            for id in batch.itemIDs where !answered.contains(id) {
                try OutboxTable.update(db, id: id, now: now) {
                    $0.packetFailed(.unanswered, error: "unanswered: the peer gave no receipt for this item", now: now, jitter: jitter)
                }
            }
            try db.execute(
                cached: "UPDATE peers SET last_success_at = ?, last_error = NULL WHERE peer = ?",
                arguments: [ms, batch.peer.rawValue]
            )
            // The peer answers again: what waited because it was unreachable is due at once.
            try Self.markReachable(db, batch.peer, now: now)
        }
    }

    /// Records that a whole packet failed: every item waits with exponential backoff and jitter.
    /// An unreachable peer is retried for ever (its items are never dropped); a peer that refuses
    /// the packet as a whole counts as a rejection for each item.
    /// Returns when the packet's first item is due again: the peer's loop waits until then.
    @discardableResult
    public func recordFailure(_ batch: OutboxBatch, error: String, kind: DeliveryFailure, now: Date, jitter: Double) async throws -> Date {
        try await write { db in
            let ms = now.milliseconds
            // The earliest retry among the packet's items (none left queued: the rest of the queue soon).
            var retryAt: Date?
            for id in batch.itemIDs {
                guard let old = try OutboxTable.load(db, id: id) else { continue }
                let item = old.packetFailed(kind, error: error, now: now, jitter: jitter)
                try OutboxTable.save(db, id: id, item, was: old, now: now)
                if item.state.isQueued { retryAt = min(retryAt ?? item.nextAttemptAt, item.nextAttemptAt) }
            }
            try db.execute(
                cached: "UPDATE peers SET last_failure_at = ?, last_error = ? WHERE peer = ?",
                arguments: [ms, "\(kind.rawValue): \(error)", batch.peer.rawValue]
            )
            return retryAt ?? now.addingTimeInterval(DeliveryPolicy.firstRetrySeconds)
        }
    }

    /// When the next item for `peer` falls due; nil when nothing waits.
    public func nextDueAt(for peer: NodeID) async throws -> Date? {
        try await read { db in
            try Int64.fetchOne(
                db,
                cached: "SELECT min(next_attempt_at) FROM outbox WHERE peer = ? AND state IN ('pending', 'failed')",
                arguments: [peer.rawValue]
            ).map(Date.init(milliseconds:))
        }
    }

    /// Checks an incoming packet's sequence number against the last one taken from `peer`; records
    /// it when newer. False for a replay (a number seen before).
    static func acceptPacket(_ db: Database, from peer: NodeID, packetSeq: Int, now: Date) throws -> Bool {
        try db.execute(cached: "INSERT INTO peers (peer) VALUES (?) ON CONFLICT(peer) DO NOTHING", arguments: [peer.rawValue])
        let last = try Int.fetchOne(db, cached: "SELECT last_packet_received FROM peers WHERE peer = ?", arguments: [peer.rawValue]) ?? 0
        guard packetSeq > last else { return false }
        try db.execute(
            cached: "UPDATE peers SET last_packet_received = ?, last_received_at = ? WHERE peer = ?",
            arguments: [packetSeq, now.milliseconds, peer.rawValue]
        )
        return true
    }

    /// Counts a refused incoming packet by sender and code.
    public func countRefusal(peer: String, code: String, detail: String, now: Date) async throws {
        try await write { db in
            try db.execute(
                cached: """
                    INSERT INTO packet_refusals (peer, code, count, last_at, last_detail) VALUES (?, ?, 1, ?, ?)
                    ON CONFLICT(peer, code) DO UPDATE SET count = count + 1, last_at = excluded.last_at, last_detail = excluded.last_detail
                    """,
                arguments: [String(peer.prefix(32)), code, now.milliseconds, String(detail.prefix(500))]
            )
        }
    }

    /// The outbox and link state of every peer this node has dealt with.
    public func outboxSummary() async throws -> [PeerOutbox] {
        try await read { db in
            var peers = Set(try String.fetchAll(db, cached: "SELECT DISTINCT peer FROM outbox"))
            peers.formUnion(try String.fetchAll(db, cached: "SELECT peer FROM peers"))
            peers.formUnion(try String.fetchAll(db, cached: "SELECT DISTINCT peer FROM packet_refusals"))
            return try peers.sorted().map { peer in
                var counts: [String: Int] = ["pending": 0, "sent": 0, "acknowledged": 0, "failed": 0, "dead": 0]
                for row in try Row.fetchAll(db, cached: "SELECT state, COUNT(*) AS n FROM outbox WHERE peer = ? GROUP BY state", arguments: [peer]) {
                    counts[row["state"]] = row["n"]
                }
                var refusals: [String: Int] = [:]
                for row in try Row.fetchAll(db, cached: "SELECT code, count FROM packet_refusals WHERE peer = ?", arguments: [peer]) {
                    refusals[row["code"]] = row["count"]
                }
                let link = try Row.fetchOne(db, cached: "SELECT * FROM peers WHERE peer = ?", arguments: [peer])
                let items = try Row.fetchAll(
                    db,
                    cached: "SELECT * FROM outbox WHERE peer = ? AND state != 'acknowledged' ORDER BY id LIMIT ?",
                    arguments: [peer, PeerOutbox.itemsShownMax]
                ).map { row in
                    PeerOutbox.Item(
                        id: row["id"],
                        kind: row["kind"],
                        caseNumber: row["case_number"],
                        commandId: row["command_id"],
                        state: row["state"],
                        targetSeq: row["target_seq"],
                        ackedSeq: row["acked_seq"],
                        attempts: row["attempts"],
                        lastError: row["last_error"],
                        lastErrorKind: row["last_error_kind"],
                        nextAttemptAt: Date(milliseconds: row["next_attempt_at"])
                    )
                }
                return PeerOutbox(
                    peer: peer,
                    counts: counts,
                    lastPacketSent: link?["last_packet_sent"] ?? 0,
                    lastPacketReceived: link?["last_packet_received"] ?? 0,
                    lastSuccessAt: (link?["last_success_at"] as Int64?).map(Date.init(milliseconds:)),
                    lastFailureAt: (link?["last_failure_at"] as Int64?).map(Date.init(milliseconds:)),
                    lastError: link?["last_error"],
                    refusals: refusals,
                    items: items
                )
            }
        }
    }

    /// Commands made here that the holder has not applied yet, for a case.
    public func pendingCommands(for number: CaseNumber) async throws -> [CaseCommand] {
        try await read { db in
            try String.fetchAll(
                db,
                cached: "SELECT body FROM commands WHERE case_number = ? AND origin = ? AND status = 'pending' ORDER BY created_at",
                arguments: [number.rawValue, node.rawValue]
            ).map { try CanonicalJSON.decoder.decode(CaseCommand.self, from: Data($0.utf8)) }
        }
    }

    /// The status of a command known here (pending, received, forwarded, applied, refused, undeliverable).
    public func commandStatus(_ id: String) async throws -> (status: CommandStatus, detail: String?)? {
        try await read { db in
            try Row.fetchOne(db, cached: "SELECT status, detail FROM commands WHERE id = ?", arguments: [id]).map {
                (CommandStatus(rawValue: $0["status"]) ?? .pending, $0["detail"])
            }
        }
    }

    /// The case a command stored here is about.
    public func commandCase(_ id: String) async throws -> CaseNumber? {
        try await read { db in
            try String.fetchOne(db, cached: "SELECT case_number FROM commands WHERE id = ?", arguments: [id]).map(CaseNumber.init(rawValue:))
        }
    }
}

extension NodeDatabase {
    /// For measurement: per case, milliseconds from the time an event of `kind` was made at `origin`
    /// to the time this node stored it.
    public func arrivalDelays(kind: String, origin: NodeID, caseNumbers: [String]) async throws -> [Double] {
        try await read { db in
            try caseNumbers.compactMap { number in
                try Row.fetchOne(
                    db,
                    cached: "SELECT stored_at - hlc_wall AS delay FROM events WHERE case_number = ? AND kind = ? AND origin = ? ORDER BY seq LIMIT 1",
                    arguments: [number, kind, origin.rawValue]
                ).map { Double($0["delay"] as Int64) }
            }
        }
    }
}

extension NodeDatabase {
    /// Allocates the next packet number for `peer` (for a packet without items, e.g. a greeting).
    public func allocatePacketSeq(for peer: NodeID) async throws -> Int {
        try await write { db in try Self.allocatePacketSeq(db, for: peer) }
    }

    static func allocatePacketSeq(_ db: Database, for peer: NodeID) throws -> Int {
        try db.execute(cached: "INSERT INTO peers (peer) VALUES (?) ON CONFLICT(peer) DO NOTHING", arguments: [peer.rawValue])
        try db.execute(cached: "UPDATE peers SET last_packet_sent = last_packet_sent + 1 WHERE peer = ?", arguments: [peer.rawValue])
        return try Int.fetchOne(db, cached: "SELECT last_packet_sent FROM peers WHERE peer = ?", arguments: [peer.rawValue]) ?? 1
    }

    /// A peer has just sent a valid packet, so it is up: what waited because it was unreachable is
    /// due at once (the commit wakes the dispatcher).
    /// `OutboxItem.peerReachable` over the peer's whole queue, as one statement (the queue of an
    /// unreachable peer can hold 100,000 items).
    static func markReachable(_ db: Database, _ peer: NodeID, now: Date) throws {
        try db.execute(
            cached:
                "UPDATE outbox SET next_attempt_at = ? WHERE peer = ? AND state = 'failed' AND last_error_kind = 'unreachable' AND next_attempt_at > ?",
            arguments: [now.milliseconds, peer.rawValue, now.milliseconds]
        )
    }
}
