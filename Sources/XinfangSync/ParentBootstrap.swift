public import Foundation
public import XinfangCore
public import XinfangStore

/// A child's request for a page of its replicas held by its parent (`POST /sync/v1/subtree`),
/// signed like a packet.
public struct SubtreeRequest: Codable, Sendable, Equatable {
    public var from: NodeID
    public var to: NodeID
    public var sentAt: Date
    /// The case number the page starts after; nil for the first page.
    public var after: String?

    public init(from: NodeID, to: NodeID, sentAt: Date, after: String?) {
        self.from = from
        self.to = to
        self.sentAt = sentAt
        self.after = after
    }
}

/// The parent's side: who may ask (a child of this node, by its signature), and the page.
public struct SubtreeServer: Sendable {
    public let database: NodeDatabase
    public let clock: any NodeClock

    public init(database: NodeDatabase, clock: any NodeClock) {
        self.database = database
        self.clock = clock
    }

    /// The page the child asked for, or the refusal (counted by sender and code).
    public func answer(body: Data, from header: String?, signature: String?) async throws -> SubtreeExport {
        let now = clock.now()
        do {
            guard let hierarchy = database.hierarchy else {
                throw PacketRefusal(status: 503, code: "no-hierarchy", detail: "this node runs without a topology")
            }
            let me = database.node
            let sender = try PacketReceiver.sender(of: body, from: header, signature: signature, at: me, topology: hierarchy.topology)
            guard hierarchy.topology.parent(of: sender.id) == me else {
                throw PacketRefusal(
                    status: 403,
                    code: "not-a-child",
                    detail: "only a child rebuilds its store from this node; \(sender.id) is not one"
                )
            }
            guard let request = try? CanonicalJSON.decoder.decode(SubtreeRequest.self, from: body) else {
                throw PacketRefusal(status: 400, code: "malformed-subtree-request", detail: "the request does not parse")
            }
            try PacketReceiver.checkRequest(from: request.from, to: request.to, sentAt: request.sentAt, sender: sender.id, me: me, now: now)
            if let after = request.after, (try? CaseNumber.validated(after, field: "after")) == nil {
                throw PacketRefusal(status: 400, code: "malformed-subtree-request", detail: "after is not a case number")
            }
            return try await database.subtreeExport(for: sender.id, after: request.after)
        } catch let refusal as PacketRefusal {
            try await database.countRefusal(peer: header ?? "unknown", code: refusal.code, detail: refusal.detail, now: now)
            throw refusal
        }
    }
}

/// Rebuilds a lost store from the parent's replicas (`xinfang bootstrap --from-parent`): page by
/// page, each page's chains taken as a packet's are (hash links, the head's signature, the
/// holder's right, the fold) in one transaction.
public struct ParentBootstrap: Sendable {
    public let database: NodeDatabase
    public let transport: HTTPPacketTransport
    public let clock: any NodeClock

    public init(database: NodeDatabase, transport: HTTPPacketTransport = HTTPPacketTransport(timeoutSeconds: 60), clock: any NodeClock) {
        self.database = database
        self.transport = transport
        self.clock = clock
    }

    /// Why the bootstrap stopped.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// What came back, and what the parent says the lost store may have held beyond it.
    public struct Report: Sendable {
        public var parent: NodeID
        public var cases = 0
        public var events = 0
        /// Chains the store did not take, with the receipt's reason.
        public var refused: [ItemReceipt] = []
        public var lastReceivedAt: Date?
        public var heldByChild: [CaseNumber] = []
        public var heldByChildCount = 0
    }

    /// Pulls every page; `progress` after each (cases so far, of the total).
    public func run(progress: (Int, Int) -> Void = { _, _ in }) async throws -> Report {
        guard let hierarchy = database.hierarchy, let parent = hierarchy.topology.parent(of: database.node),
            let parentNode = hierarchy.topology.node(parent)
        else { throw Failure(description: "this node has no parent in the topology to rebuild from") }
        var report = Report(parent: parent)
        var after: String?
        repeat {
            let body = try CanonicalJSON.encoder.encode(SubtreeRequest(from: database.node, to: parent, sentAt: clock.now(), after: after))
            guard
                let reply = await transport.post(
                    "sync/v1/subtree",
                    body,
                    signature: hierarchy.key.sign(body),
                    from: database.node,
                    to: parentNode,
                    timeoutSeconds: transport.timeoutSeconds
                )
            else { throw Failure(description: "the parent's base URL \(parentNode.baseURL) is not a URL") }
            if let failure = reply.failure { throw Failure(description: "the parent \(parent) did not answer: \(failure)") }
            guard reply.status == 200, let page = try? CanonicalJSON.decoder.decode(SubtreeExport.self, from: reply.body) else {
                throw Failure(
                    description: "the parent \(parent) refused: HTTP \(reply.status) \(String(decoding: reply.body.prefix(300), as: UTF8.self))"
                )
            }
            if after == nil {
                report.lastReceivedAt = page.lastReceivedAt
                report.heldByChild = page.heldByChild ?? []
                report.heldByChildCount = page.heldByChildCount ?? 0
            }
            if let refusal = FormatReader.build.refusal(chains: page.chains, commands: []) {
                throw Failure(description: "the parent \(parent) sent what this build cannot read: \(refusal)")
            }
            let receipts = try await database.receiveReplicas(from: parent, chains: page.chains, now: clock.now())
            report.refused += receipts.filter { $0.status == .rejected || $0.status == .gap }
            report.cases += page.chains.count
            report.events += page.chains.reduce(0) { $0 + $1.count }
            progress(report.cases, page.total)
            guard page.next == nil || page.next != after else { throw Failure(description: "the parent's pages do not advance") }
            after = page.next
        } while after != nil
        return report
    }
}
