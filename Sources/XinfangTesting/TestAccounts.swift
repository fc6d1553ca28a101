public import Foundation
public import XinfangCore
import XinfangHTTP
public import XinfangStore

/// Accounts for tests: a user of a role at a node, with an API token whose secret is fixed per
/// role, so one client can speak to every node of a test hierarchy. (Tests only: these secrets
/// are public.)
public enum TestAccounts {
    public static func token(_ role: Role) -> String { "\(Credentials.tokenPrefix)test-\(role.rawValue)-token-not-for-production" }

    /// Makes sure `database` has an account of `role` (no password; it uses its token) and its
    /// token. Returns the token's secret.
    @discardableResult
    public static func provision(_ database: NodeDatabase, role: Role = .leader, now: Date = Date()) async throws -> String {
        let secret = token(role)
        let username = "test-\(role.rawValue.lowercased())"
        let user: UserAccount
        if let existing = try await database.accounts.user(named: username) {
            user = existing
        } else {
            user = try await database.accounts.createUser(
                NewUser(username: username, displayName: "测试\(role.label)", role: role, passwordHash: nil, totpSecret: nil),
                by: "test",
                now: now
            )
        }
        if try await database.accounts.token(hash: Credentials.digest(secret), now: now) == nil {
            _ = try await database.accounts.createToken(
                hash: Credentials.digest(secret),
                userID: user.id,
                name: "test",
                scope: role.permissions.sorted(),
                now: now.addingTimeInterval(-86_400),
                expiresAt: now.addingTimeInterval(3650 * 86_400)
            )
        }
        return secret
    }

    /// The development keyring as a data key file, for node processes started by tests.
    public static func writeDataKeyFile(to url: URL) throws {
        try DataKeyFile.write(PersonalDataProtector.development.keyring, to: url, replace: true)
    }
}
