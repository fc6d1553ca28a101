public import Foundation

/// What one peer's delivery loop does next: a pure decision from what its last step found.
///
/// The loop greets the peer once, then attempts a packet whenever something is due, and otherwise
/// waits for a commit's signal or its next timer: the earliest retry of a waiting item, or the
/// idle check. It never attempts again at once after a failure (the failed packet's retry time
/// holds the whole peer back), so an unreachable peer costs one attempt per back-off, and an idle
/// peer costs no store reads between its timers.
public struct PeerLoop: Sendable, Equatable {
    public enum Step: Sendable, Equatable {
        /// Send the empty greeting packet (once, at start).
        case greet
        /// Read the outbox and send what is due: one packet, or, with the sync service's look-ahead
        /// (`PeerDispatcher.preparesAhead`), every packet due until none is or the loop stops.
        case attempt
        /// Sleep until this instant (node time) unless a commit signals first.
        case wait(until: Date)
    }

    /// What a greeting or an attempt found.
    public enum Outcome: Sendable, Equatable {
        case greeted
        /// A packet was delivered: more may be due at once.
        case delivered
        /// Nothing was due; the earliest waiting item falls due at `nextDue` (nil: none waits).
        case nothingDue(nextDue: Date?)
        /// The packet failed (unreachable or refused); its items are due again at `retryAt`.
        case failed(retryAt: Date)
        /// The store could not be read or written.
        case storeFailed
    }

    /// The longest an idle loop sleeps with nothing due. Every commit that enqueues signals the
    /// loop, and one process owns the store, so this is a safety net, not a poll.
    public static let idleCheckSeconds: TimeInterval = 60
    /// The pause after a store error before the loop tries again.
    public static let storeErrorPauseSeconds: TimeInterval = 1

    public private(set) var step: Step = .greet
    /// This loop's idle check (`idleCheckSeconds` unless a test or an operator sets another).
    public let idleCheck: TimeInterval

    public init(idleCheck: TimeInterval = PeerLoop.idleCheckSeconds) { self.idleCheck = idleCheck }

    /// The step after `outcome`, decided at `now`.
    public static func next(after outcome: Outcome, now: Date, idleCheck: TimeInterval = idleCheckSeconds) -> Step {
        let idle = now.addingTimeInterval(idleCheck)
        switch outcome {
        case .greeted, .delivered:
            return .attempt
        case .nothingDue(nil):
            return .wait(until: idle)
        case .nothingDue(let due?):
            return due <= now ? .attempt : .wait(until: min(due, idle))
        case .failed(let retryAt):
            return .wait(until: min(max(retryAt, now), idle))
        case .storeFailed:
            return .wait(until: now.addingTimeInterval(storeErrorPauseSeconds))
        }
    }

    /// Records what the current step found and moves to the next.
    public mutating func record(_ outcome: Outcome, now: Date) { step = Self.next(after: outcome, now: now, idleCheck: idleCheck) }

    /// A commit signalled, or the wait's time came: a waiting loop attempts.
    public mutating func wake() {
        if case .wait = step { step = .attempt }
    }

    /// Whether the loop has something to do at `now` without a signal.
    public func isDue(at now: Date) -> Bool {
        if case .wait(let until) = step { return until <= now }
        return true
    }
}
