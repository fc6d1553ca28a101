import Foundation
public import Logging
import Metrics
public import ServiceLifecycle
import Synchronization
public import XinfangCore
public import XinfangStore

/// Fetches the blobs this node has events for but not the bytes of (`blob_wants`), apart from
/// the event packets: `concurrency` workers, each taking the oldest due want no other worker
/// holds, asking a neighbour (`BlobFetchPolicy.source`: the event's sender first) for its sealed
/// chunks four at a time, checking each chunk as it lands and keeping it durably, so a restart
/// or a kill -9 resumes after the last whole chunk. A failed attempt waits (1 s doubling to five
/// minutes) and asks the next neighbour. Woken by every commit that may add a want; otherwise a
/// worker sleeps until the next want is due or a minute passes.
public struct BlobFetcher: Service {
    let database: NodeDatabase
    let transport: any PacketTransport
    let clock: any NodeClock
    let logger: Logger
    let settings: BlobTransferSettings
    let idleCheckSeconds: Double

    public init(
        database: NodeDatabase,
        transport: any PacketTransport,
        clock: any NodeClock,
        logger: Logger,
        settings: BlobTransferSettings = BlobTransferSettings(),
        idleCheckSeconds: Double = PeerLoop.idleCheckSeconds
    ) {
        self.database = database
        self.transport = transport
        self.clock = clock
        self.logger = logger
        self.settings = settings
        self.idleCheckSeconds = idleCheckSeconds
    }

    public func run() async throws {
        guard let hierarchy = database.hierarchy else { return }
        let claims = Claims()
        let pacer = PeerPacer(settings)
        let wakeups = (0..<settings.concurrency).map { _ in Wakeup() }
        database.outboxSignal.subscribe { for wakeup in wakeups { wakeup.signal() } }
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                for wakeup in wakeups {
                    group.addTask { await worker(wakeup: wakeup, claims: claims, pacer: pacer, hierarchy: hierarchy) }
                }
            }
        } onGracefulShutdown: {
            for wakeup in wakeups { wakeup.stop() }
        }
    }

    func worker(wakeup: Wakeup, claims: Claims, pacer: PeerPacer, hierarchy: Hierarchy) async {
        while !wakeup.isStopped && !Task.isCancelled {
            let now = clock.now()
            let due = (try? await database.dueBlobWants(now: now, limit: settings.concurrency + 1)) ?? []
            if let want = due.first(where: { want in claims.held.withLock { $0.insert(want.sha256).inserted } }) {
                await fetch(want, hierarchy: hierarchy, pacer: pacer, stop: wakeup)
                claims.held.withLock { _ = $0.remove(want.sha256) }
                continue
            }
            // Nothing due, or every due want is another worker's: sleep until the next is due.
            let next = due.isEmpty ? (try? await database.nextBlobWantAt()) : nil
            let wait = next.map { max(0.05, $0.timeIntervalSince(now)) } ?? (due.isEmpty ? idleCheckSeconds : 1)
            await wakeup.wait(upTo: min(wait, idleCheckSeconds))
        }
    }

    /// One attempt at one want: until the blob is whole, the neighbour refuses or fails, or the
    /// node stops.
    func fetch(_ want: BlobWant, hierarchy: Hierarchy, pacer: PeerPacer, stop: Wakeup) async {
        let me = database.node
        let topology = hierarchy.topology
        func failed(_ why: String, notYetThere: Bool = false, unreachable: NodeID? = nil) async {
            let delay = BlobFetchPolicy.retryDelay(afterAttempts: want.attempts + 1, jitter: .random(in: 0..<1), notYetThere: notYetThere)
            logger.info("blob fetch failed", metadata: ["sha256": "\(want.sha256)", "case": "\(want.caseNumber)", "error": "\(why)"])
            Counter(label: "xinfang_blob_fetch_failures_total").increment()
            try? await database.blobAttemptFailed(want.sha256, error: why, retryAt: clock.now().addingTimeInterval(delay), unreachable: unreachable)
        }
        guard let source = BlobFetchPolicy.source(attempts: want.attempts, sender: want.sender, at: me, topology: topology),
            let peer = topology.node(source)
        else { return await failed("no neighbour to ask") }
        var arrival: BlobStore.Arrival?
        var next = database.blobs.receivedChunks(want.sha256)
        // A neighbour still fetching the file itself hands on what it has: while it keeps making
        // progress the attempt goes on, asking again shortly for the chunks it does not have yet.
        var lastProgress: Date?
        while !stop.isStopped && !Task.isCancelled {
            let request = BlobRequest(
                from: me,
                to: source,
                sha256: want.sha256,
                chunk: next,
                count: BlobFetchPolicy.chunksPerRequest,
                sentAt: clock.now()
            )
            guard let body = try? CanonicalJSON.encoder.encode(request) else { return }
            switch await transport.fetchBlobChunks(body, signature: hierarchy.key.sign(body), from: me, to: peer) {
            case .unreachable(let why): return await failed("\(source) unreachable: \(why)", unreachable: source)
            case .refused(_, "blob-not-here", _)
            where lastProgress.map { clock.now().timeIntervalSince($0) < BlobFetchPolicy.relayStallSeconds } ?? false:
                try? await Task.sleep(for: .milliseconds(Int(BlobFetchPolicy.relayPollSeconds * 1000)))
            case .refused(let status, let code, let detail):
                return await failed("\(source) refused (\(status) \(code)): \(detail)", notYetThere: code == "blob-not-here")
            case .chunks(let shape, let first, let bytes):
                guard shape.size == want.size else { return await failed("\(source) has \(shape.size) bytes, the event says \(want.size)") }
                do {
                    let receiving = try arrival ?? database.blobs.arrival(want.sha256, shape: shape)
                    arrival = receiving
                    if first == receiving.nextChunk && !bytes.isEmpty {
                        try receiving.append(bytes)
                        lastProgress = clock.now()
                        Counter(label: "xinfang_blob_bytes_received_total", dimensions: [("peer", source.rawValue)]).increment(by: bytes.count)
                    }
                    if receiving.isComplete {
                        _ = try receiving.finish()
                        try await database.blobArrived(want.sha256)
                        logger.info(
                            "blob fetched",
                            metadata: ["sha256": "\(want.sha256)", "case": "\(want.caseNumber)", "from": "\(source)", "bytes": "\(want.size)"]
                        )
                        return
                    }
                    next = receiving.nextChunk
                } catch {
                    return await failed("\(source): \(error)")
                }
                var pause = pacer.delay(after: bytes.count, from: source, now: clock.now())
                while pause > 0 && !stop.isStopped {
                    try? await Task.sleep(for: .milliseconds(Int(min(pause, 0.25) * 1000)))
                    pause -= 0.25
                }
            }
        }
    }
}

/// The wants the workers hold, so two never fetch the same blob.
final class Claims: Sendable {
    let held = Mutex<Set<String>>([])
}

extension BlobFetcher: CustomStringConvertible {
    public var description: String { "BlobFetcher(node: \(database.node), workers: \(settings.concurrency))" }
}
