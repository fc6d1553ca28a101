public import Foundation
import GRDB
public import XinfangCore

/// A batch of outbox items for one peer, with everything the packet must carry.
public struct OutboxBatch: Sendable {
    public var peer: NodeID
    /// The packet's session and number on the link to `peer`; nil when the link has no session
    /// (the sender greets the peer first, then numbers the packet: `nextPacketNumber`).
    public var number: PacketNumber?
    /// Per case, the events the peer lacks, in chain order, as the store holds them.
    public var runs: [OutboxRun]
    public var commands: [CaseCommand]
    /// The outbox rows this batch covers.
    public var itemIDs: [Int64]

    /// The runs' events decoded, for tools and tests: the dispatcher copies their bytes.
    public func chains() throws -> [[CaseEvent]] {
        try runs.map { run in try run.events.map(CaseEvent.decodeCanonical) }
    }
}

/// One case's events in a batch, each in the canonical JSON a packet carries (`StoredEventJSON`).
public struct OutboxRun: Sendable {
    public var caseNumber: CaseNumber
    /// The `seq` of its last event: the peer's head once it takes the run.
    public var lastSeq: Int
    public var events: [Data]

    /// The bytes the run takes in a packet's body (`Packet.encoded(wireChains:)`): its events, a
    /// comma after each (one more than the body writes), its brackets and the comma before it.
    var wireBytes: Int { events.reduce(3) { $0 + $1.count + 1 } }

    /// The run's first events, as many as fit in `bytes` of a packet's body (`wireBytes`), or the
    /// first alone with `atLeastOne`; nil when none is taken. A run's events are a path of its
    /// chain, one sequence number after the other, so the prefix ends `events.count - kept`
    /// numbers before the whole run.
    func prefix(fittingIn bytes: Int, atLeastOne: Bool) -> OutboxRun? {
        var used = 3
        var kept = 0
        for event in events {
            guard used + event.count + 1 <= bytes || (atLeastOne && kept == 0) else { break }
            used += event.count + 1
            kept += 1
        }
        guard kept > 0 else { return nil }
        return OutboxRun(caseNumber: caseNumber, lastSeq: lastSeq - (events.count - kept), events: Array(events.prefix(kept)))
    }
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
    /// The peer protocol version the neighbour stated when it answered this node's current
    /// greeting (`PeerVersions`); nil when it stated none (a release before version 3) or has not
    /// been greeted since this process started.
    public var peerProtocol: Int?
    /// Items not yet acknowledged, oldest first (at most `itemsShownMax`).
    public var items: [Item]

    public static let itemsShownMax = 100
}

// MARK: - Appending side: replication and commands

extension NodeDatabase {
    /// Enqueues the case's new events for every adjacent node that must have them, in the
    /// caller's transaction. A peer the events came from is recorded as having them.
    func enqueueReplication(
        _ db: some SQLSession,
        of state: CaseState,
        receivedFrom: NodeID?,
        now: Date,
        reads: PacketReads = PacketReads(),
        digestWritten: CaseDigest? = nil
    ) throws {
        guard let hierarchy else { return }
        let head = state.headSeq
        let number = state.caseNumber
        if let sender = receivedFrom {
            try OutboxTable.upsert(db, .chain(sender, number), new: .heldByPeer(to: head, now: now), now: now, reads: reads) {
                $0.heldByPeer(to: head)
            }
        }
        let everyone = try withLosingParticipants(db, state, reads: reads)
        let peers = Routing.replicationPeers(for: everyone, at: node, topology: hierarchy.topology, receivedFrom: receivedFrom)
        try updateDigest(db, of: state, peers: digestPeers(everyone, hierarchy), before: reads.digest(number), written: digestWritten)
        // A peer that starts replicating a forked case needs its losing branches as well.
        try enqueueBranches(db, number, to: peers, leaves: reads.losingLeaves(number), now: now)
        for peer in peers {
            try OutboxTable.upsert(db, .chain(peer, number), new: .chain(to: head, now: now), now: now, reads: reads) {
                $0.raised(to: head, now: now)
            }
        }
    }

    /// The case with its losing branches' participants among its own.
    func withLosingParticipants(_ db: some SQLSession, _ state: CaseState, reads: PacketReads) throws -> CaseState {
        var everyone = state
        for participant in try reads.losingParticipants(db, state.caseNumber) { everyone.addParticipant(participant) }
        return everyone
    }

    /// The peers a case's anti-entropy contribution is kept for: every node it is replicated
    /// with (`everyone`: with its losing branches' participants), whoever sent it.
    func digestPeers(_ everyone: CaseState, _ hierarchy: Hierarchy) -> [NodeID] {
        Routing.replicationPeers(for: everyone, at: node, topology: hierarchy.topology, receivedFrom: nil)
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
    func submit(_ db: some SQLSession, caseNumber: CaseNumber, action raw: CaseAction, actor: String, now: Date) throws -> CaseCommand {
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
            createdAt: now,
            format: writtenFormats.command
        )
        hierarchy.key.sign(&command)
        try record(db, command, status: .pending, now: now)
        try route(db, command, now: now)
        return command
    }

    /// Takes a command that arrived from `peer`: checks its signature, drops a duplicate, then
    /// applies it if this node holds the case or forwards it towards the holder.
    public func receiveCommand(_ command: CaseCommand, from peer: NodeID, now: Date) async throws -> ItemReceipt {
        @Sendable func receipt(_ status: ItemReceipt.Status, _ code: ItemReceipt.Code? = nil, _ detail: String? = nil) -> ItemReceipt {
            ItemReceipt(kind: .command, caseNumber: command.caseNumber, commandId: command.id, status: status, code: code, detail: detail)
        }
        guard let hierarchy else { return receipt(.rejected, .noHierarchy, "this node has no topology") }
        guard CaseCommand.isValidID(command.id) else { return receipt(.rejected, .invalidCommand, "malformed command id") }
        guard let origin = hierarchy.topology.node(command.origin) else {
            return receipt(.rejected, .unknownNode, "origin \(command.origin) is not in the topology")
        }
        guard origin.verifies(command) else {
            return receipt(.rejected, .badSignature, "the command's signature does not verify against \(command.origin)'s key")
        }
        guard command.hops < CaseCommand.hopsMax else {
            return receipt(.rejected, .undeliverable, "the command passed \(CaseCommand.hopsMax) nodes")
        }
        let result = try await write { db -> ItemReceipt in
            var forwarded = command
            forwarded.hops += 1
            if let row = try db.fetchOne("SELECT body, status FROM commands WHERE id = ?", [command.id]) {
                // The same packet again is a duplicate. A command coming back further along its way
                // (the holder moved while it travelled, so its route passes here twice) goes on.
                let stored = try CanonicalJSON.decoder.decode(CaseCommand.self, from: Data((row["body"] as String).utf8))
                let settled = CommandStatus(rawValue: row["status"])?.isSettled ?? false
                guard !settled, forwarded.hops > stored.hops else { return receipt(.duplicate) }
                try db.execute(
                    "UPDATE commands SET body = ?, updated_at = ? WHERE id = ?",
                    [String(decoding: try CanonicalJSON.encoder.encode(forwarded), as: UTF8.self), now.milliseconds, command.id]
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

    func record(_ db: some SQLSession, _ command: CaseCommand, status: CommandStatus, now: Date) throws {
        let body = String(decoding: try CanonicalJSON.encoder.encode(command), as: UTF8.self)
        try db.execute(
            "INSERT INTO commands (id, case_number, origin, body, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [command.id, command.caseNumber.rawValue, command.origin.rawValue, body, status.rawValue, now.milliseconds, now.milliseconds]
        )
    }

    func setCommandStatus(_ db: some SQLSession, id: String, status: CommandStatus, detail: String?, now: Date) throws {
        try db.execute("UPDATE commands SET status = ?, detail = ?, updated_at = ? WHERE id = ?", [status.rawValue, detail, now.milliseconds, id])
    }

    /// Applies a command here if this node holds the case, else enqueues it for the next hop.
    func route(_ db: some SQLSession, _ command: CaseCommand, now: Date) throws {
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
    func apply(_ db: some SQLSession, _ command: CaseCommand, to state: CaseState, now: Date) throws {
        guard let hierarchy else { return }
        // Exactly once per chain: a command an earlier holder already applied or refused is settled.
        if let settled = try db.value(
            "SELECT kind FROM events WHERE case_number = ? AND command IS NOT NULL AND \(db.dialect.jsonText("command", ["id"])) = ? LIMIT 1",
            [command.caseNumber.rawValue, command.id],
            as: String.self
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
    /// Takes one packet's chains from an adjacent peer, with the packet's number check and the
    /// sender's reachability, in one transaction: one commit, one fsync, per packet (each hop of an
    /// assignment waited for three when they were separate). Throws `LinkSession.Refusal` when the
    /// packet's session is not open here or its number was seen (a replay): nothing is written.
    ///
    /// Per run: events the store has are skipped (a duplicate is acknowledged, not re-applied); a
    /// run that does not start right after the local head is answered `gap` with the head, so the
    /// sender resends from there. The new events must link by hash, be appended by the holder of
    /// the moment, and the last one must carry a valid signature of its origin: it covers every
    /// event before it by the hash chain. The signatures are checked on every core beside the write
    /// transaction (which runs on one), and so is the pure work of each run that extends its case
    /// (`PreparedRun`: the fold, the hash checks, the rows), from a read of the store as the packet
    /// arrives; the transaction waits for each run's work in turn and takes its preparation only if
    /// the case has not moved since. Commit, then acknowledge.
    public func receivePacket(from peer: NodeID, number: PacketNumber, chains runs: [[CaseEvent]], now: Date) async throws -> [ItemReceipt] {
        let receipts = try await withRunsAhead(runs, now: now) { ahead in
            try await write { db -> [ItemReceipt] in
                try Self.acceptPacket(db, from: peer, number: number, now: now)
                try Self.markReachable(db, peer, now: now)
                return try receive(db, runs, from: peer, now: now, ahead: ahead.take)
            }
        }
        outboxSignal.notify()
        return receipts
    }

    /// The packet's runs in one savepoint, with what they read of their cases read once
    /// (`PacketReads`) and their rows written a statement a table (`GatheringSession`): kept when
    /// no run is refused. Otherwise the savepoint is undone and each run goes again in a savepoint
    /// of its own, reading for itself, so a run the store cannot take is refused alone and the
    /// others are stored as if it had not come. (A savepoint for each run cost two round trips a
    /// run on PostgreSQL, and the reads nine.) A database failure fails the whole transaction, and
    /// the sender sends the packet again.
    func receive(_ db: some SQLSession, _ runs: [[CaseEvent]], from peer: NodeID, now: Date, ahead: (Int) -> RunAhead) throws -> [ItemReceipt] {
        guard !runs.isEmpty else { return [] }
        var receipts: [ItemReceipt] = []
        var kept = false
        try db.savepoint {
            let gathering = GatheringSession(db)
            do {
                let reads = try PacketReads(gathering, runs: runs, neighbours: hierarchy.map { $0.topology.neighbours(of: node) } ?? [])
                for (index, run) in runs.enumerated() {
                    let work = ahead(index)
                    let verified: Set<String> = work.verified ? [run.last!.hash] : []
                    let receipt = try receive(
                        gathering,
                        run,
                        from: peer,
                        now: now,
                        verifiedHeads: verified,
                        inBounds: work.inBounds,
                        prepared: work.prepared,
                        reads: reads
                    )
                    guard receipt.status != .rejected else { return false }
                    receipts.append(receipt)
                    if let number = run.first?.caseNumber { reads.touch(number) }
                }
                try reads.storeClock(gathering)
                try gathering.send()
            } catch is SQLConstraintViolation {
                return false
            }
            kept = true
            return true
        }
        if kept { return receipts }
        return try receiveOneByOne(db, runs, from: peer, now: now, ahead: ahead)
    }

    /// Each run in a savepoint: a run the store cannot take is refused alone.
    private func receiveOneByOne(
        _ db: some SQLSession,
        _ runs: [[CaseEvent]],
        from peer: NodeID,
        now: Date,
        ahead: (Int) -> RunAhead
    ) throws -> [ItemReceipt] {
        try runs.enumerated().map { index, run in
            var receipt: ItemReceipt?
            do {
                try db.savepoint {
                    let work = ahead(index)
                    let verified: Set<String> = work.verified ? [run.last!.hash] : []
                    receipt = try receive(db, run, from: peer, now: now, verifiedHeads: verified, inBounds: work.inBounds, prepared: work.prepared)
                    return receipt?.status != .rejected
                }
            } catch let error as SQLConstraintViolation {
                receipt = ItemReceipt(
                    kind: .chain,
                    caseNumber: run.first?.caseNumber ?? CaseNumber(rawValue: "?"),
                    status: .rejected,
                    code: .storeRefused,
                    detail: error.message
                )
            }
            return receipt!
        }
    }

    /// One run of events from `peer`, as `ChainIntake` decides: a duplicate, a gap or a refusal is
    /// answered; new events are folded (checked again against the accused-organ rule), stored and
    /// forwarded, or settled by the fork rule.
    func receive(
        _ db: some SQLSession,
        _ events: [CaseEvent],
        from peer: NodeID,
        now: Date,
        verifiedHeads: Set<String> = [],
        inBounds: Bool = false,
        prepared: PreparedRun? = nil,
        reads: PacketReads = PacketReads()
    ) throws -> ItemReceipt {
        let number = events.first?.caseNumber ?? CaseNumber(rawValue: "?")
        guard let hierarchy else {
            return ItemReceipt(
                kind: .chain,
                caseNumber: number,
                status: .rejected,
                head: 0,
                code: .noHierarchy,
                detail: "this node has no topology"
            )
        }
        let stored = try reads.head(db, number)
        let head = stored?.seq ?? 0
        func receipt(_ decision: ChainIntake.Decision) -> ItemReceipt {
            switch decision {
            case .duplicate: ItemReceipt(kind: .chain, caseNumber: number, status: .duplicate, head: head)
            case .gap(let from, let detail): ItemReceipt(kind: .chain, caseNumber: number, status: .gap, head: from, code: .gap, detail: detail)
            case .refuse(let code, let detail):
                ItemReceipt(kind: .chain, caseNumber: number, status: .rejected, head: head, code: code, detail: detail)
            case .malformed(let code, let detail):
                ItemReceipt(kind: .chain, caseNumber: number, status: .rejected, head: 0, code: code, detail: detail)
            case .extend, .fork: ItemReceipt(kind: .chain, caseNumber: number, status: .applied, head: head)
            }
        }
        let decision = try ChainIntake.decide(
            events,
            local: stored.map { ChainIntake.Local(headSeq: $0.seq, headHash: $0.hash) },
            isKnown: { try reads.isKnown(db, $0, of: number) },
            topology: hierarchy.topology,
            verifiedHeads: verifiedHeads,
            inBounds: inBounds
        )
        let state: CaseState
        let fresh: [CaseEvent]
        switch decision {
        case .duplicate, .gap, .refuse, .malformed:
            return receipt(decision)
        case .fork(let run):
            fresh = run  // validated on its own branch, then the fork rule picks the head
            guard let local = try Self.loadState(db, number) else {
                return receipt(.refuse(code: .invalidChain, detail: "no stored head to fork from"))
            }
            let tree = EventTree(try Self.loadAllEvents(db, number))
            let checked: [CaseEvent.Checked]
            do {
                var branch = try CaseState.fold(tree.path(to: fresh[0].prevHash ?? ""), topology: hierarchy.topology)
                checked = try fresh.map { event throws(ChainError) in try event.checked() }
                if let refused = try ChainIntake.fold(checked[...], onto: &branch, topology: hierarchy.topology) { return receipt(refused) }
            } catch {
                return receipt(.refuse(code: .invalidChain, detail: "\(error)"))
            }
            // Stored with the bodies their check encoded, as an extension's are (`prepare`).
            for event in checked { try insert(db, eventRow(event.encoded, storedAt: now)) }
            state = try reads.withClockInStore(db) {
                try settleFork(db, number, previous: local, tree: EventTree(tree.events + fresh), sender: peer, senderHead: fresh.last!, now: now)
            }
        case .extend(let run):
            fresh = run
            switch try extend(db, number, stored: stored, with: run, prepared: prepared, from: peer, now: now, reads: reads) {
            case .refused(let refusal): return receipt(refusal)
            case .prepared(let work): state = work.next
            }
        }
        try settleAfterReceiving(db, fresh, state: state, from: peer, now: now, reads: reads)
        return ItemReceipt(kind: .chain, caseNumber: number, status: .applied, head: state.headSeq)
    }

    /// Stores new events that extend the case: the preparation made ahead if the case has not
    /// moved since (`PreparedRun.matches`), else the same work done here; the refusal when the
    /// events do not fold.
    private func extend(
        _ db: some SQLSession,
        _ number: CaseNumber,
        stored: CaseHead?,
        with run: [CaseEvent],
        prepared: PreparedRun?,
        from peer: NodeID,
        now: Date,
        reads: PacketReads
    ) throws -> Preparation {
        let work: PreparedRun
        if let prepared, prepared.matches(head: stored, fresh: run) {
            work = prepared
        } else {
            switch try prepare(run, onto: try Self.loadState(db, number), now: now) {
            case .refused(let refusal): return .refused(refusal)
            case .prepared(let made): work = made
            }
        }
        reads.inserted(work.events.count, into: number)
        // A new case's row is written with its anti-entropy columns, worked out once here and
        // handed to the digest's update, which then leaves the row alone (P9).
        var digest: CaseDigest?
        if stored == nil, let hierarchy, let before = reads.digest(number) {
            digest = CaseDigest(
                work.next,
                peers: digestPeers(try withLosingParticipants(db, work.next, reads: reads), hierarchy),
                events: before.events
            )
        }
        // The case's row before its events: a child row written before its parent leaves a
        // deferred foreign-key violation outstanding, and SQLite then searches every child table
        // of `cases` when the parent comes (the row took half as long again).
        try work.caseRow.save(db, digest: digest)
        for row in work.events { try insert(db, row) }
        try enqueueReplication(db, of: work.next, receivedFrom: peer, now: now, reads: reads, digestWritten: digest)
        if run.contains(where: \.isResolution) { try refreshConflicts(db, number, state: work.next, tree: nil, now: now) }
        return .prepared(work)
    }

    /// After new events are stored: the files they name whose bytes to fetch, the commands they
    /// settle, this node's clock, and commands that reached this node before the case did and that
    /// it now holds.
    func settleAfterReceiving(
        _ db: some SQLSession,
        _ fresh: [CaseEvent],
        state: CaseState,
        from peer: NodeID,
        now: Date,
        reads: PacketReads = PacketReads()
    ) throws {
        try recordFiles(db, named: fresh, of: state, from: peer, now: now)
        try queueNotifications(db, for: fresh, of: state, now: now)
        // A command the chain settled is settled here too, whoever made it: a copy of it still
        // travelling (a resend, a route passing here again) must not be applied a second time.
        for event in fresh {
            if let command = event.command {
                let refused: Bool = if case .refuse = event.body { true } else { false }
                try setCommandStatus(db, id: command.id, status: refused ? .refused : .applied, detail: nil, now: now)
            }
        }
        // Keep this node's clock ahead of every time stamp it has seen.
        try reads.see(db, fresh.map(\.time).max()!, now: now)
        guard state.holder == node, reads.mayHaveWaiting(state.caseNumber) else { return }
        let waiting = try db.values(
            "SELECT body FROM commands WHERE case_number = ? AND status = '\(CommandStatus.undeliverable.rawValue)'",
            [state.caseNumber.rawValue],
            as: String.self
        )
        try reads.withClockInStore(db) {
            for body in waiting {
                let command = try CanonicalJSON.decoder.decode(CaseCommand.self, from: Data(body.utf8))
                if let current = try Self.loadState(db, state.caseNumber) { try apply(db, command, to: current, now: now) }
            }
        }
    }
}
