import Foundation
import Testing
import XinfangCore
import XinfangStore
import XinfangTesting

/// People's accounts and scripts' tokens on both backends: names taken once, the node's and a
/// user's limits, lockouts, sessions that end, codes used once, and what a role change revokes.
struct AccountStoreTests {
    static let now = Date(timeIntervalSince1970: 1_796_000_000)

    static func newUser(_ name: String, role: Role = .handler) -> NewUser {
        NewUser(username: name, displayName: "承办人\(name)", role: role, passwordHash: "$2b$12$hash-of-\(name)", totpSecret: nil)
    }

    static func accounts(_ store: any SQLTransactions) -> AccountStore { AccountStore(store, node: NodeID("430000")) }

    static func code(of error: (any Error)?) -> String? {
        guard case .invalid(let failure)? = error as? StoreError else { return nil }
        return failure.code
    }

    @Test(arguments: StoreBackend.allCases)
    func anAccountIsCreatedOnceAndFoundByNameAndNumber(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let accounts = Self.accounts(store)
            let first = try await accounts.createUser(Self.newUser("wang"), by: "admin", now: Self.now)
            var second = Self.newUser("li", role: .leader)
            second.mustChangePassword = true
            let other = try await accounts.createUser(second, by: "admin", now: Self.now)
            #expect(first.username == "wang" && first.role == .handler && first.node == NodeID("430000"))
            #expect(first.passwordChangedAt == Self.now && first.createdBy == "admin" && !first.disabled && first.failedLogins == 0)
            #expect(other.passwordChangedAt == Date(milliseconds: 0), "a password someone else set is changed at the first login")
            #expect(other.id != first.id)
            let taken = await #expect(throws: StoreError.self) { try await accounts.createUser(Self.newUser("wang"), by: "admin", now: Self.now) }
            #expect(Self.code(of: taken) == "username-taken")
            #expect(try await accounts.user(named: "wang") == first)
            #expect(try await accounts.user(id: other.id) == other)
            #expect(try await accounts.user(named: "zhao") == nil)
            #expect(try await accounts.users().map(\.username) == ["wang", "li"])
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func theNodeKeepsAtMostItsLimitOfAccounts(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await store.writing { db in
                try db.execute(
                    """
                    INSERT INTO users (username, display_name, role, node, password_changed_at, created_at, created_by)
                    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
                    SELECT 'bulk-' || CAST(i AS TEXT), 'bulk', 'handler', '430000', 0, 0, 'test' FROM n
                    """,
                    [AccountStore.usersMax - 1]
                )
            }
            let accounts = Self.accounts(store)
            _ = try await accounts.createUser(Self.newUser("last"), by: "admin", now: Self.now)
            let refused = await #expect(throws: StoreError.self) { try await accounts.createUser(Self.newUser("over"), by: "admin", now: Self.now) }
            #expect(Self.code(of: refused) == "too-many-users")
            #expect(try await accounts.user(named: "over") == nil)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func failedLoginsLockAnAccountAndSessionsEnd(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let accounts = Self.accounts(store)
            let user = try await accounts.createUser(Self.newUser("wang"), by: "admin", now: Self.now)
            for _ in 0..<2 { try await accounts.loginFailed(user.id, now: Self.now, lockAfter: 3, lockFor: 900) }
            #expect(try await accounts.user(id: user.id)?.failedLogins == 2)
            #expect(try await accounts.user(id: user.id)?.lockedUntil == nil)
            try await accounts.loginFailed(user.id, now: Self.now, lockAfter: 3, lockFor: 900)
            let locked = try #require(try await accounts.user(id: user.id))
            #expect(locked.lockedUntil == Self.now.addingTimeInterval(900) && locked.failedLogins == 0)

            try await accounts.loginSucceeded(user.id, sessionHash: "s1", now: Self.now, expiresAt: Self.now.addingTimeInterval(8 * 3600))
            #expect(try await accounts.user(id: user.id)?.lockedUntil == nil)
            // In use within the idle time: kept; idle longer: ended, and not found again.
            #expect(try await accounts.session("s1", now: Self.now.addingTimeInterval(600), idleTimeout: 1800)?.id == user.id)
            #expect(try await accounts.session("s1", now: Self.now.addingTimeInterval(600 + 1700), idleTimeout: 1800)?.id == user.id)
            #expect(try await accounts.session("s1", now: Self.now.addingTimeInterval(2300 + 1801), idleTimeout: 1800) == nil)
            #expect(try await accounts.session("s1", now: Self.now.addingTimeInterval(2300), idleTimeout: 1800) == nil)
            // Past its absolute expiry a session ends however busy it was.
            try await accounts.loginSucceeded(user.id, sessionHash: "s2", now: Self.now, expiresAt: Self.now.addingTimeInterval(60))
            #expect(try await accounts.session("s2", now: Self.now.addingTimeInterval(61), idleTimeout: 1800) == nil)
            try await accounts.loginSucceeded(user.id, sessionHash: "s3", now: Self.now, expiresAt: Self.now.addingTimeInterval(600))
            try await accounts.endSession("s3")
            #expect(try await accounts.session("s3", now: Self.now, idleTimeout: 1800) == nil)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func aCodeOfATimeStepIsAcceptedOnce(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let accounts = Self.accounts(store)
            let user = try await accounts.createUser(Self.newUser("wang"), by: "admin", now: Self.now)
            #expect(try await accounts.useTOTPStep(100, of: user.id))
            #expect(try await !accounts.useTOTPStep(100, of: user.id))
            #expect(try await !accounts.useTOTPStep(99, of: user.id))
            #expect(try await accounts.useTOTPStep(101, of: user.id))
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func tokensAreLimitedRevokedByTheirOwnerAndByARoleChange(_ backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let accounts = Self.accounts(store)
            let user = try await accounts.createUser(Self.newUser("wang"), by: "admin", now: Self.now)
            let other = try await accounts.createUser(Self.newUser("li"), by: "admin", now: Self.now)
            let expires = Self.now.addingTimeInterval(86_400)
            var tokens: [APIToken] = []
            for i in 0..<AccountStore.tokensPerUserMax {
                tokens.append(
                    try await accounts.createToken(
                        hash: "t\(i)",
                        userID: user.id,
                        name: "脚本\(i)",
                        scope: [.readCases, .act],
                        now: Self.now,
                        expiresAt: expires
                    )
                )
            }
            #expect(tokens[0].scope == [.act, .readCases] && tokens[0].name == "脚本0" && tokens[0].revokedAt == nil)
            let over = await #expect(throws: StoreError.self) {
                try await accounts.createToken(hash: "over", userID: user.id, name: "over", scope: [], now: Self.now, expiresAt: expires)
            }
            #expect(Self.code(of: over) == "too-many-tokens")
            #expect(try await accounts.token(hash: "t0", now: Self.now)?.1 == user)
            #expect(try await accounts.token(hash: "t0", now: expires) == nil, "an expired token opens nothing")

            #expect(try await !accounts.revokeToken(tokens[0].id, of: other.id, now: Self.now), "only its owner or an administrator revokes a token")
            #expect(try await accounts.revokeToken(tokens[0].id, of: user.id, now: Self.now))
            #expect(try await !accounts.revokeToken(tokens[0].id, of: nil, now: Self.now))
            #expect(try await accounts.token(hash: "t0", now: Self.now) == nil)
            #expect(try await accounts.revokeToken(tokens[1].id, of: nil, now: Self.now))

            try await accounts.loginSucceeded(user.id, sessionHash: "s1", now: Self.now, expiresAt: expires)
            let changed = try await accounts.updateUser(user.id, .init(role: .leader), now: Self.now)
            #expect(changed?.role == .leader)
            #expect(try await accounts.session("s1", now: Self.now, idleTimeout: 1800) == nil, "a role change ends the sessions")
            #expect(try await accounts.tokens(of: user.id).allSatisfy { $0.revokedAt != nil }, "and revokes the tokens")
            #expect(try await accounts.updateUser(999_999, .init(disabled: true), now: Self.now) == nil)
            let disabled = try await accounts.updateUser(other.id, .init(disabled: true), now: Self.now)
            #expect(disabled?.disabled == true)
        }
    }
}
