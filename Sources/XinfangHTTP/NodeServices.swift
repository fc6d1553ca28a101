public import Foundation
public import XinfangCore
public import XinfangService
public import XinfangStore
public import XinfangSync

/// Everything a node's HTTP layer serves from: its identity, store, policy and clock.
public struct NodeServices: Sendable {
    public var identity: NodeIdentity
    public var database: NodeDatabase
    public var policy: OwnershipPolicy
    public var clock: any NodeClock
    /// The reconciliation job's thresholds and interval.
    public var reconciliation: ReconciliationLimits
    /// Password, session, lockout, rate-limit and audit-retention settings.
    public var security: SecuritySettings
    /// The reverse proxies whose forwarding headers name the client.
    public var trustedProxies: Set<String> { Set(security.trustedProxies) }
    /// The application layer every change to a case goes through.
    public var cases: CaseService { CaseService(database: database, clock: clock) }
    /// Login and peer request buckets by client address.
    public let rateLimiter = RateLimiter()
    /// What neighbours' packets brought, for the log's progress lines during a catch-up.
    public let received = StreamProgress()
    /// The node's Prometheus metrics and the token `/metrics` asks for.
    public var metrics: NodeMetrics
    /// Working days before a deadline that a case shows yellow (临期).
    public var yellowWorkingDays: Int
    /// The largest file and the most bytes per case an upload may bring.
    public var uploadLimits = CaseService.UploadLimits()
    public var blobTransfer = BlobTransferSettings()
    /// The public lookup's abuse limits.
    public var lookupLimits = LookupLimits.standard
    /// The notification gateways and rules (nil: the node sends no messages and queues none).
    public var notifications: NotificationSettings? {
        didSet {
            if notifications != nil, notifications?.organ == nil { notifications?.organ = identity.name }
            database.notifications.set(audiences: notifications?.audiences ?? [], callbackSystems: notifications?.callbackSystems ?? [])
        }
    }
    /// The written notices' templates (the built-in ones, or a province's overrides).
    public var noticeTemplates: NoticeTemplates = try! NoticeTemplates()
    /// The prefix of this organ's 文号 (`noticePrefix`; its name and 信 by default).
    public var noticePrefix: String

    public init(
        identity: NodeIdentity,
        database: NodeDatabase,
        policy: OwnershipPolicy = .standard,
        clock: any NodeClock = SystemClock(),
        reconciliation: ReconciliationLimits = ReconciliationLimits(),
        security: SecuritySettings = SecuritySettings(),
        metrics: NodeMetrics = NodeMetrics(token: nil),
        yellowWorkingDays: Int = DueLightRule.workingDaysDefault
    ) {
        self.yellowWorkingDays = yellowWorkingDays
        noticePrefix = NoticeNumbering.defaultPrefix(organName: identity.name)
        self.security = security
        self.metrics = metrics
        self.identity = identity
        self.database = database
        self.policy = policy
        self.clock = clock
        self.reconciliation = reconciliation
    }
}

extension NodeServices {
    /// The 红黄绿 rule at `now` under this node's calendar and yellow days.
    public func lights(now: Date) -> DueLightRule {
        DueLightRule(now: now, workingDays: yellowWorkingDays, calendar: database.calendar)
    }
}

/// The wall clock, for production.
public struct SystemClock: NodeClock {
    public init() {}
    public func now() -> Date { Date() }
}

extension NodeServices {
    /// 出具文书 as the signed-in person, rendered with this node's templates and 文号 prefix
    /// (the API and the dashboard both come here).
    func issueNotice(_ kind: NoticeKind, on number: CaseNumber, principal: Principal) async throws -> (CaseState, NoticeRecord) {
        let templates = noticeTemplates
        return try await cases.issueNotice(
            kind,
            on: number,
            by: principal.caseActor,
            scope: scope(for: principal),
            prefix: noticePrefix,
            render: { try templates.render($0) }
        )
    }
}
