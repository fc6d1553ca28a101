public import Foundation

/// Where an outbox item stands.
public enum OutboxState: String, Sendable, Codable, CaseIterable {
    /// Due at `nextAttemptAt` (at once when new).
    case pending
    /// In a packet whose answer has not come back.
    case sent
    /// The peer holds everything the item carries.
    case acknowledged
    /// A packet carrying it failed; due again at `nextAttemptAt`.
    case failed
    /// The peer rejected it `DeliveryPolicy.rejectedAttemptsMax` times: never sent again, flagged.
    case dead

    /// Whether the item waits to be sent.
    public var isQueued: Bool { self == .pending || self == .failed }
}

/// What an outbox row carries to its peer.
public enum OutboxKind: String, Sendable, Codable, CaseIterable {
    /// A case's chain, from the peer's acknowledged head to `targetSeq`.
    case chain
    /// A losing branch of a forked case, with its whole path.
    case branch
    /// A command on its way to the case's holder.
    case command
}

/// Why a whole packet did not get through.
public enum DeliveryFailure: String, Sendable, Codable {
    /// No answer (connection refused, time-out): the peer is down or cut off.
    case unreachable
    /// The peer answered and refused the packet.
    case rejected
    /// The peer took the packet but gave no receipt for the item: it waits with back-off like an
    /// unreachable one (a peer that answers with nothing must not make its sender spin).
    case unanswered
    /// The peer refused the packet for its session or number (`LinkSession.Refusal`), not for
    /// anything in its items: they back off and go in the next packet, after a greeting, and
    /// never die of it.
    case packetRefused

    /// How a refusal of a whole packet counts for its items: a refusal of the packet's session,
    /// number or protocol version is the packet's; any other (a stale clock included: that needs a person, and dead items are
    /// flagged for one) is a rejection of each item, which dies after
    /// `DeliveryPolicy.rejectedAttemptsMax`.
    public static func ofRefusal(code: String) -> DeliveryFailure {
        LinkSession.Refusal(rawValue: code) != nil || code == unsupportedVersion ? .packetRefused : .rejected
    }

    /// A neighbour that speaks another protocol version (a hierarchy being upgraded node by
    /// node): the packet is refused, not its items, which wait until both ends speak one version.
    public static let unsupportedVersion = "unsupported-version"
}

/// One outbox item and its transitions: each returns the item as it must be stored next (state,
/// attempts, acknowledged head, next attempt time). The store reads the row, asks here, and
/// writes the answer; it decides nothing itself.
public struct OutboxItem: Sendable, Equatable {
    public var kind: OutboxKind
    public var state: OutboxState
    public var attempts: Int
    /// For a chain: the head the peer acknowledged, and the head it must reach.
    public var ackedSeq: Int
    public var targetSeq: Int
    public var nextAttemptAt: Date
    public var lastError: String?
    public var lastErrorKind: DeliveryFailure?

    public init(
        kind: OutboxKind,
        state: OutboxState,
        attempts: Int = 0,
        ackedSeq: Int = 0,
        targetSeq: Int = 0,
        nextAttemptAt: Date,
        lastError: String? = nil,
        lastErrorKind: DeliveryFailure? = nil
    ) {
        self.kind = kind
        self.state = state
        self.attempts = attempts
        self.ackedSeq = ackedSeq
        self.targetSeq = targetSeq
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
        self.lastErrorKind = lastErrorKind
    }

    /// A new chain item for a peer that lacks the case's events up to `head`.
    public static func chain(to head: Int, now: Date) -> OutboxItem {
        OutboxItem(kind: .chain, state: .pending, targetSeq: head, nextAttemptAt: now)
    }

    /// A new chain item for the peer the events came from: it holds them already.
    public static func heldByPeer(to head: Int, now: Date) -> OutboxItem {
        OutboxItem(kind: .chain, state: .acknowledged, ackedSeq: head, targetSeq: head, nextAttemptAt: now)
    }

    /// A new command item (a command on its way to the holder).
    public static func command(now: Date) -> OutboxItem {
        OutboxItem(kind: .command, state: .pending, nextAttemptAt: now)
    }

    /// A new losing-branch item.
    public static func branch(now: Date) -> OutboxItem {
        OutboxItem(kind: .branch, state: .pending, nextAttemptAt: now)
    }

    /// A command routed again through this node after it had been delivered: due at once. An
    /// item still waiting keeps its place.
    public func rerouted(now: Date) -> OutboxItem {
        guard state == .acknowledged else { return self }
        var next = self
        next.state = .pending
        next.attempts = 0
        next.nextAttemptAt = now
        return next
    }

    /// Anti-entropy found the peer's copy different: everything goes again from the first
    /// event (a chain up to `head`; a branch with its whole path), even an item that had died.
    /// An item in flight is left as it is: a case's item is never in two packets at once, and the
    /// packet's answer comes first (the peer's digest was taken before that packet was stored, as
    /// during a catch-up; the next exchange sees what it left).
    public func resent(head: Int, now: Date) -> OutboxItem {
        guard state != .sent else { return self }
        var next = self
        if kind == .chain {
            next.ackedSeq = 0
            next.targetSeq = head
            next.attempts = 0
        }
        next.state = .pending
        next.nextAttemptAt = now
        return next
    }

    /// The winning chain changed below the peer's acknowledged head (a fork at `forkSeq` was
    /// decided the other way): the chain goes again from the fork to `head`.
    public func rewound(forkSeq: Int, head: Int, now: Date) -> OutboxItem {
        var next = self
        next.ackedSeq = min(ackedSeq, forkSeq - 1)
        next.targetSeq = head
        if state != .dead { next.state = .pending }
        next.nextAttemptAt = now
        return next
    }

    /// The case grew to `head`: a chain the peer had acknowledged is due again at once; a dead
    /// item stays dead (an operator's to look at).
    public func raised(to head: Int, now: Date) -> OutboxItem {
        var next = self
        next.targetSeq = max(targetSeq, head)
        switch state {
        case .dead: break
        case _ where ackedSeq >= next.targetSeq: next.state = .acknowledged
        case .acknowledged:
            next.state = .pending
            next.nextAttemptAt = now
        default: break
        }
        return next
    }

    /// The peer is known to hold the chain up to `head` (it sent us those events).
    public func heldByPeer(to head: Int) -> OutboxItem {
        var next = self
        next.ackedSeq = max(ackedSeq, head)
        if next.ackedSeq >= targetSeq, state != .dead { next.state = .acknowledged }
        return next
    }

    /// An operator sends a dead item again, once the cause its last error names is fixed (a
    /// neighbour upgraded, a topology corrected): due at once, its attempts counted afresh. Its
    /// last error stays until an answer replaces it. Only a dead item moves.
    public func redelivered(now: Date) -> OutboxItem {
        guard state == .dead else { return self }
        var next = self
        next.state = .pending
        next.attempts = 0
        next.nextAttemptAt = now
        return next
    }

    /// Put in a packet.
    public func sent() -> OutboxItem {
        var next = self
        next.state = .sent
        return next
    }

    /// Back in the queue: the packet got no answer for it, or the node restarted with it in flight.
    public func requeued() -> OutboxItem {
        guard state == .sent else { return self }
        var next = self
        next.state = .pending
        return next
    }

    /// Nothing left to send (a chain whose events the peer already has).
    public func emptied() -> OutboxItem {
        var next = self
        next.state = .acknowledged
        return next
    }

    /// Cannot be sent as it is (a command whose body is gone).
    public func abandoned(_ reason: String) -> OutboxItem {
        var next = self
        next.state = .dead
        next.lastError = reason
        return next
    }

    /// The receiver's answer for this item, in a packet it took. `sentHead` is the last event the
    /// packet carried for a chain. Applied or known: the peer holds every event sent; a gap: it
    /// holds the chain up to `receipt.head`, so the rest goes again at once; rejected: back-off,
    /// and dead after `DeliveryPolicy.rejectedAttemptsMax` rejections.
    public func answered(_ receipt: ItemReceipt, sentHead: Int, now: Date, jitter: Double) -> OutboxItem {
        var next = self
        switch receipt.status {
        case .applied, .duplicate, .accepted, .gap:
            let head = receipt.status == .gap ? receipt.head ?? 0 : sentHead
            if kind == .chain { next.ackedSeq = head }
            let done: Bool
            switch kind {
            case .command: done = true
            case .branch: done = receipt.status != .gap
            case .chain: done = head >= targetSeq
            }
            next.state = done ? .acknowledged : .pending
            next.attempts = 0
            next.lastError = nil
            next.lastErrorKind = nil
            next.nextAttemptAt = now
        case .rejected:
            next = failing(.rejected, error: "\(receipt.code ?? "rejected"): \(receipt.detail ?? "")", now: now, jitter: jitter)
        }
        return next
    }

    /// The whole packet failed. Only an item still in flight moves (an answer that came first
    /// wins). An unreachable peer is retried for ever; a refusal counts as a rejection.
    public func packetFailed(_ kind: DeliveryFailure, error: String, now: Date, jitter: Double) -> OutboxItem {
        guard state == .sent else { return self }
        return failing(kind, error: error, now: now, jitter: jitter)
    }

    func failing(_ failure: DeliveryFailure, error: String, now: Date, jitter: Double) -> OutboxItem {
        var next = self
        next.attempts = attempts + 1
        next.state = failure == .rejected && next.attempts >= DeliveryPolicy.rejectedAttemptsMax ? .dead : .failed
        next.lastError = error
        next.lastErrorKind = failure
        next.nextAttemptAt = now.addingTimeInterval(DeliveryPolicy.retryDelay(attempts: next.attempts, jitter: jitter))
        return next
    }

    /// The peer answered a packet: an item that waited only because the peer was unreachable is
    /// due at once.
    public func peerReachable(now: Date) -> OutboxItem {
        guard state == .failed, lastErrorKind == .unreachable, nextAttemptAt > now else { return self }
        var next = self
        next.nextAttemptAt = now
        return next
    }
}
