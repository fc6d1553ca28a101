import Foundation
public import Hummingbird
public import XinfangCore
public import XinfangService
public import XinfangStore

/// Who a request acts for: an account of this node, by session or API token, and what it may do.
public struct Principal: Sendable {
    public var user: UserAccount
    /// The role's permissions, narrowed by the token's scope for a token.
    public var permissions: Set<Permission>
    /// The session's digest, when the request came with a session (nil for an API token).
    public var sessionDigest: String?

    public func has(_ permission: Permission) -> Bool { permissions.contains(permission) }

    /// How the chain names the person: display name and user name.
    public var actorName: String { "\(user.displayName)（\(user.username)）" }

    /// The person as the application layer knows them: the name on their events and what they may do.
    public var caseActor: CaseService.Actor {
        CaseService.Actor(name: actorName, permissions: permissions, roleLabel: user.role.label)
    }

    /// The registrar a registration names (登记人): the person typed in the form or request, or the
    /// account's holder when none was typed. The registration event itself always names the account.
    public func registrar(typed: String?) -> String {
        let typed = (typed ?? "").trimmingCharacters(in: .whitespaces)
        return typed.isEmpty ? user.displayName : typed
    }

    /// The same, with the person who handled the matter (经办人) as typed in the form or request,
    /// when it is not the account's own holder: the event then names both, the person first and
    /// the account that answers for the entry after it.
    public func caseActor(handledBy person: String?) -> CaseService.Actor {
        let typed = (person ?? "").trimmingCharacters(in: .whitespaces)
        guard !typed.isEmpty, typed != user.displayName, typed != actorName else { return caseActor }
        return CaseService.Actor(name: "\(typed)（经办；账号 \(actorName)）", permissions: permissions, roleLabel: user.role.label)
    }
}

/// The request context of a node's routes: the authenticated principal and the client's address.
public protocol NodeContext: RequestContext {
    var principal: Principal? { get set }
    /// The client's address: the socket's, or the one a trusted proxy names (`ClientAddress`).
    var remoteAddress: String { get set }
    /// The address the socket sees.
    var socketAddress: String { get }
    /// Whether the client reached a trusted proxy over HTTPS.
    var https: Bool { get set }
    /// What the access log says of the request.
    var accessRecord: AccessRecord { get }
}

extension NodeContext {
    /// The principal, which must hold `permission`: 401 without one, 403 without the permission.
    func require(_ permission: Permission) throws -> Principal {
        guard let principal else { throw APIProblem.unauthenticated }
        guard principal.has(permission) else {
            throw APIProblem(
                .forbidden,
                code: "forbidden",
                detail: "当前账号（\(principal.user.role.label)）无权执行此操作（需要权限 \(permission.rawValue)）。"
            )
        }
        return principal
    }

    /// The principal, whatever its permissions (401 without one).
    func requireUser() throws -> Principal {
        guard let principal else { throw APIProblem.unauthenticated }
        return principal
    }
}

extension APIProblem {
    static var unauthenticated: APIProblem {
        var p = APIProblem(.unauthorized, code: "unauthenticated", detail: "请先登录：需要会话令牌或 API 令牌（Authorization: Bearer …）。")
        p.headers[.wwwAuthenticate] = "Bearer realm=\"xinfang\""
        return p
    }
}

extension NodeContext {
    /// The `{caseNumber}` of the route, checked; a malformed one is a 400 naming the field.
    func caseNumber() throws -> CaseNumber {
        do { return try CaseNumber.validated(parameters.get("caseNumber") ?? "", field: "caseNumber") } catch { throw APIProblem(error) }
    }
}
