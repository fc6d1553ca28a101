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
        code: String? = nil,
        detail: String? = nil
    ) {
        self.kind = kind
        self.caseNumber = caseNumber
        self.commandId = commandId
        self.status = status
        self.head = head
        self.code = code
        self.detail = detail
    }
}
