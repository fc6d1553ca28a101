import Foundation
import HTTPTypes
import Hummingbird
import XinfangCore
import XinfangStore

/// Authenticates every request but the login and the peer endpoint (which its node signature
/// authenticates), rate-limits those two by client address, and audits every request that
/// changes something: the audit row commits in the action's own transaction (`AuditScope`), a
/// refusal is recorded on its own, and when the audit cannot be written the request fails.
struct AuthMiddleware<Context: NodeContext>: RouterMiddleware {
    let services: NodeServices

    static var cookieName: String { "xf_session" }

    /// The requests a minute per address of a path served without an account; nil for any other.
    func publicLimit(_ path: String) -> Int? {
        switch path {
        case "/lookup", "/lookup/evaluate": services.lookupLimits.requestsPerMinute
        case "/notify/v1/reports": 600
        default: nil
        }
    }

    /// The peer API: each request is signed by an adjacent node's key, which its handler checks
    /// (`PacketReceiver.sender`); no account. A switch: this runs on every request.
    static func isPeerPath(_ path: String) -> Bool {
        switch path {
        case "/sync/v1/packets", "/sync/v1/blobs", "/sync/v1/subtree": true
        default: false
        }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let path = request.uri.path
        let now = services.clock.now()
        let security = services.security
        let client = ClientAddress.resolve(socket: context.socketAddress, headers: request.headers, trusted: services.trustedProxies)
        context.remoteAddress = client.address
        context.https = client.https
        if Self.isPeerPath(path) {
            guard services.rateLimiter.allow("peer|\(context.remoteAddress)", perMinute: security.peerRequestsPerMinute, now: now) else {
                throw Self.rateLimited
            }
            return try await next(request, context)
        }
        if let perMinute = publicLimit(path) {
            // The petitioner's pages and the SMS platform's reports: no account (the store counts
            // and audits each lookup; a report carries the platform's own token).
            guard services.rateLimiter.allow("\(path)|\(context.remoteAddress)", perMinute: perMinute, now: now) else { throw Self.rateLimited }
            return try await next(request, context)
        }
        if path == "/api/v1/session" && request.method == .post || path == "/ui/login" {
            if request.method == .post,
                !services.rateLimiter.allow("login|\(context.remoteAddress)", perMinute: security.loginAttemptsPerMinute, now: now)
            {
                // One row a minute per address says it was limited: a flood of refused attempts
                // must not grow the audit trail at the flood's rate.
                guard services.rateLimiter.allow("login-limited|\(context.remoteAddress)", perMinute: 1, now: now) else { throw Self.rateLimited }
                try await services.database.audit(
                    AuditEntry(
                        at: now,
                        user: "anonymous",
                        node: services.identity.id,
                        source: context.remoteAddress,
                        action: "login",
                        object: path,
                        result: "failure:rate-limited"
                    )
                )
                throw Self.rateLimited
            }
            return try await next(request, context)
        }
        if path == "/metrics" {
            // Its own token (`metricsToken`), not a user's: Prometheus is not a person.
            let presented = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
            guard let expected = services.metrics.token, let presented,
                Credentials.digest(presented) == Credentials.digest(expected)
            else { throw APIProblem.unauthenticated }
            return try await next(request, context)
        }
        if path == "/healthz" || path == "/readyz" {
            // Probes answer without credentials (and then reveal nothing but their status).
            context.principal = try await authenticate(request, now: now)
            return try await next(request, context)
        }
        guard let principal = try await authenticate(request, now: now) else {
            if path == "/" || path.hasPrefix("/ui/") {
                return Response(status: .seeOther, headers: [.location: "/ui/login"])
            }
            throw APIProblem.unauthenticated
        }
        context.principal = principal
        context.accessRecord.user = principal.user.username
        if principal.sessionDigest != nil,
            now.timeIntervalSince(principal.user.passwordChangedAt) > Double(security.passwordMaxAgeDays) * 86_400,
            !Self.allowedWithExpiredPassword.contains("\(request.method.rawValue) \(path)")
        {
            // A password set by an administrator, or older than the limit: change it first.
            if path == "/" || path.hasPrefix("/ui/") { return Response(status: .seeOther, headers: [.location: "/ui/password"]) }
            throw APIProblem(.forbidden, code: "password-expired", detail: "密码已过期或为初始密码，请先修改密码（POST /api/v1/session/password）。")
        }
        return try await HTML.$viewer.withValue(principal.actorName) {
            try await HTML.$permissions.withValue(principal.permissions) {
                try await HTML.$secondFactor.withValue(principal.user.role.needsSecondFactor) {
                    try await audited(request, context: context, principal: principal, now: now, next: next)
                }
            }
        }
    }

    /// Serves an authenticated request; one that changes something is audited.
    func audited(
        _ request: Request,
        context: Context,
        principal: Principal,
        now: Date,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let path = request.uri.path
        if request.method == .get || request.method == .head { return try await next(request, context) }
        let scope = AuditScope(
            AuditEntry(
                at: now,
                user: principal.user.username,
                node: services.identity.id,
                source: context.remoteAddress,
                action: "\(request.method.rawValue) \(Self.template(path))",
                object: path
            )
        )
        let response: Response
        do {
            response = try await AuditScope.$current.withValue(scope) { try await next(request, context) }
        } catch {
            var entry = scope.entry
            entry.result = "failure:\(Self.code(of: error))"
            try await record(entry)
            throw error
        }
        if response.status.code >= 400 {
            var entry = scope.entry
            entry.result = "failure:http-\(response.status.code)"
            try await record(entry)
        } else if !scope.claimed {
            try await record(scope.entry)
        }
        return response
    }

    /// What a session whose password must change may still do.
    static var allowedWithExpiredPassword: Set<String> {
        [
            "GET /api/v1/session", "DELETE /api/v1/session", "POST /api/v1/session/password", "GET /ui/password", "POST /ui/password",
            "POST /ui/logout",
        ]
    }

    /// Writes an audit row on its own; a failure stops the request (503).
    func record(_ entry: AuditEntry) async throws {
        do { try await services.database.audit(entry) } catch {
            throw APIProblem(.serviceUnavailable, code: "audit-unavailable", detail: "审计记录写入失败，操作未执行，请稍后重试。")
        }
    }

    /// The principal of a session (cookie or bearer) or an API token (bearer); nil when none is
    /// given or it is unknown, expired, revoked, idle too long, or its account disabled.
    func authenticate(_ request: Request, now: Date) async throws -> Principal? {
        var secret: String?
        if let header = request.headers[.authorization], header.hasPrefix("Bearer ") {
            secret = String(header.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces)
        } else if let cookie = request.cookies[Self.cookieName]?.value {
            secret = cookie
        }
        guard let secret, secret.count <= 100 else { return nil }
        let digest = Credentials.digest(secret)
        if secret.hasPrefix(Credentials.sessionPrefix) {
            guard let user = try await services.database.accounts.session(digest, now: now, idleTimeout: Double(services.security.idleMinutes) * 60),
                !user.disabled
            else { return nil }
            return Principal(user: user, permissions: user.role.permissions, sessionDigest: digest)
        }
        if secret.hasPrefix(Credentials.tokenPrefix) {
            guard let (token, user) = try await services.database.accounts.token(hash: digest, now: now), !user.disabled else { return nil }
            return Principal(user: user, permissions: user.role.permissions.intersection(token.scope))
        }
        return nil
    }

    /// A path with its case number, command id or user id replaced by a placeholder.
    static func template(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { part in
            part.count >= 6 && part.allSatisfy({ $0.isNumber || $0 == "-" }) ? "{id}" : String(part)
        }.joined(separator: "/")
    }

    static func code(of error: any Error) -> String {
        switch error {
        case let problem as APIProblem: problem.code
        case let store as StoreError: APIProblem(store).code
        case let http as HTTPError: "http-\(http.status.code)"
        default: "internal-error"
        }
    }

    static var rateLimited: APIProblem {
        var p = APIProblem(.tooManyRequests, code: "rate-limited", detail: "请求过于频繁，请稍后再试。")
        p.headers[.retryAfter] = "60"
        return p
    }
}
