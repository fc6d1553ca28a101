public import Foundation
import GRDB
public import XinfangCore

// MARK: - The outbox

extension NodeDatabase {
    /// After a restart, items that were in flight are sent again (the receiver drops duplicates),
    /// and every link greets anew before its next packet (`endSendingSessions`).
    public func resetInFlight(now: Date) async throws {
        try await write { db in
            try Self.endSendingSessions(db)
            for id in try db.values("SELECT id FROM outbox WHERE state = 'sent'", as: Int64.self) {
                try OutboxTable.update(db, id: id, now: now) { $0.requeued() }
            }
        }
    }

    /// The items for `peer` marked sent, queued again without an attempt counted: what a failed
    /// attempt's packets held when the store failed before their answers were recorded. Only the
    /// peer's own loop marks its items sent, and it calls this between attempts, so none of them is
    /// on the wire (a duplicate would be answered `duplicate` anyway). Unlike `resetInFlight`, the
    /// link's session stays: the numbers it allocated were committed, so none is used twice.
    public func requeueInFlight(to peer: NodeID, now: Date) async throws {
        try await writeUnsynced { db in
            for id in try db.values("SELECT id FROM outbox WHERE peer = ? AND state = 'sent'", [peer.rawValue], as: Int64.self) {
                try OutboxTable.update(db, id: id, now: now) { $0.requeued() }
            }
        }
    }

    /// Puts dead items back in the queue (`OutboxItem.redelivered`): every dead item for `peer`,
    /// or for every peer when nil, or only those of `ids` among them. The number put back; the
    /// dispatcher is woken. The outbox row stays the one record of the item, attempts and all.
    public func redeliverDead(peer: NodeID?, ids: [Int64]? = nil, now: Date) async throws -> Int {
        let count = try await write { db -> Int in
            var dead = try db.values(
                "SELECT id FROM outbox WHERE state = 'dead' AND (?1 IS NULL OR peer = ?1) ORDER BY id",
                [peer?.rawValue],
                as: Int64.self
            )
            if let ids { dead = dead.filter(Set(ids).contains) }
            for id in dead { try OutboxTable.update(db, id: id, now: now) { $0.redelivered(now: now) } }
            return dead.count
        }
        if count > 0 { outboxSignal.notify() }
        return count
    }

    /// The next packet for `peer`: due items, oldest first, within the packet limits; nil when
    /// nothing is due. Marks the items sent and allocates the packet's sequence number, without
    /// waiting for fsync (`writeUnsynced`), as the delivery's record does: a power failure that
    /// loses it loses marks that a restart clears anyway (`resetInFlight` requeues what was in
    /// flight and ends the sending sessions, so a number is never used twice in one session).
    /// An fsync here was one of the three on each hop's path.
    ///
    /// A packet holds at most `DeliveryPolicy.itemsPerPacketMax` items, `eventsPerPacketMax`
    /// events and `bytesMax` bytes of runs and commands (`packetContentBytesMax`, under the
    /// receiver's `packetBytesMax`): a chain's run is cut to the events that fit, and the rest of
    /// the chain goes in the next packet; an item that does not fit at all waits for the next
    /// packet, unless the packet has nothing else (then a chain goes with its first event, a
    /// command or a losing branch's path whole).
    public func nextBatch(for peer: NodeID, now: Date) async throws -> OutboxBatch? {
        try await nextBatch(for: peer, now: now, bytesMax: DeliveryPolicy.packetContentBytesMax)
    }

    /// `nextBatch(for:now:)` within another bound of bytes (tests).
    public func nextBatch(for peer: NodeID, now: Date, bytesMax: Int) async throws -> OutboxBatch? {
        // Every commit that enqueues wakes every peer's loop, and most find nothing due for their
        // peer: a read answers those beside the writer, instead of each queueing for it in turn
        // ahead of the one peer that has a packet (the province has a loop per city). Something
        // enqueued after this read is signalled by its own commit, which wakes the loop again.
        guard try await read({ db in try Self.hasDue(db, for: peer, now: now) }) else { return nil }
        return try await writeUnsynced { db -> OutboxBatch? in
            let rows = try db.fetchAll(
                """
                SELECT id, kind, case_number, command_id, acked_seq, branch_head FROM outbox
                WHERE peer = ? AND state IN ('pending', 'failed') AND next_attempt_at <= ?
                ORDER BY id LIMIT ?
                """,
                [peer.rawValue, now.milliseconds, DeliveryPolicy.itemsPerPacketMax]
            )
            guard !rows.isEmpty else { return nil }
            let forked = try Self.forkedCases(db, rows.filter { ($0["kind"] as String) == "chain" }.compactMap { $0["case_number"] as String? })
            var runs: [OutboxRun] = []
            var commands: [CaseCommand] = []
            var ids: [Int64] = []
            var eventBudget = DeliveryPolicy.eventsPerPacketMax
            var byteBudget = bytesMax
            for row in rows {
                let id: Int64 = row["id"]
                if (row["kind"] as String) == "command" {
                    guard
                        let body = try db.value("SELECT body FROM commands WHERE id = ?", [row["command_id"] as String?], as: String.self)
                    else {
                        try OutboxTable.update(db, id: id, now: now) { $0.abandoned("command body missing") }
                        continue
                    }
                    // Its body is its canonical JSON, as the packet writes it, and a comma.
                    let size = body.utf8.count + 1
                    if size > byteBudget, !ids.isEmpty { break }
                    let command = try CanonicalJSON.decoder.decode(CaseCommand.self, from: Data(body.utf8))
                    commands.append(command)
                    ids.append(id)
                    byteBudget -= size
                    continue
                }
                guard eventBudget > 0 else { break }
                let number = CaseNumber(rawValue: row["case_number"])
                var run: OutboxRun?
                if (row["kind"] as String) == "branch" {
                    // A losing branch travels with its whole path, so the receiver never lacks its fork point.
                    if runs.contains(where: { $0.caseNumber == number }) { continue }
                    let path = EventTree(try Self.loadAllEvents(db, number)).path(to: row["branch_head"] as String? ?? "")
                    if path.count > eventBudget, !runs.isEmpty { break }
                    run = try OutboxRun(path)
                    if let whole = run, whole.wireBytes > byteBudget, !ids.isEmpty { break }
                } else {
                    run = try Self.chainRun(db, number, after: row["acked_seq"], limit: eventBudget, forked: forked.contains(number.rawValue))
                    if let whole = run, whole.wireBytes > byteBudget {
                        // The events that fit go now, the rest of the chain with the next packet.
                        guard let part = whole.prefix(fittingIn: byteBudget, atLeastOne: ids.isEmpty) else { break }
                        run = part
                    }
                }
                guard let run else {
                    try OutboxTable.update(db, id: id, now: now) { $0.emptied() }
                    continue
                }
                eventBudget -= run.events.count
                byteBudget -= run.wireBytes
                runs.append(run)
                ids.append(id)
            }
            guard !ids.isEmpty else { return nil }
            // Every item the packet covers is `OutboxItem.sent()`: one statement for the batch.
            try db.run(
                "UPDATE outbox SET state = '\(OutboxState.sent.rawValue)', updated_at = ? WHERE id IN (\(Self.placeholders(ids.count)))",
                arguments: [now.milliseconds] + ids,
                cached: false
            )
            return OutboxBatch(peer: peer, number: try Self.nextPacketNumber(db, for: peer), runs: runs, commands: commands, itemIDs: ids)
        }
    }

    /// Records the receiver's per-item answers: acknowledged items are done, a gap resends from
    /// the receiver's head at once, a rejected item waits and is tried again, and dies after
    /// `DeliveryPolicy.rejectedAttemptsMax` rejections. Committed without waiting for fsync: if a
    /// power failure loses it, the items are sent again and the receiver answers `duplicate`.
    public func recordDelivery(_ batch: OutboxBatch, receipts: [ItemReceipt], now: Date, jitter: Double) async throws {
        try await writeUnsynced { db in try Self.recordDelivery(db, batch, receipts: receipts, now: now, jitter: jitter) }
    }

    /// `recordDelivery` in the caller's transaction. The batch's items are read once, by id, and
    /// their new states written together (`GatheringSession`: the outbox's update is a gathered
    /// statement): a packet of 200 items was 400 statements on the sender's writer, each a round
    /// trip on PostgreSQL, and now a few. A lookup per receipt by case number scanned the peer's
    /// whole outbox (no index serves `kind IN ('chain', 'branch')`), which made each delivery cost
    /// O(queued items) (found by `xinfang bench ingest`).
    static func recordDelivery(_ base: some SQLSession, _ batch: OutboxBatch, receipts: [ItemReceipt], now: Date, jitter: Double) throws {
        let db = GatheringSession(base)
        var items: [Int64: OutboxItem] = [:]
        // The batch's chain items by case, in id order, and its command items by command.
        var chainItems: [String: [Int64]] = [:]
        var commandItems: [String: Int64] = [:]
        for list in inLists(batch.itemIDs) {
            for row in try db.rows(
                "SELECT case_number, command_id, \(OutboxTable.columns) FROM outbox WHERE id IN (\(list.placeholders)) ORDER BY id",
                arguments: list.arguments,
                cached: true
            ) {
                let id: Int64 = row["id"]
                let item = OutboxTable.item(row)
                items[id] = item
                switch item.kind {
                case .chain, .branch: chainItems[row["case_number"], default: []].append(id)
                case .command: if let command = row["command_id"] as String? { commandItems[command] = id }
                }
            }
        }
        func update(_ id: Int64, _ change: (OutboxItem) -> OutboxItem) throws {
            guard let old = items[id] else { return }
            let new = change(old)
            items[id] = new
            try OutboxTable.save(db, id: id, new, was: old, now: now)
        }
        // The head each case's run reached: the first run of the case in the packet, as a receipt names it.
        let sentHeads = Dictionary(batch.runs.map { ($0.caseNumber, $0.lastSeq) }, uniquingKeysWith: { first, _ in first })
        var answered = Set<Int64>()
        for receipt in receipts {
            let id: Int64?
            switch receipt.kind {
            case .chain:
                // One receipt per run, in the packet's order (a case's chain and a branch may share a packet).
                let key = receipt.caseNumber.rawValue
                id = chainItems[key]?.isEmpty == false ? chainItems[key]?.removeFirst() : nil
            case .command:
                id = receipt.commandId.flatMap { commandItems[$0] }
            }
            guard let id, items[id] != nil else { continue }
            answered.insert(id)
            let sentHead = sentHeads[receipt.caseNumber] ?? 0
            try update(id) { $0.answered(receipt, sentHead: sentHead, now: now, jitter: jitter) }
        }
        // Items the receiver did not answer are tried again after a back-off.
        for id in batch.itemIDs where !answered.contains(id) {
            try update(id) { $0.packetFailed(.unanswered, error: "unanswered: the peer gave no receipt for this item", now: now, jitter: jitter) }
        }
        try db.execute("UPDATE peers SET last_success_at = ?, last_error = NULL WHERE peer = ?", [now.milliseconds, batch.peer.rawValue])
        // The peer answers again: what waited because it was unreachable is due at once.
        try Self.markReachable(db, batch.peer, now: now)
        try db.send()
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
                "UPDATE peers SET last_failure_at = ?, last_error = ? WHERE peer = ?",
                [ms, "\(kind.rawValue): \(error)", batch.peer.rawValue]
            )
            return retryAt ?? now.addingTimeInterval(DeliveryPolicy.firstRetrySeconds)
        }
    }

    /// A batch made ready but never sent (the packet before it failed): its items are queued
    /// again as they were, with no attempt counted, and its packet number is left unused (a
    /// receiver takes any new number of its session).
    public func requeue(_ batch: OutboxBatch, now: Date) async throws {
        try await writeUnsynced { db in
            for id in batch.itemIDs { try OutboxTable.update(db, id: id, now: now) { $0.requeued() } }
        }
    }

    /// Whether an item for `peer` is due at `now` (what `nextBatch` would take).
    static func hasDue(_ db: some SQLSession, for peer: NodeID, now: Date) throws -> Bool {
        try db.value(
            "SELECT EXISTS (SELECT 1 FROM outbox WHERE peer = ? AND state IN ('pending', 'failed') AND next_attempt_at <= ?)",
            [peer.rawValue, now.milliseconds],
            as: Bool.self
        ) ?? false
    }

    /// When the next item for `peer` falls due; nil when nothing waits.
    public func nextDueAt(for peer: NodeID) async throws -> Date? {
        try await read { db in
            try db.value("SELECT min(next_attempt_at) FROM outbox WHERE peer = ? AND state IN ('pending', 'failed')", [peer.rawValue], as: Int64.self)
                .map(Date.init(milliseconds:))
        }
    }

    /// The name under which refusals of senders the tree does not know are counted.
    public static let unknownSender = "(unknown)"

    /// Counts a refused packet per sender and code. A sender the tree does not know (any claimed
    /// `X-Xinfang-From`) is counted under `unknownSender`, so strangers cannot grow the table: its
    /// rows are at most (nodes + 1) × refusal codes.
    public func countRefusal(peer: String, code: String, detail: String, now: Date) async throws {
        let peer = hierarchy?.topology.node(NodeID(peer)) != nil ? peer : Self.unknownSender
        try await write { db in
            try db.execute(
                """
                INSERT INTO packet_refusals (peer, code, count, last_at, last_detail) VALUES (?, ?, 1, ?, ?)
                ON CONFLICT(peer, code) DO UPDATE SET count = packet_refusals.count + 1, last_at = excluded.last_at, last_detail = excluded.last_detail
                """,
                [String(peer.prefix(32)), code, now.milliseconds, String(detail.prefix(500))]
            )
        }
    }

    /// The outbox and link state of every peer this node has dealt with.
    public func outboxSummary() async throws -> [PeerOutbox] {
        try await read { db in
            var peers = Set(try db.values("SELECT DISTINCT peer FROM outbox", as: String.self))
            peers.formUnion(try db.values("SELECT peer FROM peers", as: String.self))
            peers.formUnion(try db.values("SELECT DISTINCT peer FROM packet_refusals", as: String.self))
            return try peers.sorted().map { peer in
                var counts: [String: Int] = ["pending": 0, "sent": 0, "acknowledged": 0, "failed": 0, "dead": 0]
                for row in try db.fetchAll("SELECT state, COUNT(*) AS n FROM outbox WHERE peer = ? GROUP BY state", [peer]) {
                    counts[row["state"]] = row["n"]
                }
                var refusals: [String: Int] = [:]
                for row in try db.fetchAll("SELECT code, count FROM packet_refusals WHERE peer = ?", [peer]) {
                    refusals[row["code"]] = row["count"]
                }
                let link = try db.fetchOne("SELECT * FROM peers WHERE peer = ?", [peer])
                let items = try db.fetchAll(
                    "SELECT * FROM outbox WHERE peer = ? AND state != 'acknowledged' ORDER BY id LIMIT ?",
                    [peer, PeerOutbox.itemsShownMax]
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
                let session: String? = link?["send_session"]
                return PeerOutbox(
                    peer: peer,
                    counts: counts,
                    lastPacketSent: link?["last_packet_sent"] ?? 0,
                    lastPacketReceived: link?["last_packet_received"] ?? 0,
                    lastSuccessAt: (link?["last_success_at"] as Int64?).map(Date.init(milliseconds:)),
                    lastFailureAt: (link?["last_failure_at"] as Int64?).map(Date.init(milliseconds:)),
                    lastError: link?["last_error"],
                    refusals: refusals,
                    peerProtocol: session.flatMap { peerVersions.version(of: NodeID(peer), session: $0) },
                    items: items
                )
            }
        }
    }

    /// Commands made here that the holder has not applied yet, for a case.
    public func pendingCommands(for number: CaseNumber) async throws -> [CaseCommand] {
        try await read { db in
            try db.values(
                "SELECT body FROM commands WHERE case_number = ? AND origin = ? AND status = 'pending' ORDER BY created_at",
                [number.rawValue, node.rawValue],
                as: String.self
            ).map { try CanonicalJSON.decoder.decode(CaseCommand.self, from: Data($0.utf8)) }
        }
    }

    /// The status of a command known here (pending, received, forwarded, applied, refused, undeliverable).
    public func commandStatus(_ id: String) async throws -> (status: CommandStatus, detail: String?)? {
        try await read { db in
            try db.fetchOne("SELECT status, detail FROM commands WHERE id = ?", [id]).map {
                (CommandStatus(rawValue: $0["status"]) ?? .pending, $0["detail"])
            }
        }
    }

    /// The case a command stored here is about.
    public func commandCase(_ id: String) async throws -> CaseNumber? {
        try await read { db in
            try db.value("SELECT case_number FROM commands WHERE id = ?", [id], as: String.self).map(CaseNumber.init(rawValue:))
        }
    }
}

extension NodeDatabase {
    /// For measurement: per case, milliseconds from the time an event of `kind` was made at `origin`
    /// to the time this node stored it.
    public func arrivalDelays(kind: String, origin: NodeID, caseNumbers: [String]) async throws -> [Double] {
        try await read { db in
            try caseNumbers.compactMap { number in
                try db.fetchOne(
                    "SELECT stored_at - hlc_wall AS delay FROM events WHERE case_number = ? AND kind = ? AND origin = ? ORDER BY seq LIMIT 1",
                    [number, kind, origin.rawValue]
                ).map { Double($0["delay"] as Int64) }
            }
        }
    }
}
