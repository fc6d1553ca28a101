import Foundation
public import Logging
public import ServiceLifecycle
public import XinfangCore
public import XinfangStore

/// What one anti-entropy exchange with the parent cost and found.
public struct AntiEntropyReport: Codable, Sendable, Equatable {
    public var peer: NodeID
    /// Request and answer bodies, both rounds.
    public var bytesSent: Int
    public var bytesReceived: Int
    public var differingTops: Int
    public var differingLeaves: Int
    /// Cases queued again for the parent, and cases the parent has that this node lacks.
    public var resent: Int
    public var missingHere: Int
    public var milliseconds: Double
}

/// The outcome of one reconciliation round at a node: the flags job, the exchange with the parent,
/// and the flag report sent up.
public struct ReconciliationRound: Codable, Sendable {
    public var reconcile: ReconcileReport
    public var antiEntropy: AntiEntropyReport?
    /// Why the exchange or the report did not happen (the parent unreachable, say).
    public var error: String?
    public var flagsReported: Int?
}

/// Runs the reconciliation job on a schedule (DESIGN §5): at start when the last run is older than
/// the interval (so missed runs are caught up), then every interval. Each round reconciles the
/// store, compares digests with the parent (anti-entropy), and reports the subtree's node-local
/// flags up.
public struct ReconciliationService: Service {
    let database: NodeDatabase
    let transport: any PacketTransport
    let clock: any NodeClock
    let limits: ReconciliationLimits
    let logger: Logger
    /// The peer protocol versions this node speaks (`PeerProtocol.build`).
    let speaks: PeerProtocol

    public init(
        database: NodeDatabase,
        transport: any PacketTransport,
        clock: any NodeClock,
        limits: ReconciliationLimits,
        logger: Logger,
        speaks: PeerProtocol = .build
    ) {
        self.database = database
        self.transport = transport
        self.clock = clock
        self.limits = limits
        self.logger = logger
        self.speaks = speaks
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let last = try? await database.lastReconciledAt()
            let due = last.map { $0.addingTimeInterval(limits.intervalSeconds).timeIntervalSince(clock.now()) } ?? 0
            if due > 0 {
                do {
                    try await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(Int(min(due, limits.intervalSeconds) * 1000))) }
                } catch {
                    return
                }
                continue
            }
            do {
                let round = try await runOnce()
                logger.info(
                    "reconciled",
                    metadata: [
                        "flags.raised": "\(round.reconcile.raised)", "flags.cleared": "\(round.reconcile.cleared)",
                        "cases.scanned": "\(round.reconcile.casesScanned)", "cases.evaluated": "\(round.reconcile.casesEvaluated)",
                        "ae.resent": "\(round.antiEntropy?.resent ?? 0)",
                    ]
                )
            } catch is CancellationError {
                return  // the node is stopping
            } catch {
                logger.error("reconciliation failed", metadata: ["error": "\(error)"])
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(5)) }
            }
        }
    }

    /// One round now: the flags, then (with a parent) anti-entropy and the flag report.
    public func runOnce() async throws -> ReconciliationRound {
        let report = try await database.reconcile(now: clock.now(), limits: limits)
        var round = ReconciliationRound(reconcile: report)
        guard let hierarchy = database.hierarchy, let parentID = hierarchy.topology.parent(of: database.node),
            let parent = hierarchy.topology.node(parentID)
        else { return round }
        do {
            round.antiEntropy = try await exchangeDigests(with: parent)
            let flags = try await database.flagReport()
            _ = try await send(flags: flags, to: parent)
            round.flagsReported = flags.count
        } catch {
            round.error = "\(error)"
        }
        return round
    }

    /// Anti-entropy with the parent: tops, then the differing leaves' entries, then repair.
    public func exchangeDigests(with parent: TopologyNode) async throws -> AntiEntropyReport {
        let started = ContinuousClock.now
        var report = AntiEntropyReport(
            peer: parent.id,
            bytesSent: 0,
            bytesReceived: 0,
            differingTops: 0,
            differingLeaves: 0,
            resent: 0,
            missingHere: 0,
            milliseconds: 0
        )
        let leaves = try await database.digestLeaves(for: parent.id)
        let tops = AntiEntropy.tops(ofLeaves: leaves)
        let first = try await ask(DigestRequest(tops: AntiEntropy.pack(tops)), parent: parent, report: &report)
        let differingTops = first.differingTops ?? []
        report.differingTops = differingTops.count
        if differingTops.isEmpty {
            try await database.clearMismatches(with: parent.id)
        } else {
            guard let theirLeaves = first.leaves.flatMap({ AntiEntropy.unpack($0, max: AntiEntropy.leafCount) }),
                theirLeaves.count == differingTops.count * AntiEntropy.leavesPerTop
            else { throw PacketRefusal(status: 502, code: "malformed-digest", detail: "the parent's leaf digests do not match its tops") }
            var differing: [Int] = []
            for (index, top) in differingTops.enumerated() {
                for offset in 0..<AntiEntropy.leavesPerTop {
                    let leaf = top * AntiEntropy.leavesPerTop + offset
                    if (leaves[leaf] ?? 0) != theirLeaves[index * AntiEntropy.leavesPerTop + offset] { differing.append(leaf) }
                }
            }
            let complete = differing.count <= DigestRequest.leavesMax
            differing = Array(differing.prefix(DigestRequest.leavesMax))
            report.differingLeaves = differing.count
            let mine = try await database.digestEntries(for: parent.id, leaves: differing)
            let second = try await ask(DigestRequest(leaves: differing, entries: DigestEntry.pack(mine)), parent: parent, report: &report)
            guard let theirs = second.entries.flatMap({ DigestEntry.unpack($0, max: DigestRequest.entriesMax) }) else {
                throw PacketRefusal(status: 502, code: "malformed-digest", detail: "the parent's entries do not parse")
            }
            let repair = try await database.repairDifferences(
                with: parent.id,
                theirs: theirs,
                leaves: differing,
                complete: complete,
                now: clock.now()
            )
            report.resent = repair.resent
            report.missingHere = repair.missingHere
        }
        let elapsed = ContinuousClock.now - started
        report.milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        return report
    }

    func ask(_ request: DigestRequest, parent: TopologyNode, report: inout AntiEntropyReport) async throws -> DigestReply {
        let (body, response) = try await send(digest: request, to: parent)
        report.bytesSent += body
        report.bytesReceived += (try? CanonicalJSON.encoder.encode(response).count) ?? 0
        guard let reply = response.digest else {
            throw PacketRefusal(status: 502, code: "no-digest-answer", detail: "\(parent.id) did not answer the digest")
        }
        return reply
    }

    /// Sends a packet with no items (a digest round or a flag report) through the link's session.
    func send(digest: DigestRequest? = nil, flags: [Flag]? = nil, to peer: TopologyNode) async throws -> (bytes: Int, response: PacketResponse) {
        let link = PeerLink(database: database, transport: transport, clock: clock, peer: peer, speaks: speaks)
        let number = try await link.number()
        let packet = Packet(
            from: database.node,
            to: peer.id,
            number: number,
            sentAt: clock.now(),
            chains: [],
            commands: [],
            digest: digest,
            flags: flags,
            version: link.version(for: number)
        )
        let body = packet.encoded()
        switch try await link.send(packet, body: body) {
        case .delivered(let response): return (body.count, response)
        case .refused(let status, let code, let detail): throw PacketRefusal(status: status, code: code, detail: detail)
        case .unreachable(let reason): throw PacketRefusal(status: 503, code: "unreachable", detail: reason)
        }
    }
}

extension ReconciliationService: CustomStringConvertible {
    public var description: String { "ReconciliationService(node: \(database.node))" }
}
