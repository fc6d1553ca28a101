import Crypto
import ExtrasBase64
public import Foundation
import HummingbirdBcrypt
import HummingbirdOTP
public import XinfangCore
public import XinfangStore

/// Secrets of people and scripts: bcrypt password hashes, TOTP codes, and the random session and
/// API-token secrets, of which the store keeps only a SHA-256.
public enum Credentials {
    /// Session secrets start with this; API tokens with `tokenPrefix`.
    public static let sessionPrefix = "xfs_"
    public static let tokenPrefix = "xft_"

    /// A new random secret: the prefix and 32 random bytes, base64url.
    public static func newSecret(prefix: String) -> String {
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        return prefix
            + bytes.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// What the store keeps of a secret.
    public static func digest(_ secret: String) -> String { Data(secret.utf8).sha256Hex }

    public static func hashPassword(_ password: String, cost: Int) -> String { Bcrypt.hash(password, cost: UInt8(cost)) }

    public static func verifyPassword(_ password: String, hash: String) -> Bool { Bcrypt.verify(password, hash: hash) }

    /// A random password that meets the policy: 16 characters of four classes.
    public static func generatePassword() -> String {
        let sets = ["ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnopqrstuvwxyz", "23456789", "!@#%^*-_=+"].map(Array.init)
        var rng = SystemRandomNumberGenerator()
        var chars = sets.map { $0.randomElement(using: &rng)! }
        let all = sets.flatMap { $0 }
        while chars.count < 16 { chars.append(all.randomElement(using: &rng)!) }
        return String(chars.shuffled(using: &rng))
    }

    /// A new TOTP secret (20 characters, the HMAC key of RFC 6238).
    public static func newTOTPSecret() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var rng = SystemRandomNumberGenerator()
        return String((0..<20).map { _ in alphabet.randomElement(using: &rng)! })
    }

    /// The secret as an authenticator app takes it (RFC 4648 base32 of the key's bytes, no
    /// padding), to type in or to scan from the `otpauth://` URL: the stored key is the HMAC key
    /// itself, and an app that was given it as typed computed other codes (issue 16).
    public static func authenticatorSecret(of key: String) -> String {
        String(base32Encoding: key.utf8, options: .omitPaddingCharacter)
    }

    /// The key behind an authenticator secret (spaces and case ignored); nil when it is not one.
    public static func key(fromAuthenticatorSecret secret: String) -> String? {
        let cleaned = secret.uppercased().filter { $0 != " " && $0 != "=" }
        guard let bytes = try? cleaned.base32decoded(), !bytes.isEmpty, let key = String(validating: bytes, as: UTF8.self) else { return nil }
        return key
    }

    /// The code an authenticator app shows at `date` for the secret it was given; nil when the
    /// secret is not base32.
    public static func authenticatorCode(_ secret: String, at date: Date) -> String? {
        key(fromAuthenticatorSecret: secret).map { totp($0, at: date) }
    }

    /// The 6-digit code of `secret` at `date`.
    public static func totp(_ secret: String, at date: Date) -> String {
        let code = TOTP(secret: secret).compute(date: date)
        let digits = String(code)
        return String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    /// Whether `code` is `secret`'s at `now`, or one 30-second step before or after (clock drift).
    public static func checkTOTP(_ code: String, secret: String, now: Date) -> Bool { totpStep(of: code, secret: secret, now: now) != nil }

    /// The 30-second time step whose code `code` is (now's, or one before or after), nil if none:
    /// a login accepts each step's code once.
    public static func totpStep(of code: String, secret: String, now: Date) -> Int64? {
        guard code.count == 6, code.allSatisfy(\.isASCII), code.allSatisfy(\.isNumber) else { return nil }
        return [-30.0, 0, 30].map { now.addingTimeInterval($0) }.first { totp(secret, at: $0) == code }
            .map { Int64(($0.timeIntervalSince1970 / 30).rounded(.down)) }
    }

    /// The `otpauth://` URL an authenticator app scans.
    public static func otpauthURL(secret: String, username: String, node: NodeID) -> String {
        TOTP(secret: secret).createAuthenticatorURL(label: "\(username)@\(node)", issuer: "xinfang")
    }

    /// A user name: 3 to 32 of a–z, 0–9, `.`, `_`, `-`, starting with a letter.
    public static func checkUsername(_ name: String) throws(ValidationFailure) {
        let ok =
            (3...32).contains(name.count) && name.first.map { $0.isASCII && $0.isLowercase } == true
            && name.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-") }
        guard ok else {
            throw ValidationFailure(code: "invalid-username", field: "username", detail: "用户名须为 3 到 32 位小写字母、数字、点、下划线或连字符，以字母开头。")
        }
    }
}

/// A new account with its first password and TOTP secret, shown once to whoever hands them over.
public struct ProvisionedUser: Codable, Sendable {
    public var id: Int64
    public var username: String
    public var displayName: String
    public var role: Role
    public var roleLabel: String
    public var node: NodeID
    public var password: String
    public var totpSecret: String?
    public var otpauthURL: String?
}

extension NodeDatabase {
    /// Creates an account with a generated password and, for the roles that need one, a TOTP secret
    /// (sealed with the data keyring).
    public func provisionUser(
        username: String,
        displayName: String,
        role: Role,
        by creator: String,
        security: SecuritySettings,
        mustChangePassword: Bool = false,
        now: Date
    ) async throws -> ProvisionedUser {
        try Credentials.checkUsername(username)
        let name = try ValidationFailure.requiredText(displayName, field: "displayName", max: 50)
        let password = Credentials.generatePassword()
        let secret = role.needsSecondFactor ? Credentials.newTOTPSecret() : nil
        var new = NewUser(
            username: username,
            displayName: name,
            role: role,
            passwordHash: Credentials.hashPassword(password, cost: security.bcryptCost),
            totpSecret: try secret.map { try personalData.seal(Data($0.utf8)) }
        )
        new.mustChangePassword = mustChangePassword
        let account = try await accounts.createUser(
            new,
            by: creator,
            now: now
        )
        return ProvisionedUser(
            id: account.id,
            username: username,
            displayName: name,
            role: role,
            roleLabel: role.label,
            node: node,
            password: password,
            totpSecret: secret.map(Credentials.authenticatorSecret(of:)),
            otpauthURL: secret.map { Credentials.otpauthURL(secret: $0, username: username, node: node) }
        )
    }

    /// The TOTP secret of an account, opened.
    public func totpSecret(of user: UserAccount) throws -> String? {
        try user.totpSecret.map { String(decoding: try personalData.open($0), as: UTF8.self) }
    }
}

extension NodeDatabase {
    /// Mints an API token for `userID`: a new secret, of which the store keeps only the digest.
    /// The secret (shown once, never stored) and the stored token.
    public func issueToken(
        userID: Int64,
        name: String,
        scope: [Permission],
        now: Date,
        expiresAt: Date
    ) async throws -> (secret: String, token: APIToken) {
        let secret = Credentials.newSecret(prefix: Credentials.tokenPrefix)
        let token = try await accounts.createToken(
            hash: Credentials.digest(secret),
            userID: userID,
            name: name,
            scope: scope,
            now: now,
            expiresAt: expiresAt
        )
        return (secret, token)
    }
}
