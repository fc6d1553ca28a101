public import Crypto
public import Foundation

/// A case's 查询码 as its chain carries it: the keyed digest lookups go by, and the code sealed
/// under the hierarchy's data keyring (so the 受理告知书 can print it again). Set at registration
/// and by `reissueLookupCode`; the latest one alone opens the case.
public struct LookupSeal: Codable, Equatable, Sendable {
    public var digest: String
    public var sealed: SealedValue

    public init(digest: String, sealed: SealedValue) {
        self.digest = digest
        self.sealed = sealed
    }

    /// The bounds a receiver checks.
    public func checked() throws(ValidationFailure) -> LookupSeal {
        guard AttachmentLimits.isHash(digest) else { throw .invalid("lookupDigest", "查询码摘要须为 64 位小写十六进制数字。") }
        guard sealed.alg.count <= 32, sealed.kid.count <= 32, sealed.box.count <= 256 else {
            throw .invalid("lookupSealed", "查询码密文超出长度限制。")
        }
        return self
    }
}

/// How an evaluation reached the organ (评价渠道): the petitioner's own on the lookup page, or one
/// a staff member took by phone or in person and recorded.
public enum EvaluationChannel: String, Codable, Sendable, CaseIterable {
    case online  // 信访人网上评价
    case phone  // 电话回访
    case inPerson  // 当面评价

    public var label: String {
        switch self {
        case .online: "信访人网上评价"
        case .phone: "电话回访记录"
        case .inPerson: "当面评价记录"
        }
    }
}

extension PersonalDataProtector {
    /// The key of the 查询码 digest: derived from the match key (the same at every node and never
    /// rotated), so any level finds a code issued anywhere.
    public var lookupKey: SymmetricKey {
        let match = SymmetricKey(data: Data(base64Encoded: keyring.matchKey) ?? Data())
        return SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data("xinfang lookup code v1".utf8), using: match)))
    }

    /// A fresh 查询码 and the seal a chain carries.
    public func newLookupCode(using random: inout some RandomNumberGenerator) throws -> (code: LookupCode, seal: LookupSeal) {
        let code = LookupCode.generate(using: &random)
        return (code, LookupSeal(digest: code.digest(key: lookupKey), sealed: try seal(Data(code.symbols.utf8))))
    }

    /// The code a seal carries.
    public func openLookupCode(_ seal: LookupSeal) throws -> LookupCode {
        guard let code = LookupCode(typed: String(decoding: try open(seal.sealed), as: UTF8.self)) else {
            throw PersonalDataError(description: "the sealed lookup code is not a code")
        }
        return code
    }
}

/// What the public lookup (查询) shows of a case, and to whom: one definition, called by every
/// page that answers a petitioner. Only the milestones the national rules publish (domain rules
/// R56: 登记, each 转送/交办 and the organ handling it, the notices and their dates, the answer, the
/// review stages, the evaluation); never a name, a contact, a staff member, an opinion's text or
/// an internal note.
public enum PublicLookup {
    /// Why a case is not served on the public page.
    public enum Exclusion: String, Sendable, Equatable {
        /// 检举控告: its progress is never published (条例 Art. 46).
        case accusation
        /// 匿名: no petitioner gave a mobile or an ID number, so nobody can prove it is theirs.
        case anonymous
        /// 涉密: marked confidential at registration.
        case confidential
    }

    /// The name a petitioner's own action carries as its actor (never their name).
    public static let petitionerActor = "信访人（网上评价）"

    public static func exclusion(of registration: CaseRegistration) -> Exclusion? {
        if registration.purpose == .accusation { return .accusation }
        if registration.confidential == true { return .confidential }
        if secondFactors(of: registration).isEmpty { return .anonymous }
        return nil
    }

    /// The last four characters of each petitioner's mobile and ID number, from their masked forms
    /// (which keep them), upper-cased.
    static func secondFactors(of registration: CaseRegistration) -> Set<String> {
        var out: Set<String> = []
        for p in registration.petitioners {
            let masked = p.masked ?? MaskedContact(idNumber: p.idNumber, mobile: p.mobile, address: nil)
            for value in [masked.mobile, masked.idNumber].compactMap({ $0 }) where value.count >= 4 {
                out.insert(String(value.suffix(4)).uppercased())
            }
        }
        return out
    }

    /// Whether `typed` is the last four digits of a petitioner's mobile or ID number.
    public static func secondFactorMatches(_ typed: String, registration: CaseRegistration) -> Bool {
        let cleaned = typed.trimmingWhitespace().uppercased()
        guard cleaned.count == 4 else { return false }
        return secondFactors(of: registration).contains(cleaned)
    }

    /// The public milestones of a case, from its winning chain (in order) and its state.
    public static func progress(
        events: [CaseEvent],
        state: CaseState,
        topology: Topology?,
        calendar: DeadlineCalendar,
        now: Date
    ) -> PublicProgress {
        func organ(_ node: NodeID) -> String { topology?.node(node)?.name ?? node.rawValue }
        func day(_ date: Date) -> CivilDate { calendar.civilDate(of: date) }
        var steps: [PublicProgress.Step] = []
        for event in events {
            guard case .act(let action) = event.body else {
                if case .register = event.body {
                    steps.append(.init(date: day(state.registration.receivedAt), title: "登记", organ: organ(event.origin)))
                }
                continue
            }
            if let step = step(for: action, origin: event.origin, organ: organ) {
                steps.append(PublicProgress.Step(date: day(event.date), title: step.title, organ: step.organ))
            }
        }
        return PublicProgress(
            caseNumber: state.caseNumber.rawValue,
            registeredOn: day(state.registration.receivedAt),
            handlingOrgan: organ(state.holder),
            stage: state.status.label,
            steps: steps,
            evaluation: evaluationStanding(state, calendar: calendar, now: now)
        )
    }

    /// The public line an action makes, if any: (what happened, the organ named).
    static func step(for action: CaseAction, origin: NodeID, organ: (NodeID) -> String) -> (title: String, organ: String)? {
        switch action {
        case .offer(let to, let mode, _, _): return (mode == .assign ? "交办" : "转送", organ(to))
        case .escalate(let to, _, _): return ("上报", organ(to))
        case .recall(let by, _), .takeOver(let by, _): return ("改由上级机关办理", organ(by))
        case .notify: return ("受理", organ(origin))
        case .reject: return ("不予受理", organ(origin))
        case .routeOut(let channel, _): return ("不予受理（引导通过\(channel.label)途径解决）", organ(origin))
        case .refuseRepeat: return ("不再受理", organ(origin))
        case .extend(let days, _, _): return ("延期办理 \(days) 日", organ(origin))
        case .issueNotice(let notice) where !notice.kind.isForm: return ("出具《\(notice.kind.title)》\(notice.docNumber)", organ(origin))
        case .reply(let outcome, _): return ("出具处理意见（\(outcome.label)）", organ(origin))
        case .close: return ("办结", organ(origin))
        case .requestReview(_, let reviewer, _): return ("申请复查", organ(reviewer ?? origin))
        case .decideReview(let outcome, _): return ("出具复查意见（\(outcome.label)）", organ(origin))
        case .requestReReview(_, let reviewer, _): return ("申请复核", organ(reviewer ?? origin))
        case .decideReReview(let outcome, _): return ("出具复核意见（\(outcome.label)）", organ(origin))
        case .evaluate(let office, let unit, _, _): return ("评价：信访部门\(office.label)，责任单位\(unit.label)", organ(origin))
        case .terminate: return ("终结", organ(origin))
        case .returnToSender(let reason, _): return ("退回来件系统（\(reason.label)）", organ(origin))
        default: return nil
        }
    }

    /// Where the petitioner's evaluation stands: the one reading of the window the page, the
    /// petitioner's own submission and the holder's lifecycle share.
    public static func evaluationStanding(_ state: CaseState, calendar: DeadlineCalendar, now: Date) -> PublicProgress.EvaluationStanding {
        if let e = state.evaluation {
            return .init(state: .done, label: "已评价", dueOn: nil, office: e.office.label, unit: e.unit.label)
        }
        guard let due = state.evaluationDue(calendar: calendar) else {
            return .init(state: .notYet, label: "办结后可评价", dueOn: nil, office: nil, unit: nil)
        }
        let dueOn = calendar.civilDate(of: due)
        if now > due { return .init(state: .overdue, label: "超期未评价", dueOn: dueOn, office: nil, unit: nil) }
        if state.awaitsClosureVerification {
            return .init(state: .notYet, label: "待上级机关审核办结后可评价", dueOn: dueOn, office: nil, unit: nil)
        }
        guard [.closed, .closureVerified].contains(state.status) else {
            return .init(state: .notYet, label: "当前阶段不可评价", dueOn: nil, office: nil, unit: nil)
        }
        return .init(state: .open, label: "待评价", dueOn: dueOn, office: nil, unit: nil)
    }
}

/// The public page's content: every field it may show, and nothing else.
public struct PublicProgress: Codable, Equatable, Sendable {
    public struct Step: Codable, Equatable, Sendable {
        public var date: CivilDate
        public var title: String
        public var organ: String
    }

    public struct EvaluationStanding: Codable, Equatable, Sendable {
        public enum State: String, Codable, Sendable { case notYet, open, done, overdue }
        public var state: State
        public var label: String
        /// The last day the petitioner may evaluate.
        public var dueOn: CivilDate?
        public var office: String?
        public var unit: String?
    }

    public var caseNumber: String
    public var registeredOn: CivilDate
    public var handlingOrgan: String
    public var stage: String
    public var steps: [Step]
    public var evaluation: EvaluationStanding
}

/// The limits on the public lookup (防刷): how many failed lookups a code and a client address
/// may make within a window before they are locked out for a while, and how many requests an
/// address may make a minute. A node's configuration may change them (`lookup` in the config).
public struct LookupLimits: Codable, Equatable, Sendable {
    /// Wrong second factors for one code before the code is locked.
    public var codeFailuresMax: Int
    /// Failed lookups (unknown code or wrong second factor) from one address before it is locked.
    public var addressFailuresMax: Int
    /// The window failures are counted in, in seconds.
    public var windowSeconds: Int
    /// How long a lockout lasts, in seconds.
    public var lockoutSeconds: Int
    /// Requests to the public pages a minute from one address (the HTTP layer's rate limiter).
    public var requestsPerMinute: Int

    public init(
        codeFailuresMax: Int = 5,
        addressFailuresMax: Int = 20,
        windowSeconds: Int = 3600,
        lockoutSeconds: Int = 3600,
        requestsPerMinute: Int = 30
    ) {
        self.codeFailuresMax = codeFailuresMax
        self.addressFailuresMax = addressFailuresMax
        self.windowSeconds = windowSeconds
        self.lockoutSeconds = lockoutSeconds
        self.requestsPerMinute = requestsPerMinute
    }

    public static let standard = LookupLimits()

    enum CodingKeys: String, CodingKey { case codeFailuresMax, addressFailuresMax, windowSeconds, lockoutSeconds, requestsPerMinute }

    /// A config names only the limits it changes.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = LookupLimits()
        self.init(
            codeFailuresMax: try c.decodeIfPresent(Int.self, forKey: .codeFailuresMax) ?? d.codeFailuresMax,
            addressFailuresMax: try c.decodeIfPresent(Int.self, forKey: .addressFailuresMax) ?? d.addressFailuresMax,
            windowSeconds: try c.decodeIfPresent(Int.self, forKey: .windowSeconds) ?? d.windowSeconds,
            lockoutSeconds: try c.decodeIfPresent(Int.self, forKey: .lockoutSeconds) ?? d.lockoutSeconds,
            requestsPerMinute: try c.decodeIfPresent(Int.self, forKey: .requestsPerMinute) ?? d.requestsPerMinute
        )
    }

    /// Checks every limit is positive and within reason.
    public func validated() throws(ValidationFailure) -> LookupLimits {
        for (name, value, max) in [
            ("codeFailuresMax", codeFailuresMax, 100), ("addressFailuresMax", addressFailuresMax, 10_000),
            ("windowSeconds", windowSeconds, 86_400 * 7), ("lockoutSeconds", lockoutSeconds, 86_400 * 7),
            ("requestsPerMinute", requestsPerMinute, 10_000),
        ] where !(1...max).contains(value) {
            throw .invalid("lookup.\(name)", "lookup.\(name) 须在 1 到 \(max) 之间。")
        }
        return self
    }
}

/// The failures counted against one subject (a code or an address), and the lockout they earned.
public struct LookupFailures: Equatable, Sendable {
    public var failures: Int
    public var windowStart: Date
    public var lockedUntil: Date?

    public init(failures: Int, windowStart: Date, lockedUntil: Date?) {
        self.failures = failures
        self.windowStart = windowStart
        self.lockedUntil = lockedUntil
    }

    /// Until when the subject is locked at `now`, or nil.
    public func locked(at now: Date) -> Date? {
        guard let lockedUntil, now < lockedUntil else { return nil }
        return lockedUntil
    }

    /// The record after one more failure at `now`: a new window when the last one ended, and a
    /// lockout (with the count reset) once `max` failures fall within one window.
    public static func after(_ previous: LookupFailures?, now: Date, max: Int, limits: LookupLimits) -> LookupFailures {
        var r = previous ?? LookupFailures(failures: 0, windowStart: now, lockedUntil: nil)
        if now.timeIntervalSince(r.windowStart) >= Double(limits.windowSeconds) || r.locked(at: now) == nil && r.lockedUntil != nil {
            r = LookupFailures(failures: 0, windowStart: now, lockedUntil: nil)
        }
        r.failures += 1
        if r.failures >= max {
            r.lockedUntil = now.addingTimeInterval(Double(limits.lockoutSeconds))
        }
        return r
    }
}
