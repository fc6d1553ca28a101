/// Why the policy refuses who asks for an action: a node that is not the holder, not its
/// ancestor, parent or reviewer, an action that needs a tree the node lacks, or a user without
/// the permission. Not bad input (`ValidationFailure`) and not the lifecycle (`LifecycleError`):
/// the request was well formed and the case could move, but not at this asker's word.
///
/// `code` and `detail` are what a refused command's `commandRefused` event records, so they are
/// part of the hashed chain: never reword a detail that a refusal of a received command uses.
public struct PolicyRefusal: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: String, Sendable, CaseIterable {
        /// The action needs the hierarchy (a parent, children, commands) and this node has none.
        case needsHierarchy = "action-needs-hierarchy"
        /// An escalation from the root.
        case noParent = "no-parent"
        /// An action only the holder takes (or one the node makes itself, as a repeat petition).
        case holderOnly = "holder-only"
        /// An action only an ancestor of the holder may ask for.
        case notAnAncestor = "not-an-ancestor"
        /// An action only the holder's parent may ask for.
        case notTheParent = "not-the-parent"
        /// A review request from neither the holder's parent nor the organ the policy names.
        case notTheReviewer = "not-the-reviewer"
        /// A node the tree does not know (the asker, or the receiver of an offer).
        case unknownNode = "unknown-node"
        /// A takeover sent as a command: it is only ever appended at the ancestor's own node.
        case notACommand = "not-a-command"
        /// A recall or supervision signed in another node's name.
        case signedByAnother = "invalid-field"
        /// The user's role does not grant the action's permission.
        case notPermitted = "forbidden"
    }

    public var reason: Reason
    public var field: String?
    public var detail: String

    public init(_ reason: Reason, field: String?, detail: String) {
        self.reason = reason
        self.field = field
        self.detail = detail
    }

    public var code: String { reason.rawValue }
    public var description: String { "\(code) (\(field ?? "-")): \(detail)" }
}
