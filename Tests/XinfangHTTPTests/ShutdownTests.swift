import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing
import XinfangHTTP

/// A node's shutdown is bounded (`ShutdownLimits`): what ignores the graceful shutdown is
/// cancelled after the grace, and if something ignores that too the process ends after the force
/// period, the log naming what it waited for. A shutdown within the limits ends nothing.
struct ShutdownTests {
    /// Log lines kept for the test to read.
    final class Recorded: Sendable {
        let lines = Mutex<[(level: Logger.Level, message: String, metadata: Logger.Metadata)]>([])

        var logger: Logger { Logger(label: "test.shutdown") { _ in Handler(recorded: self) } }

        struct Handler: LogHandler {
            let recorded: Recorded
            var metadata: Logger.Metadata = [:]
            var logLevel: Logger.Level = .info
            subscript(metadataKey key: String) -> Logger.Metadata.Value? {
                get { metadata[key] }
                set { metadata[key] = newValue }
            }
            func log(event: LogEvent) {
                recorded.lines.withLock { $0.append((event.level, "\(event.message)", event.metadata ?? [:])) }
            }
        }
    }

    /// The watchdog's timers, fired by the test: what it does at each limit does not depend on
    /// how loaded the machine is.
    final class Timers: Sendable {
        let pending = Mutex<[(seconds: Int, work: @Sendable () -> Void)]>([])

        var schedule: ShutdownWatchdog.Schedule { { seconds, work in self.pending.withLock { $0.append((seconds, work)) } } }

        var count: Int { pending.withLock { $0.count } }

        /// Runs the first pending timer; its delay.
        @discardableResult
        func fire() -> Int? {
            guard let timer = pending.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { return nil }
            timer.work()
            return timer.seconds
        }
    }

    /// Ignores a graceful shutdown; ends when cancelled.
    struct Stubborn: Service, CustomStringConvertible {
        var description: String { "Stubborn" }
        func run() async {
            while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(20)) }
        }
    }

    /// Ignores a graceful shutdown and cancellation alike, until the test lets it go.
    final class Deaf: Service, CustomStringConvertible, Sendable {
        let waiting = Mutex<(released: Bool, continuation: CheckedContinuation<Void, Never>?)>((false, nil))
        var description: String { "Deaf" }
        func run() async {
            await withCheckedContinuation { continuation in
                let now = waiting.withLock { w -> Bool in
                    if !w.released { w.continuation = continuation }
                    return w.released
                }
                if now { continuation.resume() }
            }
        }
        func release() {
            waiting.withLock { w in
                w.released = true
                return w.continuation.take()
            }?.resume()
        }
    }

    /// Ends at a graceful shutdown.
    struct Obliging: Service, CustomStringConvertible {
        var description: String { "Obliging" }
        func run() async {
            try? await gracefulShutdown()
        }
    }

    /// The statuses the watchdog ended the "process" with.
    final class Exits: Sendable {
        let list = Mutex<[Int32]>([])
    }

    /// A watchdog whose log, exits and timers the test reads and fires, and the group of
    /// `services` (tracked, under the names given) it bounds.
    struct Rig {
        let recorded = Recorded()
        let exits = Exits()
        let timers = Timers()
        let running = RunningServices()
        let watchdog: ShutdownWatchdog
        let group: ServiceGroup

        init(_ limits: ShutdownLimits, connections: Int = 0, services: [(any Service, String)]) {
            let (exits, running) = (self.exits, self.running)
            watchdog = ShutdownWatchdog(
                limits: limits,
                running: running,
                connections: { connections },
                logger: recorded.logger,
                exit: { status in exits.list.withLock { $0.append(status) } },
                schedule: timers.schedule
            )
            group = ServiceGroup.node(
                services.map { running.tracking($0.0, as: $0.1) },
                watchdog: watchdog,
                logger: recorded.logger,
                signals: []
            )
        }

        var exited: [Int32] { exits.list.withLock { $0 } }
        var lines: [(level: Logger.Level, message: String, metadata: Logger.Metadata)] { recorded.lines.withLock { $0 } }
    }

    /// How long a wait for the group's services may take: in the suite's first minute, when every
    /// test starts at once, a group's two services were not yet running after 60 s (CI at
    /// 5ba4e7c). A wait ends as soon as its condition holds.
    static let patience = 240.0

    static func waitUntil(seconds: Double, _ condition: () -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition(), Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
    }

    @Test func anOverrunningShutdownIsCancelledAfterTheGraceAndEndedAfterTheForcePeriod() async throws {
        let deaf = Deaf()
        let rig = Rig(ShutdownLimits(graceSeconds: 1, forceSeconds: 2), connections: 3, services: [(deaf, "Deaf"), (Stubborn(), "HTTP server")])
        let (group, running, timers) = (rig.group, rig.running, rig.timers)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await Self.waitUntil(seconds: Self.patience) { running.names.count == 2 }
            #expect(running.names == ["Deaf", "HTTP server"])
            #expect(timers.count == 0, "no timer before the shutdown")
            let began = Date()
            await group.triggerGracefulShutdown()
            try await Self.waitUntil(seconds: Self.patience) { timers.count == 1 }

            // At the grace the watchdog names the service the shutdown waits for (the last
            // started), and the others; the process goes on.
            #expect(timers.fire() == 1)
            let warning = rig.lines.first { $0.level == .warning }
            #expect(warning?.message.contains("longer than 1 s") == true, "\(String(describing: warning))")
            #expect(warning?.metadata["waitingFor"] == "HTTP server")
            #expect(warning?.metadata["notYetStopped"] == "Deaf")
            #expect(warning?.metadata["connections"] == "3")
            #expect(rig.exited.isEmpty, "the process is not ended at the grace")

            // The group cancels at the grace too (its own clock): the service that ends when
            // cancelled ends; the deaf one does not.
            try await Self.waitUntil(seconds: Self.patience) { running.names == ["Deaf"] }
            #expect(running.names == ["Deaf"], "the service that ends when cancelled was cancelled")
            #expect(Date().timeIntervalSince(began) >= 0.9, "not before the grace")

            // After the force period the process is ended, naming what it still waited for.
            #expect(timers.fire() == 2)
            #expect(rig.exited == [1])
            let error = rig.lines.first { $0.level == .error }
            #expect(error?.metadata["waitingFor"] == "Deaf", "\(String(describing: error))")
            #expect(timers.count == 0)

            deaf.release()
            try await tasks.waitForAll()
        }
    }

    @Test func aShutdownWithinItsLimitsEndsNothing() async throws {
        let rig = Rig(ShutdownLimits(graceSeconds: 1, forceSeconds: 2), services: [(Obliging(), "Obliging"), (Obliging(), "Obliging")])
        let (group, running, timers, watchdog) = (rig.group, rig.running, rig.timers, rig.watchdog)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await Self.waitUntil(seconds: Self.patience) { running.names.count == 2 }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        watchdog.finished()
        #expect(running.names.isEmpty)
        // The grace's timer comes due after everything stopped: nothing is ended or logged.
        #expect(timers.fire() == 1)
        #expect(timers.count == 0, "no force timer")
        #expect(rig.exited.isEmpty)
        #expect(rig.lines.filter { $0.level >= .warning }.isEmpty)
    }

    /// The running services are named in the order they were tracked (the group's), whichever
    /// began running first; a finished one leaves the list.
    @Test func runningServicesKeepTheGroupsOrder() async throws {
        let running = RunningServices()
        let (first, second) = (Deaf(), Deaf())
        let a = running.tracking(first, as: "A")
        let b = running.tracking(second, as: "B")
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await b.run() }
            try await Self.waitUntil(seconds: Self.patience) { running.names == ["B"] }
            tasks.addTask { try await a.run() }
            try await Self.waitUntil(seconds: Self.patience) { running.names.count == 2 }
            #expect(running.names == ["A", "B"])
            second.release()
            try await Self.waitUntil(seconds: Self.patience) { running.names.count == 1 }
            #expect(running.names == ["A"])
            first.release()
            try await tasks.waitForAll()
        }
        #expect(running.names.isEmpty)
    }

    @Test func limitsOutsideTheirRangesAreNamed() throws {
        #expect(ShutdownLimits().problem == nil)
        #expect(ShutdownLimits(graceSeconds: 0).problem?.field == "shutdown.graceSeconds")
        #expect(ShutdownLimits(graceSeconds: 601).problem?.field == "shutdown.graceSeconds")
        #expect(ShutdownLimits(forceSeconds: 1).problem?.field == "shutdown.forceSeconds", "no longer than the warning's second")
        #expect(ShutdownLimits(forceSeconds: 61).problem?.field == "shutdown.forceSeconds")
        let partial = try JSONDecoder().decode(ShutdownLimits.self, from: Data(#"{"graceSeconds": 40}"#.utf8))
        #expect(partial == ShutdownLimits(graceSeconds: 40, forceSeconds: ShutdownLimits().forceSeconds))
    }
}
