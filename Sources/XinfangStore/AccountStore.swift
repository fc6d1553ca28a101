public import Foundation
public import XinfangCore

/// A person's account at this node.
public struct UserAccount: Codable, Equatable, Sendable {
    public var id: Int64
    public var username: String
    public var displayName: String
    public var role: Role
    public var node: NodeID
    /// bcrypt; nil for an account that cannot log in with a password.
    public var passwordHash: String?
    public var passwordChangedAt: Date
    /// The TOTP secret, sealed with the data keyring.
    public var totpSecret: SealedValue?
    public var failedLogins: Int
    public var lockedUntil: Date?
    public var disabled: Bool
    public var createdAt: Date
    public var createdBy: String

    init(row: SQLRow) throws {
        id = row["id"]
        username = row["username"]
        displayName = row["display_name"]
        guard let role = Role(rawValue: row["role"]) else { throw StoreError.database("unknown role \(row["role"] as String)") }
        self.role = role
        node = NodeID(row["node"] as String)
        passwordHash = row["password_hash"]
        passwordChangedAt = Date(milliseconds: row["password_changed_at"])
        totpSecret = try (row["totp_secret"] as String?).map { try JSONDecoder().decode(SealedValue.self, from: Data($0.utf8)) }
        failedLogins = row["failed_logins"]
        lockedUntil = (row["locked_until"] as Int64?).map(Date.init(milliseconds:))
        disabled = row["disabled"]
        createdAt = Date(milliseconds: row["created_at"])
        createdBy = row["created_by"]
    }
}

/// What creating an account takes.
public struct NewUser: Sendable {
    public var username: String
    public var displayName: String
    public var role: Role
    public var passwordHash: String?
    public var totpSecret: SealedValue?
    /// The password was set by someone else (an administrator): the first login must change it.
    public var mustChangePassword = false
    public init(username: String, displayName: String, role: Role, passwordHash: String?, totpSecret: SealedValue?) {
        self.username = username
        self.displayName = displayName
        self.role = role
        self.passwordHash = passwordHash
        self.totpSecret = totpSecret
    }
}

/// A script's API token (the secret itself is never stored, only its SHA-256).
public struct APIToken: Codable, Equatable, Sendable {
    public var id: Int64
    public var userID: Int64
    public var name: String
    /// The permissions the token carries (at most its user's).
    public var scope: [Permission]
    public var createdAt: Date
    public var expiresAt: Date
    public var revokedAt: Date?

    init(row: SQLRow) {
        id = row["id"]
        userID = row["user_id"]
        name = row["name"]
        scope = (row["scope"] as String).split(separator: ",").compactMap { Permission(rawValue: String($0)) }
        createdAt = Date(milliseconds: row["created_at"])
        expiresAt = Date(milliseconds: row["expires_at"])
        revokedAt = (row["revoked_at"] as Int64?).map(Date.init(milliseconds:))
    }
}

extension NodeDatabase {
    /// The accounts of this node's people and scripts (`AccountStore`).
    public var accounts: AccountStore { AccountStore(self, node: node) }
}

/// The accounts of a node's people (users, their sessions) and scripts (API tokens), on either
/// backend: their limits, lockouts and revocations are here once.
public struct AccountStore: Sendable {
    let store: any SQLTransactions
    /// The node whose accounts these are.
    public let node: NodeID

    public init(_ store: any SQLTransactions, node: NodeID) {
        self.store = store
        self.node = node
    }

    /// How many accounts a node keeps at most (a limit on the table, like every other input).
    public static let usersMax = 10_000
    public static let tokensPerUserMax = 20

    public func createUser(_ new: NewUser, by creator: String, now: Date) async throws -> UserAccount {
        try await store.writing { db in
            guard try db.value("SELECT count(*) FROM users", as: Int.self) ?? 0 < Self.usersMax else {
                throw StoreError.invalid(ValidationFailure(code: "too-many-users", field: "username", detail: "本节点账号数已达上限 \(Self.usersMax)。"))
            }
            guard try db.value("SELECT 1 FROM users WHERE username = ?", [new.username], as: Int.self) == nil else {
                throw StoreError.invalid(ValidationFailure(code: "username-taken", field: "username", detail: "用户名 \(new.username) 已存在。"))
            }
            let secret = try new.totpSecret.map { String(decoding: try CanonicalJSON.encoder.encode($0), as: UTF8.self) }
            let created = try db.fetchOne(
                """
                INSERT INTO users (username, display_name, role, node, password_hash, password_changed_at, totp_secret, created_at, created_by)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *
                """,
                [
                    new.username, new.displayName, new.role.rawValue, node.rawValue, new.passwordHash,
                    new.mustChangePassword ? 0 : now.milliseconds, secret, now.milliseconds, creator,
                ]
            )
            return try UserAccount(row: created!)
        }
    }

    public func user(named username: String) async throws -> UserAccount? {
        try await store.reading { db in
            try db.fetchOne("SELECT * FROM users WHERE username = ?", [username]).map(UserAccount.init(row:))
        }
    }

    public func user(id: Int64) async throws -> UserAccount? {
        try await store.reading { db in try db.fetchOne("SELECT * FROM users WHERE id = ?", [id]).map(UserAccount.init(row:)) }
    }

    public func users() async throws -> [UserAccount] {
        try await store.reading { db in try db.fetchAll("SELECT * FROM users ORDER BY id").map(UserAccount.init(row:)) }
    }

    /// A change to an account; nil fields stay as they are.
    public struct AccountChange: Sendable {
        public var role: Role?
        public var disabled: Bool?
        public var unlock = false
        public var passwordHash: String?
        public var totpSecret: SealedValue?
        public init(role: Role? = nil, disabled: Bool? = nil, unlock: Bool = false, passwordHash: String? = nil, totpSecret: SealedValue? = nil) {
            self.role = role
            self.disabled = disabled
            self.unlock = unlock
            self.passwordHash = passwordHash
            self.totpSecret = totpSecret
        }
    }

    /// Changes an account; a role change, a disabling or a new password also ends its sessions.
    @discardableResult
    public func updateUser(_ id: Int64, _ change: AccountChange, now: Date) async throws -> UserAccount? {
        try await store.writing { db in
            guard try db.fetchOne("SELECT id FROM users WHERE id = ?", [id]) != nil else { return nil }
            if let role = change.role { try db.execute("UPDATE users SET role = ? WHERE id = ?", [role.rawValue, id]) }
            if let disabled = change.disabled { try db.execute("UPDATE users SET disabled = ? WHERE id = ?", [disabled, id]) }
            if change.unlock { try db.execute("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?", [id]) }
            if let hash = change.passwordHash {
                try db.execute(
                    "UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?",
                    [hash, now.milliseconds, id]
                )
            }
            if let secret = change.totpSecret {
                let json = String(decoding: try CanonicalJSON.encoder.encode(secret), as: UTF8.self)
                try db.execute("UPDATE users SET totp_secret = ? WHERE id = ?", [json, id])
            }
            if change.role != nil || change.disabled == true || change.passwordHash != nil {
                try db.execute("DELETE FROM sessions WHERE user_id = ?", [id])
                if change.role != nil || change.disabled == true {
                    try db.execute(
                        "UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
                        [now.milliseconds, id]
                    )
                }
            }
            return try db.fetchOne("SELECT * FROM users WHERE id = ?", [id]).map(UserAccount.init(row:))
        }
    }

    /// Records that the account's code of time step `step` was used; false when that step's code
    /// (or a later one's) was used already (RFC 6238 §5.2: each code is accepted once).
    public func useTOTPStep(_ step: Int64, of id: Int64) async throws -> Bool {
        try await store.writing { db in
            let used = try db.execute(
                "UPDATE users SET totp_last_step = ? WHERE id = ? AND (totp_last_step IS NULL OR totp_last_step < ?)",
                [step, id, step]
            )
            return used == 1
        }
    }

    /// Counts a failed login; the `lockAfter`-th failure in a row locks the account for `lockFor`.
    public func loginFailed(_ id: Int64, now: Date, lockAfter: Int, lockFor: TimeInterval) async throws {
        try await store.writing { db in
            try db.execute("UPDATE users SET failed_logins = failed_logins + 1 WHERE id = ?", [id])
            try db.execute(
                "UPDATE users SET locked_until = ?, failed_logins = 0 WHERE id = ? AND failed_logins >= ?",
                [now.addingTimeInterval(lockFor).milliseconds, id, lockAfter]
            )
        }
    }

    /// A successful login: failures reset, a new session stored (by the SHA-256 of its secret).
    public func loginSucceeded(_ id: Int64, sessionHash: String, now: Date, expiresAt: Date) async throws {
        try await store.writing { db in
            try db.execute("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?", [id])
            try db.execute("DELETE FROM sessions WHERE expires_at <= ?", [now.milliseconds])
            try db.execute(
                "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                [sessionHash, id, now.milliseconds, now.milliseconds, expiresAt.milliseconds]
            )
        }
    }

    /// The account of a live session, which this use keeps alive (to the minute); nil (and the
    /// session ended) when it was idle longer than `idleTimeout` or is past its absolute expiry.
    public func session(_ hash: String, now: Date, idleTimeout: TimeInterval) async throws -> UserAccount? {
        // A read for the common case; a write only to end the session or, at most once a minute,
        // to keep it alive (a busy session takes no write lock on every request).
        let found = try await store.reading { db -> (lastSeen: Int64, expires: Int64, user: UserAccount?)? in
            guard let row = try db.fetchOne("SELECT * FROM sessions WHERE token_hash = ?", [hash]) else { return nil }
            let user = try db.fetchOne("SELECT * FROM users WHERE id = ?", [row["user_id"] as Int64]).map(
                UserAccount.init(row:)
            )
            return (row["last_seen_at"], row["expires_at"], user)
        }
        guard let found else { return nil }
        let ms = now.milliseconds
        guard ms < found.expires, ms - found.lastSeen <= Int64(idleTimeout * 1000) else {
            try await endSession(hash)
            return nil
        }
        if ms - found.lastSeen >= 60_000 {
            try await store.writing { db in
                try db.execute("UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?", [ms, hash])
            }
        }
        return found.user
    }

    public func endSession(_ hash: String) async throws {
        try await store.writing { db in try db.execute("DELETE FROM sessions WHERE token_hash = ?", [hash]) }
    }

    public func createToken(hash: String, userID: Int64, name: String, scope: [Permission], now: Date, expiresAt: Date) async throws -> APIToken {
        try await store.writing { db in
            let live =
                try db.value(
                    "SELECT count(*) FROM api_tokens WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ?",
                    [userID, now.milliseconds],
                    as: Int.self
                ) ?? 0
            guard live < Self.tokensPerUserMax else {
                throw StoreError.invalid(ValidationFailure(code: "too-many-tokens", field: "name", detail: "每个账号最多 \(Self.tokensPerUserMax) 个有效令牌。"))
            }
            let created = try db.fetchOne(
                "INSERT INTO api_tokens (token_hash, user_id, name, scope, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING *",
                [hash, userID, name, scope.map(\.rawValue).sorted().joined(separator: ","), now.milliseconds, expiresAt.milliseconds]
            )
            return APIToken(row: created!)
        }
    }

    /// The live token with this secret's hash, and its account.
    public func token(hash: String, now: Date) async throws -> (APIToken, UserAccount)? {
        try await store.reading { db in
            guard
                let row = try db.fetchOne(
                    "SELECT * FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL AND expires_at > ?",
                    [hash, now.milliseconds]
                )
            else { return nil }
            let token = APIToken(row: row)
            guard let user = try db.fetchOne("SELECT * FROM users WHERE id = ?", [token.userID]).map(UserAccount.init(row:))
            else {
                return nil
            }
            return (token, user)
        }
    }

    public func tokens(of userID: Int64) async throws -> [APIToken] {
        try await store.reading { db in
            try db.fetchAll("SELECT * FROM api_tokens WHERE user_id = ? ORDER BY id", [userID]).map(APIToken.init(row:))
        }
    }

    /// Revokes a token (of `userID` when given); false when there was no such live token.
    public func revokeToken(_ id: Int64, of userID: Int64?, now: Date) async throws -> Bool {
        try await store.writing { db in
            let revoked = try db.execute(
                "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL AND (CAST(? AS BIGINT) IS NULL OR user_id = ?)",
                [now.milliseconds, id, userID, userID]
            )
            return revoked > 0
        }
    }
}
