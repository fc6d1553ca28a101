public import Foundation

/// One node of the hierarchy as the topology file describes it.
public struct TopologyNode: Codable, Equatable, Sendable {
    public var id: NodeID
    public var name: String
    public var level: Level
    /// nil for the root.
    public var parent: NodeID?
    /// Where its peer API listens, e.g. `http://127.0.0.1:8431`.
    public var baseURL: String
    /// The node's other servers (a node on PostgreSQL may run two or more), tried in order when
    /// `baseURL` cannot be reached or answers with a server error; nil or empty for one server.
    public var otherURLs: [String]?
    /// Its Ed25519 public key, base64 (raw 32 bytes).
    public var publicKey: String
    /// Keys the node used before a rotation: they still verify what was signed before `retiredAt`.
    public var retiredKeys: [RetiredKey]?

    public init(id: NodeID, name: String, level: Level, parent: NodeID?, baseURL: String, publicKey: String) {
        self.id = id
        self.name = name
        self.level = level
        self.parent = parent
        self.baseURL = baseURL
        self.publicKey = publicKey
    }

    /// Every server of the node, `baseURL` first.
    public var serverURLs: [String] { [baseURL] + (otherURLs ?? []) }

    /// Whether `signature` over `data`, made at `signedAt`, is this node's: by its current key, or
    /// by a retired key for what was signed before that key's retirement.
    public func verifies(_ signature: String?, of data: Data, signedAt: Date) -> Bool {
        if Signatures.verify(signature, of: data, publicKey: publicKey) { return true }
        return (retiredKeys ?? []).contains { signedAt < $0.retiredAt && Signatures.verify(signature, of: data, publicKey: $0.publicKey) }
    }

    public func verifies(_ event: CaseEvent) -> Bool { verifies(event.signature, of: Data(event.hash.utf8), signedAt: event.date) }
    public func verifies(_ command: CaseCommand) -> Bool { verifies(command.signature, of: command.signingBytes, signedAt: command.createdAt) }

    /// The division the node answers for (its id).
    public var area: RegionCode { RegionCode(rawValue: id.rawValue) }
}

/// A node's former public key and when it stopped signing.
public struct RetiredKey: Codable, Equatable, Sendable {
    public var publicKey: String
    public var retiredAt: Date
    public init(publicKey: String, retiredAt: Date) {
        self.publicKey = publicKey
        self.retiredAt = retiredAt
    }
}

/// The tree of nodes: who is whose parent, where each listens, and each one's public key.
///
/// Levels are data: a deeper tree (a national root, townships) needs no code change. Routing is
/// hop by hop along the tree: towards a node below, to the child on its path; otherwise, to the parent.
public struct Topology: Codable, Equatable, Sendable {
    public var version: Int
    public var nodes: [TopologyNode]
    /// The event and command formats every node of the tree writes (`DataFormats`); absent, the
    /// previous release's. Raised only once every node runs a build that reads the new ones.
    public var formats: DataFormats?

    public init(version: Int = 1, nodes: [TopologyNode], formats: DataFormats? = nil) {
        self.version = version
        self.nodes = nodes
        self.formats = formats
    }

    /// What a node of this tree writes.
    public var writtenFormats: DataFormats { formats ?? .previous }

    public func node(_ id: NodeID) -> TopologyNode? { nodes.first { $0.id == id } }

    public func contains(_ id: NodeID) -> Bool { node(id) != nil }

    public func parent(of id: NodeID) -> NodeID? { node(id)?.parent }

    public func children(of id: NodeID) -> [NodeID] { nodes.filter { $0.parent == id }.map(\.id) }

    /// The nodes adjacent to `id`: its parent, then its children.
    public func neighbours(of id: NodeID) -> [NodeID] { (parent(of: id).map { [$0] } ?? []) + children(of: id) }

    /// The ancestors of a node, nearest first.
    public func ancestors(of id: NodeID) -> [NodeID] {
        var result: [NodeID] = []
        var current = parent(of: id)
        while let node = current, !result.contains(node), result.count < nodes.count {
            result.append(node)
            current = parent(of: node)
        }
        return result
    }

    /// Whether `ancestor` is strictly above `node`.
    public func isAncestor(_ ancestor: NodeID, of node: NodeID) -> Bool { ancestors(of: node).contains(ancestor) }

    /// Whether `node` is `root` or below it.
    public func isInSubtree(_ node: NodeID, of root: NodeID) -> Bool { node == root || isAncestor(root, of: node) }

    /// Whether two nodes are parent and child.
    public func areAdjacent(_ a: NodeID, _ b: NodeID) -> Bool { parent(of: a) == b || parent(of: b) == a }

    /// The adjacent node a message from `from` travels through on its way to `to`; nil when they are the same.
    public func nextHop(from: NodeID, to: NodeID) -> NodeID? {
        guard from != to else { return nil }
        if isAncestor(from, of: to) {
            // The child of `from` on the path down: the ancestor of `to` (or `to`) whose parent is `from`.
            return ([to] + ancestors(of: to)).first { parent(of: $0) == from }
        }
        return parent(of: from)
    }

    /// The node `levelsUp` levels above `node`, or nil when the tree is not that deep.
    public func ancestor(of node: NodeID, levelsUp: Int) -> NodeID? {
        let chain = ancestors(of: node)
        return levelsUp >= 1 && levelsUp <= chain.count ? chain[levelsUp - 1] : nil
    }

    /// The depth of a node: 0 for the root.
    public func depth(of node: NodeID) -> Int { ancestors(of: node).count }

    /// The node of `level` whose area contains `region`, if any.
    public func node(at level: Level, containing region: RegionCode) -> TopologyNode? {
        nodes.first { $0.level == level && region.isWithin($0.area) }
    }

    /// The most other servers a node lists.
    public static let otherURLsMax = 8

    /// Checks the tree: unique ids, one root, known parents, no cycles, valid codes.
    public func validated() throws(ValidationFailure) -> Topology {
        guard version == 1 else { throw .invalid("version", "只支持版本 1 的拓扑文件。") }
        guard !nodes.isEmpty else { throw .missing("nodes") }
        if let refusal = FormatReader.build.refusal(toWrite: writtenFormats) {
            throw .invalid("formats", "本版本不能按拓扑指定的数据格式写入（\(refusal)）。")
        }
        var seen = Set<NodeID>()
        for (i, node) in nodes.enumerated() {
            _ = try NodeID.validated(node.id.rawValue, field: "nodes.\(i).id")
            guard seen.insert(node.id).inserted else { throw .invalid("nodes.\(i).id", "节点 \(node.id) 重复。") }
            guard node.baseURL.hasPrefix("http://") || node.baseURL.hasPrefix("https://") else {
                throw .invalid("nodes.\(i).baseURL", "baseURL 必须以 http:// 或 https:// 开头。")
            }
            for (j, url) in (node.otherURLs ?? []).enumerated() where !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
                throw .invalid("nodes.\(i).otherURLs.\(j)", "otherURLs 中的地址必须以 http:// 或 https:// 开头。")
            }
            guard (node.otherURLs ?? []).count <= Self.otherURLsMax else {
                throw .invalid("nodes.\(i).otherURLs", "一个节点最多列出 \(Self.otherURLsMax) 个其他服务器地址。")
            }
        }
        guard nodes.filter({ $0.parent == nil }).count == 1 else { throw .invalid("nodes", "拓扑必须恰好有一个根节点。") }
        for (i, node) in nodes.enumerated() {
            if let parent = node.parent, !seen.contains(parent) {
                throw .invalid("nodes.\(i).parent", "上级节点 \(parent) 不在拓扑中。")
            }
            if ancestors(of: node.id).contains(node.id) || depth(of: node.id) >= nodes.count {
                throw .invalid("nodes.\(i).parent", "拓扑中存在环。")
            }
        }
        return self
    }
}
