import Foundation
import Testing
import XinfangCore

/// The outbox item's state machine (issue 14): every transition the store persists, as a table.
struct OutboxItemTests {
    static let now = Date(timeIntervalSince1970: 1_793_581_200)
    static let later = now.addingTimeInterval(30)
    static let n = CaseNumber(rawValue: "XF430102-20261102-000001")

    static func chain(_ state: OutboxState, acked: Int = 0, target: Int = 3, attempts: Int = 0, kind: DeliveryFailure? = nil) -> OutboxItem {
        OutboxItem(
            kind: .chain,
            state: state,
            attempts: attempts,
            ackedSeq: acked,
            targetSeq: target,
            nextAttemptAt: now,
            lastError: kind.map { "\($0.rawValue)" },
            lastErrorKind: kind
        )
    }

    static func receipt(_ status: ItemReceipt.Status, head: Int? = nil, kind: ItemReceipt.Kind = .chain) -> ItemReceipt {
        ItemReceipt(kind: kind, caseNumber: n, status: status, head: head, code: status == .rejected ? .invalidChain : nil, detail: nil)
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var before: OutboxItem
        var change: @Sendable (OutboxItem) -> OutboxItem
        var state: OutboxState
        var acked: Int? = nil
        var target: Int? = nil
        var attempts: Int? = nil
        var due: Date? = nil
        var testDescription: String { name }
    }

    static let rows: [Row] = [
        // The case grows.
        Row(
            name: "an acknowledged chain is due again when the case grows",
            before: chain(.acknowledged, acked: 3),
            change: { $0.raised(to: 5, now: later) },
            state: .pending,
            target: 5,
            due: later
        ),
        Row(
            name: "a queued chain keeps its place when the case grows",
            before: chain(.failed, acked: 1),
            change: { $0.raised(to: 5, now: later) },
            state: .failed,
            target: 5,
            due: now
        ),
        Row(
            name: "a chain the peer already has stays acknowledged",
            before: chain(.acknowledged, acked: 6, target: 6),
            change: { $0.raised(to: 5, now: later) },
            state: .acknowledged,
            target: 6
        ),
        Row(
            name: "a dead chain stays dead when the case grows",
            before: chain(.dead, acked: 1),
            change: { $0.raised(to: 5, now: later) },
            state: .dead,
            target: 5
        ),
        Row(
            name: "the sender holds what it sent",
            before: chain(.pending, acked: 0, target: 3),
            change: { $0.heldByPeer(to: 3) },
            state: .acknowledged,
            acked: 3
        ),
        Row(
            name: "the sender holds less than the target",
            before: chain(.pending, acked: 0, target: 5),
            change: { $0.heldByPeer(to: 3) },
            state: .pending,
            acked: 3
        ),
        // A packet and its answers.
        Row(name: "sent", before: chain(.pending), change: { $0.sent() }, state: .sent),
        Row(
            name: "applied up to the target",
            before: chain(.sent),
            change: { $0.answered(receipt(.applied), sentHead: 3, now: later, jitter: 0.5) },
            state: .acknowledged,
            acked: 3,
            attempts: 0
        ),
        Row(
            name: "applied short of the target (the packet was full)",
            before: chain(.sent, target: 9),
            change: { $0.answered(receipt(.applied), sentHead: 3, now: later, jitter: 0.5) },
            state: .pending,
            acked: 3,
            due: later
        ),
        Row(
            name: "a gap resends from the receiver's head at once",
            before: chain(.sent, acked: 2),
            change: { $0.answered(receipt(.gap, head: 1), sentHead: 3, now: later, jitter: 0.5) },
            state: .pending,
            acked: 1,
            due: later
        ),
        Row(
            name: "a duplicate is acknowledged",
            before: chain(.sent, attempts: 2),
            change: { $0.answered(receipt(.duplicate), sentHead: 3, now: later, jitter: 0.5) },
            state: .acknowledged,
            attempts: 0
        ),
        Row(
            name: "a rejection backs off",
            before: chain(.sent, attempts: 1),
            change: { $0.answered(receipt(.rejected), sentHead: 3, now: later, jitter: 0.5) },
            state: .failed,
            attempts: 2,
            due: later.addingTimeInterval(DeliveryPolicy.retryDelay(attempts: 2, jitter: 0.5))
        ),
        Row(
            name: "the last rejection kills the item",
            before: chain(.sent, attempts: DeliveryPolicy.rejectedAttemptsMax - 1),
            change: { $0.answered(receipt(.rejected), sentHead: 3, now: later, jitter: 0.5) },
            state: .dead,
            attempts: DeliveryPolicy.rejectedAttemptsMax
        ),
        Row(
            name: "a command accepted is done",
            before: OutboxItem.command(now: now).sent(),
            change: { $0.answered(receipt(.accepted, kind: .command), sentHead: 0, now: later, jitter: 0) },
            state: .acknowledged
        ),
        Row(
            name: "a branch with a gap goes again",
            before: OutboxItem.branch(now: now).sent(),
            change: { $0.answered(receipt(.gap, head: 1), sentHead: 4, now: later, jitter: 0) },
            state: .pending,
            acked: 0
        ),
        // Whole-packet failures.
        Row(
            name: "unreachable: retried for ever",
            before: chain(.sent, attempts: 50),
            change: { $0.packetFailed(.unreachable, error: "down", now: later, jitter: 0) },
            state: .failed,
            attempts: 51,
            due: later.addingTimeInterval(DeliveryPolicy.retryDelay(attempts: 51, jitter: 0))
        ),
        Row(
            name: "refused as a whole: a rejection",
            before: chain(.sent, attempts: DeliveryPolicy.rejectedAttemptsMax - 1),
            change: { $0.packetFailed(.rejected, error: "bad", now: later, jitter: 0) },
            state: .dead
        ),
        Row(
            name: "unanswered: backs off, never dies",
            before: chain(.sent, attempts: 40),
            change: { $0.packetFailed(.unanswered, error: "none", now: later, jitter: 0) },
            state: .failed,
            attempts: 41
        ),
        Row(
            name: "a failure after the answer changes nothing",
            before: chain(.acknowledged, acked: 3),
            change: { $0.packetFailed(.unreachable, error: "late", now: later, jitter: 0) },
            state: .acknowledged,
            attempts: 0,
            due: now
        ),
        Row(name: "in flight at a restart: queued again", before: chain(.sent), change: { $0.requeued() }, state: .pending),
        Row(name: "requeue leaves a failed item alone", before: chain(.failed, attempts: 3), change: { $0.requeued() }, state: .failed, attempts: 3),
        // The peer, anti-entropy, forks.
        Row(
            name: "the peer answers: an unreachable wait ends",
            before: chain(.failed, kind: .unreachable).withDue(later),
            change: { $0.peerReachable(now: now) },
            state: .failed,
            due: now
        ),
        Row(
            name: "the peer answers: a rejection keeps its back-off",
            before: chain(.failed, kind: .rejected).withDue(later),
            change: { $0.peerReachable(now: now) },
            state: .failed,
            due: later
        ),
        Row(
            name: "anti-entropy resends a dead chain from the start",
            before: chain(.dead, acked: 4, target: 4, attempts: 8),
            change: { $0.resent(head: 6, now: later) },
            state: .pending,
            acked: 0,
            target: 6,
            attempts: 0,
            due: later
        ),
        Row(
            name: "anti-entropy leaves an item in flight to its answer",
            before: chain(.sent, acked: 2, target: 4, attempts: 1),
            change: { $0.resent(head: 6, now: later) },
            state: .sent,
            acked: 2,
            target: 4,
            attempts: 1,
            due: now
        ),
        Row(
            name: "a fork decided the other way rewinds below it",
            before: chain(.acknowledged, acked: 5, target: 5),
            change: { $0.rewound(forkSeq: 3, head: 6, now: later) },
            state: .pending,
            acked: 2,
            target: 6,
            due: later
        ),
        Row(
            name: "a rewind leaves a dead item dead",
            before: chain(.dead, acked: 5, target: 5),
            change: { $0.rewound(forkSeq: 3, head: 6, now: later) },
            state: .dead,
            acked: 2
        ),
        Row(
            name: "a command routed again after delivery",
            before: OutboxItem.command(now: now).sent().answered(receipt(.accepted, kind: .command), sentHead: 0, now: now, jitter: 0),
            change: { $0.rerouted(now: later) },
            state: .pending,
            due: later
        ),
        Row(
            name: "a command still queued keeps its place",
            before: OutboxItem.command(now: now),
            change: { $0.rerouted(now: later) },
            state: .pending,
            due: now
        ),
        Row(name: "a chain with nothing left", before: chain(.pending), change: { $0.emptied() }, state: .acknowledged),
        Row(name: "a command whose body is gone", before: OutboxItem.command(now: now), change: { $0.abandoned("gone") }, state: .dead),
    ]

    @Test(arguments: rows)
    func eachTransitionGivesTheNextState(_ row: Row) {
        let after = row.change(row.before)
        #expect(after.state == row.state)
        if let acked = row.acked { #expect(after.ackedSeq == acked) }
        if let target = row.target { #expect(after.targetSeq == target) }
        if let attempts = row.attempts { #expect(after.attempts == attempts) }
        if let due = row.due { #expect(after.nextAttemptAt == due) }
        #expect(after.kind == row.before.kind, "a transition never changes what the item carries")
    }

    /// Whatever happens to an item, only a rejection can kill it, and a live item always has a time.
    @Test func onlyRejectionsKill() {
        var item = Self.chain(.pending)
        for i in 0..<200 {
            item = item.sent().packetFailed(i % 2 == 0 ? .unreachable : .unanswered, error: "x", now: Self.now, jitter: 0.3)
            #expect(item.state == .failed)
            #expect(item.nextAttemptAt > Self.now && item.nextAttemptAt <= Self.now.addingTimeInterval(DeliveryPolicy.retryDelayMaxSeconds * 1.2))
        }
    }
}

extension OutboxItem {
    fileprivate func withDue(_ date: Date) -> OutboxItem {
        var item = self
        item.nextAttemptAt = date
        return item
    }
}
