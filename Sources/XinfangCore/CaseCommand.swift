public import Foundation

/// A signed request from a node that does not hold a case (a superior's 提办 or 督办, a
/// reassignment, a review request received at the level above, a comment), routed hop by hop to
/// the holder, whose node applies it and appends the resulting event with the command inside.
///
/// Identified by `id` (chosen by the origin), so a command delivered twice is applied once.
public struct CaseCommand: Codable, Equatable, Sendable {
    public var id: String
    public var caseNumber: CaseNumber
    public var origin: NodeID
    public var actor: String
    public var action: CaseAction
    public var createdAt: Date
    /// How many nodes have forwarded it; a command is dropped as undeliverable past `hopsMax`.
    public var hops: Int
    /// The origin's Ed25519 signature over `signingBytes` (base64).
    public var signature: String?
    /// The `format` field as written: nil for format 1, which predates it (`DataFormats`).
    public var formatField: Int?

    /// The command's format (`DataFormats`): its signed bytes cover the field from format 2 on.
    public var format: Int { formatField ?? 1 }

    enum CodingKeys: String, CodingKey {
        case id, caseNumber, origin, actor, action, createdAt, hops, signature
        case formatField = "format"
    }

    public static let hopsMax = 32

    public init(id: String, caseNumber: CaseNumber, origin: NodeID, actor: String, action: CaseAction, createdAt: Date, format: Int = 1) {
        self.formatField = DataFormats.field(format)
        self.id = id
        self.caseNumber = caseNumber
        self.origin = origin
        self.actor = actor
        self.action = action
        self.createdAt = createdAt
        self.hops = 0
        self.signature = nil
    }

    struct Signed: Encodable {
        var id: String
        var caseNumber: CaseNumber
        var origin: NodeID
        var actor: String
        var action: CaseAction
        var createdAt: Date
        var format: Int?
    }

    /// What the origin signs: everything but the hop count (relays increment it) and the signature.
    public var signingBytes: Data {
        let signed = Signed(id: id, caseNumber: caseNumber, origin: origin, actor: actor, action: action, createdAt: createdAt, format: formatField)
        // Encoding a value made of strings, integers and dates cannot fail.
        return try! CanonicalJSON.encoder.encode(signed)
    }

    /// Checks the shape of a command id (printable ASCII, bounded).
    public static func isValidID(_ id: String) -> Bool {
        (1...64).contains(id.count) && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
    }
}

/// Where a command stands at a node that made it or passed it on.
public enum CommandStatus: String, Sendable, Codable, CaseIterable {
    /// Made here, on its way to the holder.
    case pending
    /// Arrived from a neighbour, being routed.
    case received
    /// Passed on towards the holder.
    case forwarded
    /// The holder applied it (an event carries it).
    case applied
    /// The holder refused it (a `commandRefused` event says why).
    case refused
    /// Neither this node nor any above it knows the case.
    case undeliverable

    /// Whether the command's fate is decided (the holder applied or refused it).
    public var isSettled: Bool { self == .applied || self == .refused }
}
