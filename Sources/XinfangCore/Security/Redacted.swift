/// A value that holds a secret (a data key, a private key, a password, a token): printed,
/// logged, dumped or nested in another value's description, it shows what identifies it and
/// never the secret. Swift's default description of a struct prints every stored property, and
/// ServiceLifecycle logs a service's description at debug level: a node's services hold its
/// store (with the data keyring) and its gateways (with their credentials).
public protocol Redacted: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// What may be shown: the type and the values that identify it, without the secret.
    var redactedDescription: String { get }
}

extension Redacted {
    public var description: String { redactedDescription }
    public var debugDescription: String { redactedDescription }
    /// No children: `dump` and a containing value's reflection stop here.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
