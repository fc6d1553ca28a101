import Crypto
import Foundation

/// What a backup records of the data keyring it was sealed with, without the keys: a check value
/// per key (the first 8 bytes of HMAC-SHA-256 under the key of a fixed label, hex), as a key
/// ceremony's key check value. A restore compares it with the keyring of the node's configuration,
/// so a wrong or incomplete keyring is refused before anything is written instead of leaving a
/// store whose personal data and case files cannot be opened.
public struct KeyringCheck: Codable, Sendable, Equatable {
    /// The key new values were sealed with when the backup was taken.
    public var active: String
    /// Key id → check value.
    public var keys: [String: String]
    /// The match key's check value (the keyed hashes of repeats depend on it).
    public var matchKey: String

    public init(_ keyring: DataKeyring) {
        active = keyring.active
        keys = keyring.keys.mapValues(Self.checkValue)
        matchKey = Self.checkValue(keyring.matchKey)
    }

    /// What `keyring` lacks to open everything sealed under the recorded one: a key missing or
    /// different, or another match key. Empty when it opens everything (it may hold newer keys).
    public func problems(with keyring: DataKeyring) -> [String] {
        var problems: [String] = []
        for id in keys.keys.sorted() {
            guard let key = keyring.keys[id] else {
                problems.append("数据密钥 \(id) 不在配置的密钥文件中")
                continue
            }
            if Self.checkValue(key) != keys[id] { problems.append("数据密钥 \(id) 与备份时的不同") }
        }
        if Self.checkValue(keyring.matchKey) != matchKey { problems.append("匹配密钥（matchKey）与备份时的不同") }
        return problems
    }

    static let label = Data("xinfang keyring check v1".utf8)

    /// The check value of one base64 key: 16 hex digits; "invalid" for a key that is not base64.
    static func checkValue(_ base64: String) -> String {
        guard let bytes = Data(base64Encoded: base64) else { return "invalid" }
        let mac = HMAC<SHA256>.authenticationCode(for: label, using: SymmetricKey(data: bytes))
        return mac.prefix(8).map { String(format: "%02x", $0) }.joined()
    }
}
