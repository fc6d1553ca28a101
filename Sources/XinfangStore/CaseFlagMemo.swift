import Foundation
import Synchronization
import XinfangCore

/// What the last reconciliation round found for each case it evaluated, so the next round
/// evaluates only what may have changed: a case whose chain has a new head, or whose answer
/// reached the instant it could change (`CaseFlags.evaluate`). Decoding every state each round was
/// most of the round's time: about 35 s of a core every five minutes at a province of a million
/// cases, 700,000 of them not final.
///
/// A state is the fold of its chain, so its head names it; the calendar and the hierarchy are the
/// store's own and never change, and a round with other limits starts afresh. Held in memory
/// only, so a restarted server's first round evaluates every case again, and kept small: a case
/// and its head are 64-bit hashes (this process's seed; the memo lives no longer than it), and a
/// state that raises nothing and has no limit or deadline ahead, most of them, is a pair of
/// them. A new head whose hash equals the old one's (one chance in 2^64) would keep the old answer
/// until the case changes again.
final class CaseFlagMemo: Sendable {
    /// An answer that may change with the time, or that raised flags.
    struct Answer: Sendable {
        var head: UInt64
        var evaluatedAt: Date
        /// When the answer may change with the state unchanged; nil: only a new state changes it.
        var changesAt: Date?
        var flags: [Flag]
    }

    /// One round's answers, replaced whole by the next round's, so cases that became final leave.
    struct Round: Sendable {
        var limits: ReconciliationLimits?
        /// Heads of states that raise nothing and have no limit or deadline ahead: nothing at any
        /// time (every condition on the time is either met, which raises a flag, or ahead).
        var quiet: [UInt64: UInt64] = [:]
        var answered: [UInt64: Answer] = [:]

        var isEmpty: Bool { quiet.isEmpty && answered.isEmpty }

        /// The case's flags at `now` if its last answer holds for the state with this head: the
        /// same state, and `now` neither before the evaluation (a clock set back) nor at its change.
        func flags(of key: UInt64, head: UInt64, at now: Date) -> [Flag]? {
            if let quietHead = quiet[key] { return quietHead == head ? [] : nil }
            guard let answer = answered[key], answer.head == head, answer.evaluatedAt <= now,
                answer.changesAt.map({ now < $0 }) ?? true
            else { return nil }
            return answer.flags
        }

        mutating func keep(_ key: UInt64, _ answer: Answer) {
            if answer.flags.isEmpty, answer.changesAt == nil { quiet[key] = answer.head } else { answered[key] = answer }
        }

        mutating func keep(_ key: UInt64, from previous: Round) {
            if let head = previous.quiet[key] { quiet[key] = head } else if let answer = previous.answered[key] { answered[key] = answer }
        }
    }

    /// A case number or a head as the memo keeps it.
    static func key(_ text: String) -> UInt64 {
        var hasher = Hasher()
        hasher.combine(text)
        return UInt64(bitPattern: Int64(hasher.finalize()))
    }

    private let round = Mutex(Round())

    /// The last round's answers, if it ran with `limits`.
    func last(for limits: ReconciliationLimits) -> Round {
        round.withLock { $0.limits == limits ? $0 : Round() }
    }

    /// This round's answers, in place of the last round's.
    func replace(with next: Round) {
        round.withLock { $0 = next }
    }
}
