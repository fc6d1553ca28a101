import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import XinfangCore
import XinfangStore

/// Login, logout, password change and API tokens (`/api/v1/session`, `/api/v1/tokens`), and the
/// dashboard's login form (`/ui/login`, `/ui/logout`).
struct SessionController<Context: NodeContext>: Sendable {
    let services: NodeServices

    func addRoutes(to router: Router<Context>) {
        router.post("api/v1/session", use: login)
        router.get("api/v1/session", use: whoami)
        router.delete("api/v1/session", use: logout)
        router.post("api/v1/session/password", use: changePassword)
        router.get("api/v1/tokens", use: listTokens)
        router.post("api/v1/tokens", use: createToken)
        router.delete("api/v1/tokens/{id}", use: revokeToken)
        router.get("ui/login", use: loginPage)
        router.post("ui/login", use: loginForm)
        router.post("ui/logout", use: logoutForm)
        router.get("ui/password", use: passwordPage)
        router.post("ui/password", use: passwordForm)
    }

    struct LoginInput: StrictInput {
        static var knownKeys: Set<String> { ["username", "password", "otp"] }
        var username: String?
        var password: String?
        var otp: String?
    }

    struct SessionView: Encodable {
        var token: String?
        var expiresAt: Date?
        var user: UserView
    }

    /// A bcrypt hash of nothing anyone knows, verified for unknown user names so that the answer
    /// takes as long as for a known one.
    static var decoyHash: String { LoginDecoy.hash }

    /// Checks a login; the session's secret and expiry, or a problem (each attempt audited).
    func authenticate(username: String, password: String, otp: String?, source: String) async throws -> (String, Date, UserAccount) {
        let now = services.clock.now()
        let security = services.security
        func audit(_ result: String, user: String = username) async throws {
            try await services.database.audit(
                AuditEntry(
                    at: now,
                    user: String(user.prefix(40)),
                    node: services.identity.id,
                    source: source,
                    action: "login",
                    object: "session",
                    result: result
                )
            )
        }
        let invalid = APIProblem(.unauthorized, code: "invalid-credentials", detail: "用户名或密码错误。")
        guard !username.isEmpty, username.count <= 32, !password.isEmpty, password.count <= PasswordPolicy.lengthMax,
            let user = try await services.database.accounts.user(named: username)
        else {
            _ = Credentials.verifyPassword(password, hash: Self.decoyHash)
            try await audit("failure:invalid-credentials", user: "unknown")
            throw invalid
        }
        if let until = user.lockedUntil, until > now {
            try await audit("failure:account-locked")
            throw APIProblem(
                HTTPResponse.Status(code: 423, reasonPhrase: "Locked"),
                code: "account-locked",
                detail: "连续登录失败次数过多，账号已锁定至 \(HTML.time(until))。"
            )
        }
        guard !user.disabled, let hash = user.passwordHash, Credentials.verifyPassword(password, hash: hash) else {
            try await services.database.accounts.loginFailed(
                user.id,
                now: now,
                lockAfter: security.lockAfterFailures,
                lockFor: Double(security.lockMinutes) * 60
            )
            try await audit("failure:invalid-credentials")
            throw invalid
        }
        if user.role.needsSecondFactor {
            guard let secret = try services.database.totpSecret(of: user) else {
                try await audit("failure:second-factor-not-set")
                throw APIProblem(.forbidden, code: "second-factor-not-set", detail: "该角色须使用动态口令登录，但账号尚未设置，请联系安全管理员。")
            }
            guard let otp, !otp.isEmpty else {
                try await audit("failure:otp-required")
                throw APIProblem(.unauthorized, code: "otp-required", detail: "请输入动态口令（6 位数字）。", field: "otp")
            }
            // A code is accepted once (RFC 6238 §5.2): a replayed one fails like a wrong one.
            let step = Credentials.totpStep(of: otp, secret: secret, now: now)
            var fresh = false
            if let step { fresh = try await services.database.accounts.useTOTPStep(step, of: user.id) }
            guard fresh else {
                try await services.database.accounts.loginFailed(
                    user.id,
                    now: now,
                    lockAfter: security.lockAfterFailures,
                    lockFor: Double(security.lockMinutes) * 60
                )
                try await audit(step == nil ? "failure:invalid-otp" : "failure:otp-reused")
                throw step == nil
                    ? APIProblem(.unauthorized, code: "invalid-otp", detail: "动态口令错误。", field: "otp")
                    : APIProblem(.unauthorized, code: "otp-reused", detail: "该动态口令已使用过，请等待下一个口令。", field: "otp")
            }
        }
        let secret = Credentials.newSecret(prefix: Credentials.sessionPrefix)
        let expires = now.addingTimeInterval(Double(security.sessionHours) * 3600)
        try await AuditScope.$current.withValue(
            AuditScope(AuditEntry(at: now, user: user.username, node: services.identity.id, source: source, action: "login", object: "session"))
        ) {
            try await services.database.accounts.loginSucceeded(user.id, sessionHash: Credentials.digest(secret), now: now, expiresAt: expires)
        }
        return (secret, expires, user)
    }

    /// The session cookie: HttpOnly, SameSite=Strict, and Secure when the client came over HTTPS
    /// (through a trusted proxy).
    func sessionCookie(_ secret: String, maxAge: Int, context: Context) -> Cookie {
        Cookie(
            name: AuthMiddleware<Context>.cookieName,
            value: secret,
            maxAge: maxAge,
            path: "/",
            secure: context.https,
            httpOnly: true,
            sameSite: .strict
        )
    }

    /// `POST /api/v1/session`: `{username, password, otp}` → 201 with the session token (also set
    /// as an HttpOnly, SameSite=Strict cookie).
    @Sendable func login(request: Request, context: Context) async throws -> Response {
        let (input, _) = try await APIJSON.decode(LoginInput.self, from: request, context: context)
        let (secret, expires, user) = try await authenticate(
            username: input.username ?? "",
            password: input.password ?? "",
            otp: input.otp,
            source: context.remoteAddress
        )
        var response = try APIJSON.response(
            SessionView(token: secret, expiresAt: expires, user: UserView(user, now: services.clock.now())),
            status: .created
        )
        response.setCookie(sessionCookie(secret, maxAge: services.security.sessionHours * 3600, context: context))
        return response
    }

    /// `GET /api/v1/session`: who the request acts for.
    @Sendable func whoami(request: Request, context: Context) async throws -> Response {
        let principal = try context.requireUser()
        var view = UserView(principal.user, now: services.clock.now())
        view.permissions = principal.permissions.sorted().map(\.rawValue)
        return try APIJSON.response(SessionView(user: view))
    }

    /// `DELETE /api/v1/session`: ends the session (204).
    @Sendable func logout(request: Request, context: Context) async throws -> Response {
        let principal = try context.requireUser()
        if let digest = principal.sessionDigest { try await services.database.accounts.endSession(digest) }
        var response = Response(status: .noContent)
        response.setCookie(sessionCookie("", maxAge: 0, context: context))
        return response
    }

    struct PasswordInput: StrictInput {
        static var knownKeys: Set<String> { ["currentPassword", "newPassword"] }
        var currentPassword: String?
        var newPassword: String?
    }

    /// `POST /api/v1/session/password`: a new password under the policy; every session of the
    /// account ends, this one included (204).
    @Sendable func changePassword(request: Request, context: Context) async throws -> Response {
        let principal = try context.requireUser()
        let (input, _) = try await APIJSON.decode(PasswordInput.self, from: request, context: context)
        try await setPassword(principal, current: input.currentPassword ?? "", new: input.newPassword ?? "")
        return Response(status: .noContent)
    }

    func setPassword(_ principal: Principal, current: String, new: String) async throws {
        guard let hash = principal.user.passwordHash, Credentials.verifyPassword(current, hash: hash) else {
            throw APIProblem(.forbidden, code: "invalid-credentials", detail: "当前密码错误。", field: "currentPassword")
        }
        do { try PasswordPolicy.check(new, username: principal.user.username) } catch { throw APIProblem(error) }
        guard new != current else {
            throw APIProblem(.badRequest, code: "weak-password", detail: "新密码不能与当前密码相同。", field: "newPassword")
        }
        AuditScope.current?.update {
            $0.action = "password.change"
            $0.object = principal.user.username
        }
        try await services.database.accounts.updateUser(
            principal.user.id,
            .init(passwordHash: Credentials.hashPassword(new, cost: services.security.bcryptCost)),
            now: services.clock.now()
        )
    }

    /// `GET /ui/password`: the form to change one's password (where an expired or initial one leads).
    @Sendable func passwordPage(request: Request, context: Context) async throws -> Response {
        _ = try context.requireUser()
        return HTML.response(Templates.render(bare("修改密码", error: nil), "password"))
    }

    /// `POST /ui/password`: changes it and goes to the login form (every session ended).
    @Sendable func passwordForm(request: Request, context: Context) async throws -> Response {
        let principal = try context.requireUser()
        let form = try await Form.values(of: request)
        guard form["newPassword"] == form["repeatPassword"] else {
            return HTML.response(Templates.render(bare("修改密码", error: "两次输入的新密码不一致。"), "password"), status: .badRequest)
        }
        do {
            try await setPassword(principal, current: form["currentPassword"] ?? "", new: form["newPassword"] ?? "")
        } catch let problem as APIProblem {
            return HTML.response(Templates.render(bare("修改密码", error: problem.detail), "password"), status: problem.status)
        }
        var response = Response(status: .seeOther, headers: [.location: "/ui/login"])
        response.setCookie(sessionCookie("", maxAge: 0, context: context))
        return response
    }

    struct TokenInput: StrictInput {
        static var knownKeys: Set<String> { ["name", "scope", "days"] }
        var name: String?
        var scope: [String]?
        var days: Int?
    }

    struct TokenView: Encodable {
        var id: Int64
        var name: String
        var scope: [String]
        var createdAt: Date
        var expiresAt: Date
        var revokedAt: Date?
        /// Only in the answer that creates it.
        var token: String?
        init(_ t: APIToken, token: String? = nil) {
            id = t.id
            name = t.name
            scope = t.scope.map(\.rawValue)
            createdAt = t.createdAt
            expiresAt = t.expiresAt
            revokedAt = t.revokedAt
            self.token = token
        }
    }

    /// `POST /api/v1/tokens`: an API token for scripts, with a scope no wider than the caller's
    /// permissions and a lifetime; the secret is shown once (201). Needs a session, not a token.
    @Sendable func createToken(request: Request, context: Context) async throws -> Response {
        let principal = try context.requireUser()
        guard principal.sessionDigest != nil else {
            throw APIProblem(.forbidden, code: "session-required", detail: "API 令牌只能在登录会话中创建。")
        }
        let (input, _) = try await APIJSON.decode(TokenInput.self, from: request, context: context)
        let name: String
        do { name = try ValidationFailure.requiredText(input.name, field: "name", max: 50) } catch { throw APIProblem(error) }
        guard let raw = input.scope, !raw.isEmpty, raw.count <= Permission.allCases.count else {
            throw APIProblem(.badRequest, code: "missing-field", detail: "scope 须列出令牌的权限。", field: "scope")
        }
        var scope: [Permission] = []
        for item in raw {
            guard let p = Permission(rawValue: item), principal.has(p) else {
                throw APIProblem(.badRequest, code: "invalid-scope", detail: "权限 \(item) 不存在或超出当前账号的权限。", field: "scope")
            }
            scope.append(p)
        }
        let days = input.days ?? 90
        guard (1...services.security.tokenDaysMax).contains(days) else {
            throw APIProblem(.badRequest, code: "invalid-field", detail: "days 必须在 1 到 \(services.security.tokenDaysMax) 之间。", field: "days")
        }
        let now = services.clock.now()
        let (secret, token) = try await services.database.issueToken(
            userID: principal.user.id,
            name: name,
            scope: Array(Set(scope)).sorted(),
            now: now,
            expiresAt: now.addingTimeInterval(Double(days) * 86_400)
        )
        return try APIJSON.response(TokenView(token, token: secret), status: .created)
    }

    /// `GET /api/v1/tokens`: the caller's tokens (never their secrets).
    @Sendable func listTokens(request: Request, context: Context) async throws -> Response {
        let principal = try context.requireUser()
        return try APIJSON.response(["items": try await services.database.accounts.tokens(of: principal.user.id).map { TokenView($0) }])
    }

    /// `DELETE /api/v1/tokens/{id}`: revokes one of the caller's tokens (a security administrator
    /// may revoke anyone's) (204).
    @Sendable func revokeToken(request: Request, context: Context) async throws -> Response {
        let principal = try context.requireUser()
        guard let id = context.parameters.get("id").flatMap(Int64.init) else {
            throw APIProblem(.notFound, code: "token-not-found", detail: "令牌不存在。")
        }
        let owner = principal.has(.manageSecurity) ? nil : principal.user.id
        guard try await services.database.accounts.revokeToken(id, of: owner, now: services.clock.now()) else {
            throw APIProblem(.notFound, code: "token-not-found", detail: "令牌 \(id) 不存在或已吊销。")
        }
        return Response(status: .noContent)
    }

    // MARK: The dashboard's login

    /// The login and password pages' model: the node's name, and what went wrong.
    func bare(_ title: String, error: String?, username: String = "") -> BarePage {
        let frame = Frame(title: title, node: services.identity.name, level: "", generatedAt: "")
        return BarePage(frame: frame, error: error, username: username)
    }

    @Sendable func loginPage(request: Request, context: Context) async throws -> Response {
        HTML.response(Templates.render(bare("登录", error: nil), "login"))
    }

    @Sendable func loginForm(request: Request, context: Context) async throws -> Response {
        let form = try await Form.values(of: request)
        let username = form["username"] ?? ""
        do {
            let (secret, _, _) = try await authenticate(
                username: username,
                password: form["password"] ?? "",
                otp: form["otp"],
                source: context.remoteAddress
            )
            var response = Response(status: .seeOther, headers: [.location: "/"])
            response.setCookie(sessionCookie(secret, maxAge: services.security.sessionHours * 3600, context: context))
            return response
        } catch let problem as APIProblem {
            return HTML.response(Templates.render(bare("登录", error: problem.detail, username: username), "login"), status: problem.status)
        }
    }

    @Sendable func logoutForm(request: Request, context: Context) async throws -> Response {
        if let digest = context.principal?.sessionDigest { try await services.database.accounts.endSession(digest) }
        var response = Response(status: .seeOther, headers: [.location: "/ui/login"])
        response.setCookie(sessionCookie("", maxAge: 0, context: context))
        return response
    }
}

/// An account as the API shows it (never its secrets).
struct UserView: Encodable {
    var id: Int64
    var username: String
    var displayName: String
    var role: Role
    var roleLabel: String
    var node: NodeID
    var disabled: Bool
    var locked: Bool
    var secondFactor: Bool
    var passwordChangedAt: Date
    var createdAt: Date
    var createdBy: String
    var permissions: [String]?

    init(_ u: UserAccount, now: Date) {
        id = u.id
        username = u.username
        displayName = u.displayName
        role = u.role
        roleLabel = u.role.label
        node = u.node
        disabled = u.disabled
        locked = (u.lockedUntil ?? .distantPast) > now
        secondFactor = u.totpSecret != nil
        passwordChangedAt = u.passwordChangedAt
        createdAt = u.createdAt
        createdBy = u.createdBy
    }
}

/// The decoy hash of `SessionController.decoyHash`, made once.
enum LoginDecoy {
    static let hash = Credentials.hashPassword(Credentials.generatePassword(), cost: 10)
}
