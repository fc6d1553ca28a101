import Dispatch
public import Logging
public import ServiceLifecycle
import Synchronization
public import UnixSignals

#if canImport(Glibc)
import Glibc
#endif

/// How a node stops on SIGTERM or SIGINT, within a bound whatever is left running.
///
/// The node's services stop gracefully in reverse order: the HTTP server first (it stops
/// accepting, finishes the requests under way and closes its connections), then the background
/// work (each loop ends at its next step). After `graceSeconds` whatever still runs is named in the
/// log and cancelled a second later (`ShutdownWatchdog.cancelAfterWarningSeconds`), and
/// `forceSeconds` after the grace the process exits (status 1) whatever is left, logging what did
/// not stop. A node must stop within systemd's `TimeoutStopSec` (30 s in `deploy/xinfang@.service`)
/// without being killed, and a demo or test that stops its nodes must never wait for ever.
/// Exiting mid-transaction is safe: SQLite's WAL and PostgreSQL roll back what was not committed
/// (the kill -9 tests), and the data folder's lock is the kernel's (`flock`).
public struct ShutdownLimits: Codable, Sendable, Equatable {
    /// The longest the services may take to stop gracefully before they are cancelled.
    public var graceSeconds: Int
    /// After the cancellation, the longest before the process exits regardless.
    public var forceSeconds: Int

    public init(graceSeconds: Int = 15, forceSeconds: Int = 5) {
        self.graceSeconds = graceSeconds
        self.forceSeconds = forceSeconds
    }

    public init(from decoder: any Decoder) throws {
        let defaults = ShutdownLimits()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        graceSeconds = try c.decodeIfPresent(Int.self, forKey: .graceSeconds) ?? defaults.graceSeconds
        forceSeconds = try c.decodeIfPresent(Int.self, forKey: .forceSeconds) ?? defaults.forceSeconds
    }

    /// What is wrong with these limits (the field and why), or nil.
    public var problem: (field: String, detail: String)? {
        if !(1...600).contains(graceSeconds) { return ("shutdown.graceSeconds", "between 1 and 600 seconds") }
        // More than the second between the warning and the cancellation.
        if !(2...60).contains(forceSeconds) { return ("shutdown.forceSeconds", "between 2 and 60 seconds") }
        return nil
    }
}

/// The services of a process that are running, by description, in the order they were tracked
/// (the order of the service group, which stops them in reverse): what a shutdown that overruns
/// names.
public final class RunningServices: Sendable {
    /// Each running service's place in the tracking order, and its name.
    private let state = Mutex<(tracked: Int, running: [(place: Int, name: String)])>((0, []))

    public init() {}

    /// The descriptions of the services running now, in the order they were tracked.
    public var names: [String] { state.withLock { $0.running.sorted { $0.place < $1.place }.map(\.name) } }

    /// `service` run so that it is counted while it runs, under `name` (its description when nil),
    /// after the services tracked before it.
    public func tracking(_ service: any Service, as name: String? = nil) -> any Service {
        let place = state.withLock { s -> Int in
            defer { s.tracked += 1 }
            return s.tracked
        }
        return Tracked(service: service, name: name ?? "\(service)", place: place, registry: self)
    }

    func started(_ place: Int, _ name: String) { state.withLock { $0.running.append((place, name)) } }

    func finished(_ place: Int) { state.withLock { $0.running.removeAll { $0.place == place } } }

    struct Tracked: Service, CustomStringConvertible {
        let service: any Service
        let name: String
        let place: Int
        let registry: RunningServices
        var description: String { name }

        func run() async throws {
            registry.started(place, name)
            defer { registry.finished(place) }
            try await service.run()
        }
    }
}

/// Bounds a shutdown that has begun (`ShutdownLimits`): after the grace it logs what still runs
/// (the service group cancels it `cancelAfterWarningSeconds` later, `maximumGracefulShutdownDuration`); after
/// the force period it logs again and ends the process. Its timers run on a dispatch queue of its
/// own, so a shutdown stuck on Swift's cooperative threads still ends.
public final class ShutdownWatchdog: Sendable {
    /// How long after the watchdog's warning the service group cancels what still runs.
    public static let cancelAfterWarningSeconds = 1

    /// Runs `work` after `seconds`.
    public typealias Schedule = @Sendable (_ seconds: Int, _ work: @escaping @Sendable () -> Void) -> Void

    let limits: ShutdownLimits
    let running: RunningServices
    let connections: @Sendable () -> Int
    let logger: Logger
    let exit: @Sendable (Int32) -> Void
    let schedule: Schedule
    private let state = Mutex<(begun: Bool, finished: Bool)>((false, false))

    /// `connections` counts the client connections still open; `exit` ends the process (by
    /// default `_exit`, which runs no exit handlers while other threads may still hold locks);
    /// `schedule` runs the timers (a dispatch queue of the watchdog's own by default).
    public init(
        limits: ShutdownLimits,
        running: RunningServices,
        connections: @escaping @Sendable () -> Int = { 0 },
        logger: Logger,
        exit: @escaping @Sendable (Int32) -> Void = ShutdownWatchdog.exitProcess,
        schedule: @escaping Schedule = ShutdownWatchdog.dispatchSchedule()
    ) {
        self.limits = limits
        self.running = running
        self.connections = connections
        self.logger = logger
        self.exit = exit
        self.schedule = schedule
    }

    /// Timers on a serial dispatch queue of their own, off Swift's cooperative threads.
    public static func dispatchSchedule() -> Schedule {
        let queue = DispatchQueue(label: "xinfang.shutdown-watchdog")
        return { seconds, work in queue.asyncAfter(deadline: .now() + .seconds(seconds), execute: work) }
    }

    @Sendable public static func exitProcess(_ status: Int32) {
        fflush(nil)
        _exit(status)
    }

    /// The shutdown has begun: the limits count from now (once; later calls do nothing).
    public func begin() {
        let first = state.withLock { s -> Bool in
            defer { s.begun = true }
            return !s.begun
        }
        guard first else { return }
        schedule(limits.graceSeconds) { [self] in
            guard !isFinished else { return }
            logger.warning(
                "Shutdown is taking longer than \(limits.graceSeconds) s: cancelling what still runs",
                metadata: metadata
            )
            schedule(limits.forceSeconds) { [self] in
                guard !isFinished else { return }
                logger.error(
                    "Shutdown did not finish \(limits.forceSeconds) s after the cancellation: exiting with what still runs",
                    metadata: metadata
                )
                exit(1)
            }
        }
    }

    /// The services have all stopped: nothing more to bound.
    public func finished() { state.withLock { $0.finished = true } }

    private var isFinished: Bool { state.withLock { $0.finished } }

    /// What the shutdown waits for: the group stops its services in the reverse of their order,
    /// so the last still running is the one it waits for, and the others wait their turn.
    private var metadata: Logger.Metadata {
        let names = running.names
        return [
            "waitingFor": .string(names.last ?? "nothing tracked"),
            "notYetStopped": .string(names.dropLast().joined(separator: ", ")),
            "connections": "\(connections())",
        ]
    }

    /// A service that starts the watchdog when the group's graceful shutdown begins (or the group
    /// is cancelled). Last in the group, so the group asks it first and moves on at once.
    public var trigger: any Service { Trigger(watchdog: self) }

    struct Trigger: Service, CustomStringConvertible {
        let watchdog: ShutdownWatchdog
        var description: String { "ShutdownWatchdog" }

        func run() async {
            try? await gracefulShutdown()
            watchdog.begin()
        }
    }
}

extension ServiceGroup {
    /// The group a node process runs: `services` in the order they start (and the reverse of the
    /// order they stop), stopping gracefully on `signals` within `watchdog`'s limits.
    public static func node(
        _ services: [any Service],
        watchdog: ShutdownWatchdog,
        logger: Logger,
        signals: [UnixSignal] = [.sigterm, .sigint]
    ) -> ServiceGroup {
        var configuration = ServiceGroupConfiguration(
            services: (services + [watchdog.trigger]).map { .init(service: $0) },
            gracefulShutdownSignals: signals,
            logger: logger
        )
        // The group's clock and the watchdog's start together; cancelling a moment after the
        // watchdog's warning keeps the log's order (with the same delay, a cancellation that won
        // ended the process before the warning was written).
        configuration.maximumGracefulShutdownDuration = .seconds(watchdog.limits.graceSeconds + ShutdownWatchdog.cancelAfterWarningSeconds)
        return ServiceGroup(configuration: configuration)
    }
}
