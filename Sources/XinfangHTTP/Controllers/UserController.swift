import Foundation
import HTTPTypes
import Hummingbird
import XinfangCore
import XinfangStore

/// Accounts (`/api/v1/users`, 系统管理员 and 安全管理员) and the audit trail (`/api/v1/audit`,
/// 审计员 and 审计管理员). Administrator accounts are made with the command line only, so no
/// administrator can grant itself or another one more power through the API.
struct UserController<Context: NodeContext>: Sendable {
    let services: NodeServices

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("users", use: list)
        group.post("users", use: create)
        group.patch("users/{id}", use: update)
        group.get("audit", use: audit)
    }

    /// `GET /api/v1/users`: this node's accounts.
    @Sendable func list(request: Request, context: Context) async throws -> Response {
        guard let principal = context.principal else { throw APIProblem.unauthenticated }
        if !principal.has(.manageAccounts) { _ = try context.require(.manageSecurity) }
        let now = services.clock.now()
        return try APIJSON.response(["items": try await services.database.accounts.users().map { UserView($0, now: now) }])
    }

    struct CreateInput: StrictInput {
        static var knownKeys: Set<String> { ["username", "displayName", "role"] }
        var username: String?
        var displayName: String?
        var role: String?
    }

    /// `POST /api/v1/users`: a business account (registrar, handler, leader, supervisor, auditor)
    /// with a generated first password and TOTP secret, shown once (201).
    @Sendable func create(request: Request, context: Context) async throws -> Response {
        let principal = try context.require(.manageAccounts)
        let (input, _) = try await APIJSON.decode(CreateInput.self, from: request, context: context)
        guard let raw = input.role, let role = Role(rawValue: raw), !role.isAdministrator else {
            throw APIProblem(
                .badRequest,
                code: "invalid-role",
                detail: "角色须为 registrar、handler、leader、supervisor 或 auditor；管理员账号只能用命令行创建。",
                field: "role"
            )
        }
        AuditScope.current?.update {
            $0.action = "user.create"
            $0.object = String((input.username ?? "").prefix(40))
            $0.detail = "role=\(role.rawValue)"
        }
        do {
            let user = try await services.database.provisionUser(
                username: input.username ?? "",
                displayName: input.displayName ?? "",
                role: role,
                by: principal.user.username,
                security: services.security,
                mustChangePassword: true,
                now: services.clock.now()
            )
            return try APIJSON.response(user, status: .created)
        } catch let failure as ValidationFailure { throw APIProblem(failure) }
    }

    struct UpdateInput: StrictInput {
        static var knownKeys: Set<String> { ["role", "disabled", "unlock", "resetSecondFactor"] }
        var role: String?
        var disabled: Bool?
        var unlock: Bool?
        var resetSecondFactor: Bool?
    }

    /// `PATCH /api/v1/users/{id}`: role, unlock and a new TOTP secret (安全管理员); disabling
    /// (系统管理员). Not one's own account, and not an administrator's role.
    @Sendable func update(request: Request, context: Context) async throws -> Response {
        let principal = try context.requireUser()
        let (input, _) = try await APIJSON.decode(UpdateInput.self, from: request, context: context)
        guard let id = context.parameters.get("id").flatMap(Int64.init), let target = try await services.database.accounts.user(id: id) else {
            throw APIProblem(.notFound, code: "user-not-found", detail: "账号不存在。")
        }
        if input.role != nil || input.unlock != nil || input.resetSecondFactor != nil { _ = try context.require(.manageSecurity) }
        if input.disabled != nil { _ = try context.require(.manageAccounts) }
        guard target.id != principal.user.id else {
            throw APIProblem(.forbidden, code: "own-account", detail: "不能修改自己的账号权限或状态。")
        }
        var change = AccountStore.AccountChange(disabled: input.disabled, unlock: input.unlock == true)
        if let raw = input.role {
            guard let role = Role(rawValue: raw), !role.isAdministrator, !target.role.isAdministrator else {
                throw APIProblem(.badRequest, code: "invalid-role", detail: "只能在业务角色之间调整；管理员角色只能用命令行设置。", field: "role")
            }
            change.role = role
        }
        var secret: String?
        if input.resetSecondFactor == true {
            secret = Credentials.newTOTPSecret()
            change.totpSecret = try services.database.personalData.seal(Data(secret!.utf8))
        }
        AuditScope.current?.update {
            $0.action = "user.update"
            $0.object = target.username
            $0.detail = [
                input.role.map { "role=\($0)" }, input.disabled.map { "disabled=\($0)" }, input.unlock == true ? "unlock" : nil,
                secret != nil ? "reset-second-factor" : nil,
            ].compactMap { $0 }.joined(separator: " ")
        }
        guard let updated = try await services.database.accounts.updateUser(id, change, now: services.clock.now()) else {
            throw APIProblem(.notFound, code: "user-not-found", detail: "账号不存在。")
        }
        return try APIJSON.response(
            UpdatedUser(
                user: UserView(updated, now: services.clock.now()),
                totpSecret: secret.map(Credentials.authenticatorSecret(of:)),
                otpauthURL: secret.map { Credentials.otpauthURL(secret: $0, username: updated.username, node: updated.node) }
            )
        )
    }

    /// `GET /api/v1/audit?after=&limit=&user=&action=`: the audit trail, oldest first (each read audited).
    @Sendable func audit(request: Request, context: Context) async throws -> Response {
        let principal = try context.require(.readAudit)
        let q = request.uri.queryParameters
        let after = q["after"].map { Int64(String($0)) } ?? 0
        let limit = q["limit"].map { Int(String($0)) } ?? 100
        guard let after, after >= 0, let limit, (1...500).contains(limit) else {
            throw APIProblem(.badRequest, code: "invalid-field", detail: "after 须为非负整数，limit 须在 1 到 500 之间。")
        }
        let user = q["user"].map(String.init)
        let action = q["action"].map(String.init)
        guard (user?.count ?? 0) <= 64 else { throw APIProblem(ValidationFailure.tooLong("user", max: 64)) }
        guard (action?.count ?? 0) <= 100 else { throw APIProblem(ValidationFailure.tooLong("action", max: 100)) }
        try await services.database.audit(
            AuditEntry(
                at: services.clock.now(),
                user: principal.user.username,
                node: services.identity.id,
                source: context.remoteAddress,
                action: "audit.read",
                object: "audit_log",
                detail: "after=\(after)"
            )
        )
        let rows = try await services.database.auditRows(after: after, limit: limit, user: user, action: action)
        return try APIJSON.response(AuditPage(items: rows, next: rows.count == limit ? rows.last?.seq : nil))
    }
}

struct UpdatedUser: Encodable {
    var user: UserView
    var totpSecret: String?
    var otpauthURL: String?
}

struct AuditPage: Encodable {
    var items: [AuditRow]
    var next: Int64?
}
