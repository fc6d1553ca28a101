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
/// chunks `BlobFetchPolicy.chunksPerRequest` at a time, the next request on its way while the
/// last answer is checked and kept (unless a bandwidth cap spaces them), checking each chunk as it
/// lands, so a restart or a kill -9 resumes after the last whole chunk (the file is synced once,
/// whole, before it is named). A failed attempt waits (1 s doubling to five
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
        let fetching = database.blobs.fetches.begin(want.sha256, from: source)
        defer { database.blobs.fetches.end(want.sha256, fetching) }
        var arrival: BlobStore.Arrival?
        // A neighbour still fetching the file itself hands on what it has: while it keeps making
        // progress (or, before the first chunk, while it says it is fetching) the attempt goes on,
        // asking again shortly for the chunks it does not have yet. (A relay of the previous
        // release says `blob-not-here` for both.)
        var lastProgress: Date?
        let started = clock.now()
        @Sendable func ask(_ chunk: Int) async -> BlobChunksResult? { await request(chunk, of: want.sha256, from: peer, hierarchy: hierarchy) }
        var answer = await ask(database.blobs.receivedChunks(want.sha256))
        while let current = answer, !stop.isStopped && !Task.isCancelled {
            switch current {
            case .unreachable(let why): return await failed("\(source) unreachable: \(why)", unreachable: source)
            case .refused(_, "blob-arriving", _) where clock.now().timeIntervalSince(lastProgress ?? started) < BlobFetchPolicy.relayStallSeconds,
                .refused(_, "blob-not-here", _)
            where lastProgress.map { clock.now().timeIntervalSince($0) < BlobFetchPolicy.relayStallSeconds } ?? false:
                try? await Task.sleep(for: .milliseconds(Int(BlobFetchPolicy.relayPollSeconds * 1000)))
                answer = await ask(arrival?.nextChunk ?? database.blobs.receivedChunks(want.sha256))
            case .refused(let status, let code, let detail):
                return await failed(
                    "\(source) refused (\(status) \(code)): \(detail)",
                    notYetThere: BlobServer.notYetHere.contains(code)
                )
            case .chunks(let shape, let first, let bytes):
                guard shape.size == want.size else { return await failed("\(source) has \(shape.size) bytes, the event says \(want.size)") }
                let receiving: BlobStore.Arrival
                do {
                    receiving = try arrival ?? database.blobs.arrival(want.sha256, shape: shape)
                } catch {
                    return await failed("\(source): \(error)")
                }
                arrival = receiving
                let fits = first == receiving.nextChunk && !bytes.isEmpty
                // Unpaced, the chunks after these are asked for while these are checked and kept:
                // the neighbour's answer overlaps this node's work (one request ahead, so at most
                // two answers in memory). Paced, the next request waits for its turn.
                var pause = pacer.delay(after: bytes.count, from: source, now: clock.now())
                let following = fits ? first + shape.chunks(from: first, sealedBytes: bytes.count) : receiving.nextChunk
                let asksAhead = pause <= 0 && following < shape.chunks
                async let ahead = asksAhead ? ask(following) : nil
                do {
                    if fits {
                        try receiving.append(bytes)
                        lastProgress = clock.now()
                        Counter(label: "xinfang_blob_bytes_received_total", dimensions: [("peer", source.rawValue)]).increment(by: bytes.count)
                    }
                    if try await finished(receiving, want, from: source) { return }
                } catch {
                    return await failed("\(source): \(error)")
                }
                while pause > 0 && !stop.isStopped {
                    try? await Task.sleep(for: .milliseconds(Int(min(pause, 0.25) * 1000)))
                    pause -= 0.25
                }
                answer = await ahead
                if answer == nil { answer = await ask(receiving.nextChunk) }
            }
        }
    }

    /// Asks `peer` for the chunks of `sha256` from `chunk` (a signed request).
    func request(_ chunk: Int, of sha256: String, from peer: TopologyNode, hierarchy: Hierarchy) async -> BlobChunksResult? {
        let me = database.node
        let request = BlobRequest(from: me, to: peer.id, sha256: sha256, chunk: chunk, count: BlobFetchPolicy.chunksPerRequest, sentAt: clock.now())
        guard let body = try? CanonicalJSON.encoder.encode(request) else { return nil }
        return await transport.fetchBlobChunks(body, signature: hierarchy.key.sign(body), from: me, to: peer)
    }

    /// Names the blob once every chunk is here and the want is met; whether it was.
    func finished(_ receiving: BlobStore.Arrival, _ want: BlobWant, from source: NodeID) async throws -> Bool {
        guard receiving.isComplete else { return false }
        _ = try receiving.finish()
        try await database.blobArrived(want.sha256)
        logger.info(
            "blob fetched",
            metadata: ["sha256": "\(want.sha256)", "case": "\(want.caseNumber)", "from": "\(source)", "bytes": "\(want.size)"]
        )
        return true
    }
}

/// The wants the workers hold, so two never fetch the same blob.
final class Claims: Sendable {
    let held = Mutex<Set<String>>([])
}

extension BlobFetcher: CustomStringConvertible {
    public var description: String { "BlobFetcher(node: \(database.node), workers: \(settings.concurrency))" }
}
