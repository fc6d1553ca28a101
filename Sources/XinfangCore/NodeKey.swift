import Crypto
public import Foundation

/// A node's Ed25519 signing key. Every event and command a node makes is signed with it, and
/// every packet it sends; the public half is in the topology.
public struct NodeKey: Sendable {
    let privateKey: Curve25519.Signing.PrivateKey

    public init() { privateKey = Curve25519.Signing.PrivateKey() }

    /// A key from its raw 32 bytes, base64.
    public init(privateKeyBase64: String) throws(ValidationFailure) {
        guard let data = Data(base64Encoded: privateKeyBase64), let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: data) else {
            throw ValidationFailure(code: "invalid-key", field: "privateKey", detail: "私钥必须是 32 字节 Ed25519 私钥的 base64。")
        }
        privateKey = key
    }

    public var privateKeyBase64: String { privateKey.rawRepresentation.base64EncodedString() }
    public var publicKeyBase64: String { privateKey.publicKey.rawRepresentation.base64EncodedString() }

    /// The signature of `data`, base64.
    public func sign(_ data: Data) -> String {
        // Signing with a valid key does not fail.
        (try! privateKey.signature(for: data)).base64EncodedString()
    }

    /// Signs an event: its hash is the signed content (it covers every field and the predecessor).
    public func sign(_ event: inout CaseEvent) { event.signature = sign(Data(event.hash.utf8)) }

    /// Signs a command.
    public func sign(_ command: inout CaseCommand) { command.signature = sign(command.signingBytes) }
}

/// Signature checks against public keys from the topology.
public enum Signatures {
    /// Whether `signature` (base64) is `publicKey`'s (base64) signature of `data`.
    public static func verify(_ signature: String?, of data: Data, publicKey: String) -> Bool {
        guard let signature, let raw = Data(base64Encoded: signature), let keyData = Data(base64Encoded: publicKey),
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: keyData)
        else { return false }
        return key.isValidSignature(raw, for: data)
    }

    public static func verify(_ event: CaseEvent, publicKey: String) -> Bool {
        verify(event.signature, of: Data(event.hash.utf8), publicKey: publicKey)
    }

    public static func verify(_ command: CaseCommand, publicKey: String) -> Bool {
        verify(command.signature, of: command.signingBytes, publicKey: publicKey)
    }
}

extension NodeKey: Redacted {
    public var redactedDescription: String { "NodeKey(publicKey: \(publicKeyBase64), private key redacted)" }
}
