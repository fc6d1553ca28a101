public import Foundation
public import XinfangCore

/// The transactional heart of a node's store: the case chains and their materialised state, the
/// outbox and its packets, one transaction per intent. Everything that changes a case goes
/// through these operations (the application layer `CaseService`, the sync loop's
/// `PeerDispatcher`, the packet receiver), and each is atomic: a crash leaves all of it or none.
///
/// Each operation runs in one transaction with the store's only writer, commits durably before it
/// returns, decides nothing itself (the rules are Core's: `Lifecycle`, `CommandPolicy`,
/// `ChainIntake`, `OutboxItem`, `Routing`), and signals `outboxSignal` after a commit that queued
/// something. Accounts, audit, supervision queries and flags are read models over the same
/// database and stay outside it. `NodeDatabase` implements it once, over the SQL seam
/// (`SQLSession`), on SQLite or on a database server (PostgreSQL).
public protocol CaseStore: Sendable {
    /// The node this store belongs to.
    var node: NodeID { get }
    /// The tree, this node's key and the policy; nil for a standalone node.
    var hierarchy: Hierarchy? { get }
    /// Wakes the sync loops after a commit that put something in the outbox.
    var outboxSignal: OutboxSignal { get }
    /// What each neighbour stated of its peer protocol version, per sending session.
    var peerVersions: PeerVersions { get }
    /// The case file's bytes, outside the events.
    var blobs: BlobStore { get }
    /// The hierarchy's data keys: what seals personal data and 查询码, and derives their digests.
    var personalData: PersonalDataProtector { get }
    /// The calendar deadlines are counted on.
    var calendar: DeadlineCalendar { get }
    /// Where new 查询码 come from (at registration and on reissue).
    var lookupCodes: LookupCodeSource { get }

    // MARK: People's intents (through `CaseService`)

    /// 登记: mints a number and appends the opening event (and what the intake check finds).
    func register(
        _ registration: CaseRegistration,
        actor: String,
        now: Date,
        idempotencyKey: NodeDatabase.IdempotencyKey?,
        receivedAtPastMaxDays: Int
    ) async throws -> (state: CaseState, created: Bool)
    /// The holder's action, admitted by the lifecycle, appended.
    func act(on number: CaseNumber, action: CaseAction, actor: String, now: Date) async throws -> CaseState
    /// An ancestor's forced takeover, appended at the next epoch.
    func takeOver(_ number: CaseNumber, reason: String, actor: String, now: Date) async throws -> CaseState
    /// 出具文书 (`NodeDatabase.issueNotice`).
    func issueNotice(
        _ kind: NoticeKind,
        on number: CaseNumber,
        prefix: String,
        actor: String,
        now: Date,
        render: @escaping @Sendable (NoticeDraft) throws -> Data
    ) async throws -> (CaseState, NoticeRecord)
    /// A signed command made here and routed towards the holder.
    func submitCommand(caseNumber: CaseNumber, action: CaseAction, actor: String, now: Date) async throws -> CaseCommand
    /// The case as stored here (nil: unknown here).
    func caseState(_ number: CaseNumber) async throws -> CaseState?
    /// The case a registration made under this idempotency key, if any.
    func caseNumber(forIdempotencyKey key: String) async throws -> CaseNumber?
    /// The case if `scope` covers it.
    func caseState(_ number: CaseNumber, in scope: CaseScope) async throws -> CaseState?

    // MARK: Neighbours' packets

    /// One packet's chains from an adjacent node, in one transaction; throws
    /// `LinkSession.Refusal` for a packet of a session not open here, or a replay.
    func receivePacket(from peer: NodeID, number: PacketNumber, chains runs: [[CaseEvent]], now: Date) async throws -> [ItemReceipt]
    /// A neighbour greeted this node: the session its packets are to be numbered in.
    func openReceiving(from peer: NodeID, now: Date) async throws -> String
    /// One command from an adjacent node: applied here by the holder, or forwarded.
    func receiveCommand(_ command: CaseCommand, from peer: NodeID, now: Date) async throws -> ItemReceipt

    // MARK: The outbox (through `PeerDispatcher`)

    /// After a restart, what was in flight is queued again.
    func resetInFlight(now: Date) async throws
    /// What an attempt that a store error ended left marked in flight to `peer`: queued again.
    func requeueInFlight(to peer: NodeID, now: Date) async throws
    /// The next packet's items for `peer`, marked sent, with the packet's sequence number.
    func nextBatch(for peer: NodeID, now: Date) async throws -> OutboxBatch?
    /// The receiver's answers, item by item (`OutboxItem.answered`).
    func recordDelivery(_ batch: OutboxBatch, receipts: [ItemReceipt], now: Date, jitter: Double) async throws
    /// A whole packet failed (`OutboxItem.packetFailed`); when its first item is due again.
    func recordFailure(_ batch: OutboxBatch, error: String, kind: DeliveryFailure, now: Date, jitter: Double) async throws -> Date
    /// A batch made ready but never sent: its items queued again, no attempt counted.
    func requeue(_ batch: OutboxBatch, now: Date) async throws
    /// When the next item for `peer` falls due; nil when nothing waits.
    func nextDueAt(for peer: NodeID) async throws -> Date?
    /// The next packet's session and number for `peer`; nil when the link has no session.
    func nextPacketNumber(for peer: NodeID) async throws -> PacketNumber?
    /// The peer answered this node's greeting with `session`.
    func startSending(to peer: NodeID, session: String) async throws
    /// The peer refused a packet of `session` for its number: greet again before the next.
    func dropSending(to peer: NodeID, session: String) async throws
}

extension NodeDatabase: CaseStore {}
