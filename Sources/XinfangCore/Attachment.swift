public import Foundation

/// The stage of the case a file belongs to in the case file (信访材料).
public enum AttachmentStage: String, Codable, Sendable, CaseIterable {
    case registration, acceptance, handling, reply, review, reReview, other

    public var label: String {
        switch self {
        case .registration: "登记"
        case .acceptance: "受理"
        case .handling: "办理"
        case .reply: "答复"
        case .review: "复查"
        case .reReview: "复核"
        case .other: "其他"
        }
    }
}

/// A file of the case file as the chain records it: named by the SHA-256 of its bytes (kept in
/// the blob store of every node that holds the case, never in the event), with its size, its
/// type as its bytes showed, its name and its stage. Who added it is the event's actor and origin.
public struct AttachmentRef: Codable, Equatable, Sendable {
    public var sha256: String
    public var size: Int
    public var mediaType: MediaType
    public var fileName: String
    public var stage: AttachmentStage

    public init(sha256: String, size: Int, mediaType: MediaType, fileName: String, stage: AttachmentStage) {
        self.sha256 = sha256
        self.size = size
        self.mediaType = mediaType
        self.fileName = fileName
        self.stage = stage
    }
}

/// The bounds every attachment event keeps, whatever a node's configuration (which sets lower
/// limits for uploads: `fileBytesDefault`).
public enum AttachmentLimits {
    /// The largest file any event may name (a node's upload limit is lower).
    public static let fileBytesMax = 2 << 30
    /// A node's upload limit unless its configuration says otherwise.
    public static let fileBytesDefault = 50 << 20
    /// The files a case may carry (withdrawn ones count: nothing leaves a chain).
    public static let perCaseMax = 200

    /// Whether `text` names a blob: 64 lower-case hexadecimal digits.
    public static func isHash(_ text: String) -> Bool {
        text.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    static func hash(_ raw: String?, field: String) throws(ValidationFailure) -> String {
        guard let raw, !raw.isEmpty else { throw .missing(field) }
        guard isHash(raw) else { throw .invalid(field, "\(field) 是文件内容的 SHA-256（64 位小写十六进制）。") }
        return raw
    }
}

/// A file of the case file, as the case state keeps it.
public struct AttachedFile: Codable, Equatable, Sendable {
    public var file: AttachmentRef
    public var addedBy: String
    public var origin: NodeID
    public var at: Date
    /// Set when a later event withdrew it (it stays in the chain and the list, hidden).
    public var withdrawn: Withdrawal?

    public struct Withdrawal: Codable, Equatable, Sendable {
        public var by: String
        public var at: Date
        public var reason: String
    }
}

extension CaseAction {
    /// 添加材料: a file named by its hash, size, sniffed type, name and stage.
    static func attach(_ f: ActionFields) throws(ValidationFailure) -> CaseAction {
        let sha256 = try AttachmentLimits.hash(f.sha256, field: "sha256")
        guard let size = f.size else { throw .missing("size") }
        guard (0...AttachmentLimits.fileBytesMax).contains(size) else {
            throw .invalid("size", "文件大小须在 0 到 \(AttachmentLimits.fileBytesMax) 字节之间。")
        }
        let type: MediaType = try Self.enumValue(f.mediaType, field: "mediaType")
        let name = try AttachmentName.checked(Check.text(f.fileName, field: "fileName", max: AttachmentName.lengthMax), type: type)
        return .attach(AttachmentRef(sha256: sha256, size: size, mediaType: type, fileName: name, stage: try Self.enumValue(f.stage, field: "stage")))
    }

    /// 撤回材料: the file stays in the chain, hidden, with the reason.
    static func withdrawAttachment(_ f: ActionFields) throws(ValidationFailure) -> CaseAction {
        .withdrawAttachment(sha256: try AttachmentLimits.hash(f.sha256, field: "sha256"), reason: try f.reasonText())
    }
}

extension CaseState {
    /// The case file's list: a file added, or one withdrawn (kept, marked).
    mutating func recordFile(_ action: CaseAction, actor: String, origin: NodeID, at: Date) {
        switch action {
        case .attach(let file):
            attachments = (attachments ?? []) + [AttachedFile(file: file, addedBy: actor, origin: origin, at: at, withdrawn: nil)]
        case .withdrawAttachment(let sha256, let reason):
            if let index = attachments?.lastIndex(where: { $0.file.sha256 == sha256 && $0.withdrawn == nil }) {
                attachments?[index].withdrawn = AttachedFile.Withdrawal(by: actor, at: at, reason: reason)
            }
        default: break
        }
    }

    /// The files of the case file not withdrawn, in the order they were added.
    public var activeAttachments: [AttachedFile] { (attachments ?? []).filter { $0.withdrawn == nil } }
}

/// Which nodes may hold a case's material and which neighbour may be handed it (issue 17): the
/// case's own scope, narrowed by R16 — the material of a 检举控告 never reaches the organ it
/// accuses or a unit inside that organ's subtree, even where the events pass.
public enum AttachmentScope {
    /// Whether `node` may keep the case file's bytes.
    public static func mayHold(_ node: NodeID, state: CaseState, topology: Topology?) -> Bool {
        !AccusedOrgan.forbids(node, for: state, topology: topology)
    }

    /// Whether `node` may hand the bytes of the case's material to its neighbour `peer`: the peer
    /// may hold them, and the case's events go from `node` to `peer` (`Routing.replicationPeers`:
    /// the parent, or a child whose subtree takes part in the case).
    public static func mayServe(_ peer: NodeID, from node: NodeID, state: CaseState, topology: Topology) -> Bool {
        mayHold(peer, state: state, topology: topology)
            && Routing.replicationPeers(for: state, at: node, topology: topology, receivedFrom: nil).contains(peer)
    }
}

/// How a node fetches a blob it lacks from its neighbours (issue 17): whom it asks, when it asks
/// again, and how much one request carries. Pure, so the fetcher and its tests share it.
public enum BlobFetchPolicy {
    /// Sealed chunks (1 MiB each) a request may ask for, and how many the fetcher asks for: a
    /// request holds that much in memory at each end. P8, a 200 MB file over two hops: asking
    /// for four, a node grew by 27–37 MB at 60–69 MB/s; for two, by 14–20 MB at 54–66 MB/s (one
    /// request at a time, each synced). With one request ahead and the file synced once
    /// (2026-12-06): two, 24–27 MB at 145–176 MB/s; four, 32–37 MB at 97–121 MB/s.
    public static let chunksPerRequestMax = 4
    public static let chunksPerRequest = 2
    /// The longest wait between attempts.
    public static let retryCapSeconds: Double = 300
    /// A relay hands on a file while it fetches it: the wait before asking it again for chunks it
    /// does not have yet, and how long it may make no progress before the attempt ends. A relay
    /// fetches a 2 MiB request in about 10 ms here (P8), so the county asks again soon after it
    /// caught up; each ask costs the relay a signature check and two reads (about 1.3 ms).
    public static let relayPollSeconds: Double = 0.05
    public static let relayStallSeconds: Double = 30

    /// The longest wait after a neighbour said it does not have the bytes yet (a relay still
    /// fetching them, or the event still on its way).
    public static let notYetThereCapSeconds: Double = 10

    /// The wait before attempt `attempts + 1`: 1 s doubling to five minutes, with `jitter` in
    /// 0..<1 adding up to a quarter; at most `notYetThereCapSeconds` when the neighbour answered
    /// that the bytes are not there yet (it is up and they are coming). A neighbour that does not
    /// answer is asked again as soon as it speaks (`blob_wants.waiting_on`).
    public static func retryDelay(afterAttempts attempts: Int, jitter: Double, notYetThere: Bool = false) -> Double {
        let base = min(notYetThere ? notYetThereCapSeconds : retryCapSeconds, pow(2, Double(min(max(attempts - 1, 0), 20))))
        return base * (1 + 0.25 * jitter)
    }

    /// The neighbour to ask on attempt `attempts` (0-based): the peer the event came from first,
    /// then every adjacent node in turn (the parent, then the children), so a blob that did not
    /// come with its event (a superior's command, a lost source) is found where it is.
    public static func source(attempts: Int, sender: NodeID?, at node: NodeID, topology: Topology) -> NodeID? {
        var candidates: [NodeID] = sender.map { [$0] } ?? []
        for peer in [topology.parent(of: node)].compactMap({ $0 }) + topology.children(of: node) where !candidates.contains(peer) {
            candidates.append(peer)
        }
        guard !candidates.isEmpty else { return nil }
        return candidates[attempts % candidates.count]
    }
}
