import Foundation
import Synchronization
import XinfangCore

/// What the last reconciliation round found for each case it evaluated, so the next round
/// evaluates only what may have changed: a case whose chain has a new head, or whose answer
/// reached the instant it could change (`CaseFlags.evaluate`). Decoding every open
/// case's state each round was most of the round's time: about 30 s of a core every five minutes
/// at a province of a million cases (67,000 open).
///
/// A state is the fold of its chain, so its head's hash names it; the calendar and the hierarchy
/// are the store's own and never change, and a round with other limits starts afresh. Held in
/// memory only: a restarted server's first round evaluates every open case again. One entry an
/// open case, replaced whole by each round, so cases that closed leave it.
final class CaseFlagMemo: Sendable {
    struct Entry: Sendable {
        /// The chain's head when evaluated.
        var head: String
        var evaluatedAt: Date
        /// When the answer may change with the state unchanged; nil: only a new state changes it.
        var changesAt: Date?
        var flags: [Flag]

        /// Whether the answer holds at `now` for a state whose head is `head`: the same state,
        /// and `now` neither before the evaluation (a clock set back) nor at its change.
        func holds(head: String, at now: Date) -> Bool {
            self.head == head && evaluatedAt <= now && changesAt.map { now < $0 } ?? true
        }
    }

    private struct Memo {
        var limits: ReconciliationLimits?
        var entries: [String: Entry] = [:]
    }

    private let memo = Mutex(Memo())

    /// The entries of the last round, if it ran with `limits`.
    func entries(for limits: ReconciliationLimits) -> [String: Entry] {
        memo.withLock { $0.limits == limits ? $0.entries : [:] }
    }

    /// This round's entries, in place of the last round's.
    func replace(with entries: [String: Entry], limits: ReconciliationLimits) {
        memo.withLock { $0 = Memo(limits: limits, entries: entries) }
    }
}
