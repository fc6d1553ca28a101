/// What a receiver did with one item of a packet; the sender's outbox acts on it.
public struct ItemReceipt: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable {
        case chain
        case command
    }

    public enum Status: String, Codable, Sendable {
        /// New events were committed.
        case applied
        /// Nothing new: the receiver already had these events or this command.
        case duplicate
        /// The receiver lacks events before these; `head` says where it stands.
        case gap
        /// A command was taken over (applied by the holder here, or forwarded towards it).
        case accepted
        /// The item is invalid and will not be accepted as it is (`code`, `detail`).
        case rejected
    }

    public var kind: Kind
    public var caseNumber: CaseNumber
    public var commandId: String?
    public var status: Status
    /// The receiver's head sequence for the case after this item.
    public var head: Int?
    public var code: String?
    public var detail: String?

    public init(
        kind: Kind,
        caseNumber: CaseNumber,
        commandId: String? = nil,
        status: Status,
        head: Int? = nil,
        code: Code? = nil,
        detail: String? = nil
    ) {
        self.kind = kind
        self.caseNumber = caseNumber
        self.commandId = commandId
        self.status = status
        self.head = head
        self.code = code?.rawValue
        self.detail = detail
    }

    /// Why an item was refused, or is behind. Made here only from these cases; on the wire it stays
    /// a string, so an answer from a peer of another version with a code this one does not know
    /// still decodes (`knownCode` is nil for it).
    public enum Code: String, Sendable, CaseIterable {
        /// Events before the item's are missing (`head` says where the receiver stands).
        case gap
        case noHierarchy = "no-hierarchy"
        case invalidCommand = "invalid-command"
        case unknownNode = "unknown-node"
        case badSignature = "bad-signature"
        case undeliverable
        case emptyChain = "empty-chain"
        case invalidChain = "invalid-chain"
        case diverged
        case outOfBounds = "out-of-bounds"
        case respondentNode = "respondent-node"
        /// The store's own constraints refused the run (a bug or a damaged store; logged).
        case storeRefused = "store-refused"
    }

    /// The code as this version knows it.
    public var knownCode: Code? { code.flatMap(Code.init(rawValue:)) }
}

/// A receipt's canonical JSON written and read by hand: a receiver answers every packet with one
/// receipt a case, and the encoder and decoder were about 2 % of P1's samples between them
/// (docs/BENCHMARKS.md). The keys in the encoder's sorted order; `ReceiptJSONTests` hold the bytes
/// to the encoder's and the values to the decoder's.
extension ItemReceipt: CanonicalJSONWritable, CanonicalJSONReadable {
    public func writeCanonical(into out: inout CanonicalJSONWriter) {
        out.openObject()
        out.string("caseNumber", caseNumber.rawValue)
        out.string("code", code)
        out.string("commandId", commandId)
        out.string("detail", detail)
        out.number("head", head)
        out.string("kind", kind.rawValue)
        out.string("status", status.rawValue)
        out.closeObject()
    }

    public init(reading r: inout CanonicalJSONReader) throws(CanonicalJSONReader.Unreadable) {
        var o = try r.openObject()
        try r.required("caseNumber", &o)
        caseNumber = try r.raw(CaseNumber.self)
        code = try r.key("code", &o) ? r.string() : nil
        commandId = try r.key("commandId", &o) ? r.string() : nil
        detail = try r.key("detail", &o) ? r.string() : nil
        head = try r.key("head", &o) ? r.int() : nil
        try r.required("kind", &o)
        kind = try r.raw(Kind.self)
        try r.required("status", &o)
        status = try r.raw(Status.self)
        try r.closeObject(o)
    }
}
