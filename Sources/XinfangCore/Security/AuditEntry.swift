public import Foundation

/// One row of the audit trail (安全审计 b): when, who, at which node, from where, what, on which
/// object, with what result. Rows are hash-chained: each row's hash covers its fields and the
/// previous row's hash, so altering, inserting or removing a row inside the trail breaks the chain
/// at that row.
public struct AuditEntry: Codable, Equatable, Sendable {
    public var at: Date
    /// The user name, `anonymous`, or `peer:<node>`.
    public var user: String
    public var node: NodeID
    /// The client's address.
    public var source: String
    /// What was done: `login`, `case.register`, `case.action`, `case.read-unmasked`, `export`, `user.create`…
    public var action: String
    /// The object acted on: a case number, a user name, an export's path.
    public var object: String
    /// `success`, or `failure:<code>`.
    public var result: String
    /// Further facts (an action's name, a changed role); never personal data.
    public var detail: String

    public init(at: Date, user: String, node: NodeID, source: String, action: String, object: String, result: String = "success", detail: String = "")
    {
        self.at = at
        self.user = user
        self.node = node
        self.source = source
        self.action = action
        self.object = object
        self.result = result
        self.detail = detail
    }

    public static let fieldLengthMax = 500

    /// The row's hash: SHA-256 over the canonical JSON array of its sequence number, fields and
    /// the previous row's hash. Times are whole milliseconds, as stored.
    public static func hash(
        seq: Int64,
        atMilliseconds: Int64,
        user: String,
        node: String,
        source: String,
        action: String,
        object: String,
        result: String,
        detail: String,
        prevHash: String
    ) -> String {
        let fields = [String(seq), String(atMilliseconds), user, node, source, action, object, result, detail, prevHash]
        return (try! CanonicalJSON.encoder.encode(fields)).sha256Hex  // an array of strings always encodes
    }
}

/// A stored audit row.
public struct AuditRow: Codable, Equatable, Sendable {
    public var seq: Int64
    public var entry: AuditEntry
    public var prevHash: String
    public var hash: String

    public init(seq: Int64, entry: AuditEntry, prevHash: String, hash: String) {
        self.seq = seq
        self.entry = entry
        self.prevHash = prevHash
        self.hash = hash
    }
}

/// The first broken link `xinfang audit verify` found, or none.
public struct IntegrityReport: Codable, Sendable {
    public var auditRows: Int
    public var cases: Int
    public var events: Int
    /// Problems found, first broken link first (each names the table and the row).
    public var problems: [String]
    public var ok: Bool { problems.isEmpty }

    public init(auditRows: Int = 0, cases: Int = 0, events: Int = 0, problems: [String] = []) {
        self.auditRows = auditRows
        self.cases = cases
        self.events = events
        self.problems = problems
    }
}
