public import Foundation
import GRDB
public import XinfangCore

/// What a public lookup (查询) found.
public enum LookupResult: Sendable {
    /// The code and the second factor open this case: its state and winning chain.
    case found(CaseState, events: [CaseEvent])
    /// No case the public lookup serves has this code.
    case notFound
    /// The code is right, the second factor is not; `remaining` more tries before the code locks.
    case wrongSecondFactor(remaining: Int)
    /// The code or the address is locked out until then.
    case locked(until: Date)
}

extension NodeDatabase {
    /// One public lookup, in one transaction: the address's and the code's lockouts, the case
    /// the code's digest opens (from this store's replica, whichever level registered it), the
    /// second factor, the failures counted, and an audit row (never the code or the factor).
    /// `digest` is nil when what was typed is not a 查询码 at all (it still counts as a failure).
    public func lookUp(digest: String?, secondFactor: String, address: String, limits: LookupLimits, now: Date) async throws -> LookupResult {
        try await write { db in
            func audit(_ result: String, object: String = "-") throws {
                try AuditTrail.append(
                    db,
                    AuditEntry(at: now, user: "信访人", node: self.node, source: address, action: "lookup", object: object, result: result)
                )
            }
            let addressKey = "address:" + address
            if let until = try Self.lookupFailures(db, addressKey)?.locked(at: now) {
                try audit("failure:locked-address")
                return .locked(until: until)
            }
            func fail(_ key: String, max: Int) throws -> LookupFailures {
                let next = LookupFailures.after(try Self.lookupFailures(db, key), now: now, max: max, limits: limits)
                try db.execute(
                    """
                    INSERT INTO lookup_failures (subject, failures, window_start, locked_until) VALUES (?, ?, ?, ?)
                    ON CONFLICT(subject) DO UPDATE SET failures = excluded.failures, window_start = excluded.window_start,
                        locked_until = excluded.locked_until
                    """,
                    [key, next.failures, next.windowStart.milliseconds, next.lockedUntil?.milliseconds]
                )
                return next
            }
            let number = try digest.flatMap {
                try db.value("SELECT case_number FROM cases WHERE lookup_digest = ?", [$0], as: String.self)
            }
            guard let digest, let number, let state = try Self.loadState(db, CaseNumber(rawValue: number)),
                PublicLookup.exclusion(of: state.registration) == nil
            else {
                let address = try fail(addressKey, max: limits.addressFailuresMax)
                try audit("failure:not-found")
                return address.locked(at: now).map { .locked(until: $0) } ?? .notFound
            }
            let codeKey = "code:" + digest
            if let until = try Self.lookupFailures(db, codeKey)?.locked(at: now) {
                try audit("failure:locked-code", object: number)
                return .locked(until: until)
            }
            guard PublicLookup.secondFactorMatches(secondFactor, registration: state.registration) else {
                let code = try fail(codeKey, max: limits.codeFailuresMax)
                let address = try fail(addressKey, max: limits.addressFailuresMax)
                try audit("failure:second-factor", object: number)
                if let until = code.locked(at: now) ?? address.locked(at: now) { return .locked(until: until) }
                return .wrongSecondFactor(remaining: limits.codeFailuresMax - code.failures)
            }
            try db.execute("DELETE FROM lookup_failures WHERE subject = ?", [codeKey])
            try audit("success", object: number)
            return .found(state, events: try Self.loadEvents(db, state.caseNumber))
        }
    }

    static func lookupFailures(_ db: some SQLSession, _ subject: String) throws -> LookupFailures? {
        try db.fetchOne("SELECT failures, window_start, locked_until FROM lookup_failures WHERE subject = ?", [subject]).map {
            LookupFailures(
                failures: $0["failures"],
                windowStart: Date(milliseconds: $0["window_start"]),
                lockedUntil: ($0["locked_until"] as Int64?).map(Date.init(milliseconds:))
            )
        }
    }
}
