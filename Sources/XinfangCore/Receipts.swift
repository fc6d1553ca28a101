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
