import Foundation
import Hummingbird
import XinfangCore
import XinfangStore

/// Setting up an authenticator (动态口令) on the dashboard: `GET /ui/totp` shows a new secret as a
/// QR code drawn here (`QRCode`, no external service) and as base32 text to type in; the secret
/// takes effect only when `POST /ui/totp` brings a code the app computed from it. Until then the
/// account keeps its old second factor. The new secret travels in the form sealed with the
/// node's data keyring and bound to the account, for ten minutes.
struct EnrolmentController<Context: NodeContext>: Sendable {
    let services: NodeServices

    /// How long a page's secret can be confirmed.
    static var pendingSeconds: Double { 600 }

    func addRoutes(to router: Router<Context>) {
        router.get("ui/totp", use: page)
        router.post("ui/totp", use: confirm)
    }

    /// The secret a page offered, for whom, and when.
    struct Pending: Codable {
        var user: Int64
        var key: String
        var issuedAt: Date
    }

    func seal(_ pending: Pending) throws -> String {
        let sealed = try services.database.personalData.seal(try JSONEncoder().encode(pending))
        return Data(try JSONEncoder().encode(sealed)).base64EncodedString()
    }

    /// The key a form brings back, when it is this account's and still fresh.
    func open(_ token: String, user: Int64, now: Date) -> String? {
        guard token.count <= 2_000, let data = Data(base64Encoded: token), let sealed = try? JSONDecoder().decode(SealedValue.self, from: data),
            let plain = try? services.database.personalData.open(sealed), let pending = try? JSONDecoder().decode(Pending.self, from: plain),
            pending.user == user, now.timeIntervalSince(pending.issuedAt) < Self.pendingSeconds, pending.issuedAt <= now.addingTimeInterval(60)
        else { return nil }
        return pending.key
    }

    func render(_ principal: Principal, key: String, token: String, error: String?, status: HTTPResponse.Status = .ok) throws -> Response {
        let url = Credentials.otpauthURL(secret: key, username: principal.user.username, node: services.identity.id)
        let secret = Credentials.authenticatorSecret(of: key)
        let grouped = stride(from: 0, to: secret.count, by: 4).map { i in
            String(secret.dropFirst(i).prefix(4))
        }.joined(separator: " ")
        let model = EnrolmentPage(
            frame: DashboardPages(services: services).frame("设置动态口令"),
            qr: try QRCode(url).svg(),
            secret: grouped,
            pending: token,
            error: error
        )
        return HTML.response(Templates.render(model, "totp"), status: status)
    }

    /// `GET /ui/totp`: a new secret to scan, and the field for its first code.
    @Sendable func page(request: Request, context: Context) async throws -> Response {
        let principal = try context.requireUser()
        guard principal.user.role.needsSecondFactor else {
            throw APIProblem(.forbidden, code: "second-factor-not-needed", detail: "本角色登录不使用动态口令。")
        }
        let key = Credentials.newTOTPSecret()
        let token = try seal(Pending(user: principal.user.id, key: key, issuedAt: services.clock.now()))
        return try render(principal, key: key, token: token, error: nil)
    }

    /// `POST /ui/totp`: enables the page's secret when the code is the app's; else the page again.
    @Sendable func confirm(request: Request, context: Context) async throws -> Response {
        let principal = try context.requireUser()
        guard principal.user.role.needsSecondFactor else {
            throw APIProblem(.forbidden, code: "second-factor-not-needed", detail: "本角色登录不使用动态口令。")
        }
        let now = services.clock.now()
        let form = try await Form.values(of: request)
        AuditScope.current?.update {
            $0.action = "user.totp-enrol"
            $0.object = principal.user.username
        }
        guard let token = form["pending"], let key = open(token, user: principal.user.id, now: now) else {
            throw APIProblem(.badRequest, code: "enrolment-expired", detail: "页面已超过 10 分钟或无效，请重新打开“设置动态口令”页面扫码。")
        }
        let code = (form["code"] ?? "").filter { !$0.isWhitespace }
        guard let step = Credentials.totpStep(of: code, secret: key, now: now) else {
            return try render(principal, key: key, token: token, error: "口令不正确：请输入手机应用中当前显示的 6 位数字，并确认手机时间准确。", status: .unprocessableContent)
        }
        let sealed = try services.database.personalData.seal(Data(key.utf8))
        _ = try await services.database.accounts.updateUser(principal.user.id, AccountStore.AccountChange(totpSecret: sealed), now: now)
        // The confirming code has been seen: it cannot also sign in.
        _ = try await services.database.accounts.useTOTPStep(step, of: principal.user.id)
        let done = EnrolmentPage(
            frame: DashboardPages(services: services).frame("设置动态口令"),
            qr: nil,
            secret: nil,
            pending: nil,
            error: nil,
            done: true
        )
        return HTML.response(Templates.render(done, "totp"))
    }
}
