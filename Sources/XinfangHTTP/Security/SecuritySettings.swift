public import XinfangCore

/// The security knobs of a node (config `security`), with 等保-minded defaults.
public struct SecuritySettings: Codable, Sendable, Equatable {
    /// bcrypt's cost factor (2^cost rounds).
    public var bcryptCost: Int = 12
    /// Consecutive failed logins that lock an account…
    public var lockAfterFailures: Int = 5
    /// …for this long.
    public var lockMinutes: Int = 15
    /// A session unused this long ends (idle time-out).
    public var idleMinutes: Int = 30
    /// A session ends this long after login whatever its use.
    public var sessionHours: Int = 12
    /// The longest an API token may live.
    public var tokenDaysMax: Int = 365
    /// Login attempts per minute from one address.
    public var loginAttemptsPerMinute: Int = 10
    /// Peer requests per minute from one address.
    public var peerRequestsPerMinute: Int = 6_000
    /// Audit rows are kept at least this long (网络安全法: ≥ 6 months).
    public var auditRetentionDays: Int = 180
    /// A password older than this must be changed before the session may do anything else.
    public var passwordMaxAgeDays: Int = 90
    /// Reverse proxies (their addresses as the node's socket sees them) whose `Forwarded` or
    /// `X-Forwarded-For`/`-Proto` headers name the client (`ClientAddress`); none by default.
    public var trustedProxies: [String] = []

    public init() {}

    enum CodingKeys: String, CodingKey {
        case bcryptCost, lockAfterFailures, lockMinutes, idleMinutes, sessionHours, tokenDaysMax, loginAttemptsPerMinute,
            peerRequestsPerMinute, auditRetentionDays, passwordMaxAgeDays, trustedProxies
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = SecuritySettings()
        bcryptCost = try c.decodeIfPresent(Int.self, forKey: .bcryptCost) ?? d.bcryptCost
        lockAfterFailures = try c.decodeIfPresent(Int.self, forKey: .lockAfterFailures) ?? d.lockAfterFailures
        lockMinutes = try c.decodeIfPresent(Int.self, forKey: .lockMinutes) ?? d.lockMinutes
        idleMinutes = try c.decodeIfPresent(Int.self, forKey: .idleMinutes) ?? d.idleMinutes
        sessionHours = try c.decodeIfPresent(Int.self, forKey: .sessionHours) ?? d.sessionHours
        tokenDaysMax = try c.decodeIfPresent(Int.self, forKey: .tokenDaysMax) ?? d.tokenDaysMax
        loginAttemptsPerMinute = try c.decodeIfPresent(Int.self, forKey: .loginAttemptsPerMinute) ?? d.loginAttemptsPerMinute
        peerRequestsPerMinute = try c.decodeIfPresent(Int.self, forKey: .peerRequestsPerMinute) ?? d.peerRequestsPerMinute
        auditRetentionDays = try c.decodeIfPresent(Int.self, forKey: .auditRetentionDays) ?? d.auditRetentionDays
        passwordMaxAgeDays = try c.decodeIfPresent(Int.self, forKey: .passwordMaxAgeDays) ?? d.passwordMaxAgeDays
        trustedProxies = try c.decodeIfPresent([String].self, forKey: .trustedProxies) ?? d.trustedProxies
    }

    /// Refuses settings below the floor 等保 sets (or that would make the node unusable).
    public func validated() throws(ValidationFailure) -> SecuritySettings {
        func check(_ ok: Bool, _ field: String, _ detail: String) throws(ValidationFailure) {
            if !ok { throw ValidationFailure(code: "invalid-security-settings", field: "security.\(field)", detail: detail) }
        }
        try check((4...31).contains(bcryptCost), "bcryptCost", "bcryptCost 必须在 4 到 31 之间。")
        try check((1...20).contains(lockAfterFailures), "lockAfterFailures", "lockAfterFailures 必须在 1 到 20 之间。")
        try check((1...1440).contains(lockMinutes), "lockMinutes", "lockMinutes 必须在 1 到 1440 之间。")
        try check((1...240).contains(idleMinutes), "idleMinutes", "idleMinutes 必须在 1 到 240 之间。")
        try check((1...72).contains(sessionHours), "sessionHours", "sessionHours 必须在 1 到 72 之间。")
        try check((1...3650).contains(tokenDaysMax), "tokenDaysMax", "tokenDaysMax 必须在 1 到 3650 之间。")
        try check((1...10_000).contains(loginAttemptsPerMinute), "loginAttemptsPerMinute", "loginAttemptsPerMinute 必须在 1 到 10000 之间。")
        try check((1...1_000_000).contains(peerRequestsPerMinute), "peerRequestsPerMinute", "peerRequestsPerMinute 必须在 1 到 1000000 之间。")
        try check((1...365).contains(passwordMaxAgeDays), "passwordMaxAgeDays", "passwordMaxAgeDays 必须在 1 到 365 之间。")
        try check(
            trustedProxies.count <= 32 && trustedProxies.allSatisfy { (2...45).contains($0.count) },
            "trustedProxies",
            "trustedProxies 最多 32 个 IP 地址。"
        )
        try check(auditRetentionDays >= 180, "auditRetentionDays", "审计记录至少保留 180 天（网络安全法第二十一条）。")
        return self
    }
}
