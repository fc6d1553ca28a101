import Foundation
import GRDB
import HTTPTypes
import Testing
import XinfangCore
import XinfangHTTP
import XinfangTesting

@testable import XinfangStore

/// Logins (password, TOTP, lockout, idle time-out, rate limit), roles and token scopes, masking
/// and audited unmasked reads, and an audit trail whose failure stops the action.
struct SecurityAPITests {
    static func node() throws -> TestNode {
        var node = try TestNode()
        node.services.security.bcryptCost = 4  // the tests' logins; production keeps 12
        return node
    }

    static func provision(_ node: TestNode, _ username: String, _ role: Role) async throws -> ProvisionedUser {
        try await node.database.provisionUser(
            username: username,
            displayName: "测试\(role.label)",
            role: role,
            by: "test",
            security: node.services.security,
            now: node.clock.now()
        )
    }

    static func loginBody(_ user: ProvisionedUser, password: String? = nil, otp: String? = nil) -> String {
        var object: [String: String] = ["username": user.username, "password": password ?? user.password]
        if let otp { object["otp"] = otp }
        return String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    static func login(_ api: APIClient, _ node: TestNode, _ user: ProvisionedUser) async throws -> APIClient {
        let otp = user.totpSecret.flatMap { Credentials.authenticatorCode($0, at: node.clock.now()) }
        let reply = try await api.request(.post, "/api/v1/session", body: loginBody(user, otp: otp))
        #expect(reply.status == 201, "\(reply.text)")
        return api.with(token: reply["token"])
    }

    @Test func aLoginNeedsThePasswordAndTheTOTPCodeAndEndsWhenIdle() async throws {
        let node = try Self.node()
        let handler = try await Self.provision(node, "zhoumin", .handler)
        let secret = try #require(handler.totpSecret, "a handler reads personal data: it gets a second factor")
        try await node.withAPI(as: nil) { api in
            #expect(try await api.request(.post, "/api/v1/session", body: Self.loginBody(handler))["code"] == "otp-required")
            let wrong = Credentials.authenticatorCode(secret, at: node.clock.now()) == "000000" ? "111111" : "000000"
            #expect(try await api.request(.post, "/api/v1/session", body: Self.loginBody(handler, otp: wrong))["code"] == "invalid-otp")
            let session = try await Self.login(api, node, handler)
            let me = try await session.request(.get, "/api/v1/session")
            #expect(me.status == 200 && ((me.json["user"] as? [String: Any])?["role"] as? String) == "handler")
            node.clock.advance(seconds: 29 * 60)
            #expect(try await session.request(.get, "/api/v1/cases").status == 200, "used within 30 minutes: alive")
            node.clock.advance(seconds: 31 * 60)
            #expect(try await session.request(.get, "/api/v1/cases").status == 401, "idle for 31 minutes: ended")
        }
        let logins = try await node.database.auditRows(after: 0, limit: 100, action: "login").map(\.entry.result)
        #expect(logins == ["failure:otp-required", "failure:invalid-otp", "success"])
    }

    /// RFC 6238 §5.2: a code is accepted once. The same code again, or the code of an earlier step
    /// still inside the drift window, is refused and counted as a failure; the next step's code works.
    @Test func aTOTPCodeIsAcceptedOnce() async throws {
        let node = try Self.node()
        let handler = try await Self.provision(node, "lina", .handler)
        let secret = try #require(handler.totpSecret)
        try await node.withAPI(as: nil) { api in
            let code = Credentials.authenticatorCode(secret, at: node.clock.now())
            #expect(try await api.request(.post, "/api/v1/session", body: Self.loginBody(handler, otp: code)).status == 201)
            let again = try await api.request(.post, "/api/v1/session", body: Self.loginBody(handler, otp: code))
            #expect(again.status == 401 && again["code"] == "otp-reused", "\(again.text)")
            node.clock.advance(seconds: 30)
            let earlier = try await api.request(.post, "/api/v1/session", body: Self.loginBody(handler, otp: code))
            #expect(earlier["code"] == "otp-reused", "the previous step's code is inside the drift window, and used")
            let next = Credentials.authenticatorCode(secret, at: node.clock.now())
            #expect(try await api.request(.post, "/api/v1/session", body: Self.loginBody(handler, otp: next)).status == 201)
        }
        let logins = try await node.database.auditRows(after: 0, limit: 100, action: "login").map(\.entry.result)
        #expect(logins == ["success", "failure:otp-reused", "failure:otp-reused", "success"])
    }

    @Test func fiveFailuresLockTheAccountAndUnknownUsersLookTheSame() async throws {
        let node = try Self.node()
        let supervisor = try await Self.provision(node, "dujian", .supervisor)
        #expect(supervisor.totpSecret == nil, "a supervisor reads no personal data and does not administer")
        try await node.withAPI(as: nil) { api in
            let unknown = try await api.request(.post, "/api/v1/session", body: #"{"username":"nobody","password":"Whatever-123"}"#)
            let wrong = try await api.request(.post, "/api/v1/session", body: Self.loginBody(supervisor, password: "Wrong-Password-1"))
            #expect(unknown.status == 401 && wrong.status == 401 && unknown["code"] == wrong["code"] && unknown["detail"] == wrong["detail"])
            for _ in 0..<4 { _ = try await api.request(.post, "/api/v1/session", body: Self.loginBody(supervisor, password: "Wrong-Password-1")) }
            let locked = try await api.request(.post, "/api/v1/session", body: Self.loginBody(supervisor))
            #expect(locked.status == 423 && locked["code"] == "account-locked", "the right password is refused while locked")
            node.clock.advance(seconds: 16 * 60)
            #expect(try await api.request(.post, "/api/v1/session", body: Self.loginBody(supervisor)).status == 201)
            // The 11th login attempt within the minute from one address is refused.
            var statuses: [Int] = []
            for _ in 0..<10 { statuses.append(try await api.request(.post, "/api/v1/session", body: Self.loginBody(supervisor)).status) }
            #expect(statuses.last == 429, "\(statuses)")
        }
    }

    @Test func eachRoleMayDoWhatItsPermissionsSayAndNoMore() async throws {
        let node = try Self.node()
        try await node.withAPI(as: nil) { anonymous in
            let supervisor = anonymous.with(token: try await TestAccounts.provision(node.database, role: .supervisor))
            let auditor = anonymous.with(token: try await TestAccounts.provision(node.database, role: .auditor))
            let admin = anonymous.with(token: try await TestAccounts.provision(node.database, role: .systemAdmin))
            let handler = anonymous.with(token: try await TestAccounts.provision(node.database, role: .handler))
            let leader = anonymous.with(token: try await TestAccounts.provision(node.database, role: .leader))
            #expect(try await supervisor.request(.post, "/api/v1/cases", body: Fixtures.registrationJSON())["code"] == "forbidden")
            #expect(try await supervisor.request(.get, "/api/v1/backlog").status == 200)
            #expect(try await auditor.request(.get, "/api/v1/cases").status == 403)
            #expect(try await auditor.request(.get, "/api/v1/audit").status == 200)
            #expect(try await admin.request(.get, "/api/v1/cases").status == 403, "administrators read no case content")
            #expect(try await admin.request(.get, "/api/v1/audit").status == 403)
            #expect(try await handler.request(.get, "/api/v1/users").status == 403)
            // A handler handles; extending the period is the leader's approval.
            let created = try await handler.request(.post, "/api/v1/cases", body: Fixtures.registrationJSON())
            let number = try #require(created["caseNumber"])
            // The 登记人 typed in the request is the registration's; the event names the account.
            #expect(((created.json["registration"] as? [String: Any])?["registeredBy"] as? String) == "李娜")
            #expect(try await handler.act(number, ["action": "notify"]).status == 200)
            let extend: [String: any Sendable] = ["action": "extend", "days": 10, "approver": "x", "reason": "案情复杂"]
            #expect(try await handler.act(number, extend)["code"] == "forbidden")
            #expect(try await leader.act(number, extend).status == 200)
            // The events name the accounts that acted, always; a body's `actor` (the 经办人 typed)
            // stands beside the account, never instead of it.
            let chain = try await node.database.events(of: CaseNumber(rawValue: number)).map(\.actor)
            #expect(chain == ["测试承办人（test-handler）", "周敏（经办；账号 测试承办人（test-handler））", "周敏（经办；账号 测试领导（test-leader））"])
            // Accounts: the system administrator makes business accounts, never administrators.
            let made = try await admin.request(.post, "/api/v1/users", body: #"{"username":"liuna","displayName":"刘娜","role":"registrar"}"#)
            #expect(made.status == 201 && (made["password"]?.count ?? 0) >= 12 && made["totpSecret"] != nil)
            let elevated = try await admin.request(.post, "/api/v1/users", body: #"{"username":"evil","displayName":"x","role":"securityAdmin"}"#)
            #expect(elevated["code"] == "invalid-role")
            #expect(try await leader.request(.post, "/api/v1/users", body: #"{"username":"x2","displayName":"x","role":"handler"}"#).status == 403)
            let id = try #require(made.json["id"] as? Int)
            #expect(
                try await admin.request(.patch, "/api/v1/users/\(id)", body: #"{"role":"leader"}"#).status == 403,
                "roles are the security administrator's"
            )
            let security = anonymous.with(token: try await TestAccounts.provision(node.database, role: .securityAdmin))
            let promoted = try await security.request(.patch, "/api/v1/users/\(id)", body: #"{"role":"handler"}"#)
            #expect(((promoted.json["user"] as? [String: Any])?["role"] as? String) == "handler")
            let trail = try await node.database.auditRows(after: 0, limit: 200)
            #expect(trail.contains { $0.entry.action == "user.update" && $0.entry.object == "liuna" && $0.entry.detail == "role=handler" })
            #expect(trail.contains { $0.entry.action == "user.create" && $0.entry.user == "test-systemadmin" })
            #expect(trail.contains { $0.entry.action == "case.action" && $0.entry.detail == "extend" && $0.entry.result == "failure:forbidden" })
            #expect(trail.contains { $0.entry.action == "case.register" && $0.entry.object == number && $0.entry.result == "success" })
        }
    }

    @Test func tokensCarryAScopeAndCanBeRevoked() async throws {
        let node = try Self.node()
        let leader = try await Self.provision(node, "wangfang", .leader)
        try await node.withAPI(as: nil) { api in
            let session = try await Self.login(api, node, leader)
            let wide = try await session.request(.post, "/api/v1/tokens", body: #"{"name":"x","scope":["readAudit"]}"#)
            #expect(wide["code"] == "invalid-scope", "a token carries at most its user's permissions")
            let made = try await session.request(.post, "/api/v1/tokens", body: #"{"name":"报表脚本","scope":["readCases"],"days":30}"#)
            #expect(made.status == 201)
            let script = api.with(token: made["token"])
            #expect(try await script.request(.get, "/api/v1/cases").status == 200)
            #expect(try await script.request(.post, "/api/v1/cases", body: Fixtures.registrationJSON())["code"] == "forbidden")
            #expect(try await script.request(.post, "/api/v1/tokens", body: #"{"name":"y","scope":["readCases"]}"#)["code"] == "session-required")
            let listed = try await session.request(.get, "/api/v1/tokens")
            #expect(!listed.text.contains(made["token"]!), "secrets are shown once")
            let id = try #require(made.json["id"] as? Int)
            #expect(try await session.request(.delete, "/api/v1/tokens/\(id)").status == 204)
            #expect(try await script.request(.get, "/api/v1/cases").status == 401)
            #expect(try await session.request(.delete, "/api/v1/session").status == 204)
            #expect(try await session.request(.get, "/api/v1/session").status == 401)
        }
    }

    @Test func aNewPasswordFollowsThePolicyAndEndsTheSessions() async throws {
        let node = try Self.node()
        let supervisor = try await Self.provision(node, "chenjie", .supervisor)
        try await node.withAPI(as: nil) { api in
            let session = try await Self.login(api, node, supervisor)
            for weak in ["short1A!", "alllowercaseletters", "chenjie-Password-1"] {
                let body = #"{"currentPassword":"\#(supervisor.password)","newPassword":"\#(weak)"}"#
                #expect(try await session.request(.post, "/api/v1/session/password", body: body)["code"] == "weak-password", "\(weak)")
            }
            let body = #"{"currentPassword":"\#(supervisor.password)","newPassword":"Xinfang-2026-ok"}"#
            #expect(try await session.request(.post, "/api/v1/session/password", body: body).status == 204)
            #expect(try await session.request(.get, "/api/v1/session").status == 401)
            #expect(try await api.request(.post, "/api/v1/session", body: Self.loginBody(supervisor, password: "Xinfang-2026-ok")).status == 201)
        }
    }

    @Test func anAdministratorsInitialPasswordAndAnOldOneMustBeChangedFirst() async throws {
        let node = try Self.node()
        try await node.withAPI(as: .systemAdmin) { admin in
            let made = try await admin.request(.post, "/api/v1/users", body: #"{"username":"duchao","displayName":"杜超","role":"supervisor"}"#)
            let password = try #require(made["password"])
            let login = try await admin.with(token: nil).request(.post, "/api/v1/session", body: #"{"username":"duchao","password":"\#(password)"}"#)
            let session = admin.with(token: login["token"])
            #expect(try await session.request(.get, "/api/v1/cases")["code"] == "password-expired", "the initial password must go")
            #expect(try await session.request(.get, "/ui/cases").status == 303)
            #expect(try await session.request(.get, "/api/v1/session").status == 200)
            let change = #"{"currentPassword":"\#(password)","newPassword":"Du-Chao-2026-new"}"#
            #expect(try await session.request(.post, "/api/v1/session/password", body: change).status == 204)
            let again = try await admin.with(token: nil).request(
                .post,
                "/api/v1/session",
                body: #"{"username":"duchao","password":"Du-Chao-2026-new"}"#
            )
            let fresh = admin.with(token: again["token"])
            #expect(try await fresh.request(.get, "/api/v1/cases").status == 200)
            node.clock.advance(days: 91)
            let later = try await admin.with(token: nil).request(
                .post,
                "/api/v1/session",
                body: #"{"username":"duchao","password":"Du-Chao-2026-new"}"#
            )
            #expect(try await admin.with(token: later["token"]).request(.get, "/api/v1/cases")["code"] == "password-expired", "90 days later")
            let changes = try await node.database.auditRows(after: 0, limit: 100, action: "password.change")
            #expect(changes.count == 1 && changes[0].entry.object == "duchao")
        }
    }

    @Test func personalDataIsMaskedAndAnUnmaskedReadIsAudited() async throws {
        let node = try Self.node()
        let person = Fixtures.newPerson()
        let id = Fixtures.idNumber(person: person)
        let mobile = Fixtures.mobile(person: person)
        try await node.withAPI { leader in
            let created = try await leader.request(.post, "/api/v1/cases", body: Fixtures.registrationJSON(person: person))
            let number = try #require(created["caseNumber"])
            #expect(!created.text.contains(id) && !created.text.contains(mobile) && created.text.contains(Masking.idNumber(id)))
            #expect(created.text.contains(Masking.mobile(mobile)) && created.text.contains("张*"))
            let supervisor = leader.with(token: try await TestAccounts.provision(node.database, role: .supervisor))
            #expect(try await supervisor.request(.get, "/api/v1/cases/\(number)?unmask=true")["code"] == "forbidden")
            let plain = try await leader.request(.get, "/api/v1/cases/\(number)?unmask=true")
            #expect(plain.status == 200 && plain.text.contains(id) && plain.text.contains(mobile) && plain.text.contains("张伟"))
            let reads = try await node.database.auditRows(after: 0, limit: 100, action: "case.read-unmasked")
            #expect(reads.count == 1 && reads[0].entry.object == number && reads[0].entry.user == "test-leader")
            for path in ["/api/v1/cases", "/api/v1/cases.csv", "/ui/cases", "/ui/cases/\(number)", "/api/v1/cases/\(number)"] {
                let text = try await leader.request(.get, path).text
                #expect(!text.contains(id) && !text.contains(mobile), "\(path)")
            }
            #expect(try await leader.request(.get, "/api/v1/cases/\(number)?unmask=yes")["code"] == "invalid-field")
        }
    }

    @Test func whenTheAuditTrailCannotBeWrittenNothingIsDone() async throws {
        let node = try Self.node()
        try await node.withAPI { leader in
            try await node.database.writer.write { try $0.execute(sql: "DROP TABLE audit_log") }
            let refused = try await leader.request(.post, "/api/v1/cases", body: Fixtures.registrationJSON())
            #expect(refused.status == 503 && refused["code"] == "audit-unavailable", "\(refused.text)")
            #expect(try await node.database.counts().cases == 0, "the registration was rolled back with its audit row")
            #expect(try await leader.request(.get, "/api/v1/cases.csv")["code"] == "audit-unavailable", "no export without its audit row")
        }
    }

    @Test func aComplaintAgainstThisNodeIsNotShownToItsUsers() async throws {
        let node = try Self.node()
        try await node.withAPI { leader in
            let body = Fixtures.registrationJSON().replacingOccurrences(
                of: #""purpose":"request""#,
                with: #""purpose":"accusation","respondentNode":"430102""#
            )
            let created = try await leader.request(.post, "/api/v1/cases", body: body)
            let number = try #require(created["caseNumber"])
            #expect(try await leader.request(.get, "/api/v1/cases/\(number)").status == 404)
            #expect(try await !leader.request(.get, "/api/v1/cases").text.contains(number))
            let other = Fixtures.registrationJSON().replacingOccurrences(
                of: #""purpose":"request""#,
                with: #""purpose":"accusation","respondentNode":"430104""#
            )
            let visible = try #require(try await leader.request(.post, "/api/v1/cases", body: other)["caseNumber"])
            #expect(try await leader.request(.get, "/api/v1/cases/\(visible)").status == 200)
        }
    }
}
