public import Logging
public import ServiceLifecycle
import Synchronization
public import XinfangStore

/// Runs a node's background work (the sync dispatcher, the case file's fetcher, the
/// reconciliation job, the notification sender) on the one server of the node that holds its
/// lease (`NodeLeadership`), when the node runs two or more servers over one database.
///
/// A server that does not lead tries the lease every `checkSeconds`; the leader confirms its
/// session as often, and stops its work when it cannot (another server may hold the lease by
/// then). A new leader waits two checks before it starts, so that a leader cut off from the
/// database has stopped. So a leader killed hands over within about three checks after the
/// database notices its session gone: at once for a process that died, and by TCP keepalive for a
/// machine cut off.
/// The work starts afresh on the new leader: the dispatcher requeues what was in flight and greets
/// every neighbour anew, whose receipts make a packet sent twice harmless.
///
/// Every server announces the commits that queued work, and the leader's dispatcher wakes on them
/// as on its own (`OutboxSignal`).
public struct LeaderService: Service {
    let leadership: any NodeLeadership
    let signal: OutboxSignal
    let work: [any Service]
    let checkSeconds: Double
    let logger: Logger

    /// How often a server tries the lease, and the leader confirms it.
    public static let checkSeconds = 1.0

    public init(
        leadership: any NodeLeadership,
        signal: OutboxSignal,
        work: [any Service],
        checkSeconds: Double = LeaderService.checkSeconds,
        logger: Logger
    ) {
        self.leadership = leadership
        self.signal = signal
        self.work = work
        self.checkSeconds = checkSeconds
        self.logger = logger
    }

    /// Whether the server is stopping, and the wait between attempts (which a stop ends).
    final class Term: Sendable {
        let stopping = Atomic<Bool>(false)
        let pause = Wakeup()

        func stop() {
            stopping.store(true, ordering: .sequentiallyConsistent)
            pause.stop()
        }

        /// Stopping: a graceful shutdown, or the task cancelled (the group cancelling its services).
        var isStopping: Bool { stopping.load(ordering: .sequentiallyConsistent) || Task.isCancelled }
    }

    public func run() async throws {
        let leadership = leadership
        signal.subscribe { leadership.announce() }
        let term = Term()
        await withGracefulShutdownHandler {
            var failing: String?
            while !term.isStopping {
                do {
                    if try await leadership.tryAcquire() { await lead(term) }
                    failing = nil
                } catch {
                    // Said once, not at every attempt, until an attempt succeeds again.
                    if failing != "\(error)" { logger.warning("Cannot reach the database for the node's lease: \(error)") }
                    failing = "\(error)"
                }
                // A pause also after the work ended, so work that fails at once is not restarted at once.
                if !term.isStopping { await term.pause.wait(upTo: checkSeconds) }
            }
            await leadership.release()
        } onGracefulShutdown: {
            term.stop()
        }
    }

    enum Ended { case work, other }

    /// Runs the work until the lease is lost or the server stops.
    func lead(_ term: Term) async {
        // A leader that lost the lease without dying (cut off from the database) stops its work at
        // its next check: this server waits as long before it starts, so the two rarely overlap
        // (and when they do, a packet sent twice is received once).
        await term.pause.wait(upTo: 2 * checkSeconds)
        guard !term.isStopping, await leadership.confirm(within: max(checkSeconds, 1)) else { return }
        logger.notice("This server now runs the node's background work (it holds the node's lease)")
        let group = ServiceGroup(configuration: .init(services: work, logger: logger))
        let (leadership, signal, checkSeconds, logger) = (leadership, signal, checkSeconds, logger)
        await withTaskGroup(of: Ended.self) { tasks in
            tasks.addTask {
                do { try await group.run() } catch { logger.error("The node's background work stopped: \(error)") }
                return .work
            }
            tasks.addTask {
                try? await leadership.followAnnouncements { signal.notify() }
                return .other
            }
            tasks.addTask {
                // Confirms the lease at every check; a stop or a lost lease ends the work gracefully.
                while !term.isStopping {
                    await term.pause.wait(upTo: checkSeconds)
                    if term.isStopping { break }
                    if await !leadership.confirm(within: max(checkSeconds, 1)) {
                        logger.warning("This server lost the node's lease: its background work stops, another server takes it over")
                        break
                    }
                }
                await group.triggerGracefulShutdown()
                return .other
            }
            // Until the work has ended; the announcements and the checks end with it.
            while let ended = await tasks.next(), ended != .work {}
            tasks.cancelAll()
        }
    }
}

extension LeaderService: CustomStringConvertible {
    public var description: String { "LeaderService(work: [\(work.map { "\($0)" }.joined(separator: ", "))])" }
}
