import ArgumentParser
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import XinfangCore
import XinfangHTTP
import XinfangPostgres
import XinfangStore
import XinfangSync

#if canImport(Glibc)
import Glibc
#endif

/// `xinfang serve --config FILE`: runs one node until SIGINT or SIGTERM.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run one node from its configuration file.")

    @Option(name: .long, help: "The node's configuration file (JSON).")
    var config: String

    @Option(
        name: .long,
        help: "host:port to listen on instead of the configuration's listen (a second server of a node on PostgreSQL, on the same machine)."
    )
    var listen: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Option(name: .long, help: "Log format: text (the machine's local time with its offset) or json (one object a line, UTC).")
    var logFormat: String = "text"

    func run() async throws {
        let parent = getppid()
        #if canImport(Glibc)
        // At most two malloc arenas: the case file's 1–4 MiB buffers, freed on many threads, were
        // kept per thread arena, and a node grew by 49 MB while it fetched a 200 MB file (P8);
        // with two, by 28 MB at the same speed (a fixed mmap threshold kept it at 13 MB but halved
        // the speed).
        // (malloc.h is not in Swift's Glibc module: mallopt is looked up; M_ARENA_MAX is -8.)
        if let mallopt = dlsym(nil, "mallopt") {
            _ = unsafeBitCast(mallopt, to: (@convention(c) (Int32, Int32) -> Int32).self)(-8, 2)
        }
        #endif
        guard ["text", "json"].contains(logFormat) else { throw ValidationError("--log-format: text or json") }
        let logger = bootstrapLogging(level: logLevel, label: "xinfang.serve", json: logFormat == "json")
        var (config, base) = try NodeConfig.load(from: URL(fileURLWithPath: config))
        if let listen {
            config.listen = listen
            guard (try? config.listenAddress()) != nil else { throw ValidationError("--listen: expected host:port, got \(listen)") }
        }
        // One serving process per SQLite store, taken before the store opens. A node on PostgreSQL
        // may run two or more servers over its database, sharing the data directory's blobs: the
        // node's lease chooses which runs the background work (`LeaderService`).
        let shutdown = try config.shutdownLimits()
        let lock =
            try config.store?.postgresPlace(base: base) == nil
            ? DataDirectoryLock(directory: NodeConfig.resolve(config.dataDirectory, against: base)) : nil
        defer { lock?.release() }
        let services = try await NodeBootstrap.services(config: config, base: base) { line in logger.notice("\(line)") }
        let (host, port) = try config.listenAddress()
        let calendar = services.database.calendar
        let today = calendar.civilDate(of: Date())
        let coverage: Logger.Metadata = [
            "calendar.name": "\(calendar.name)", "calendar.years": "\(calendar.coveredYears.sorted())",
            "calendar.detail": "\(calendar.coverage(on: today))",
        ]
        if !calendar.covers(year: today.year) {
            logger.warning("Holiday calendar does not cover this year; deadlines move past weekends only", metadata: coverage)
        } else if calendar.provisionalYears.contains(today.year) {
            logger.warning("Holiday calendar is provisional for this year", metadata: coverage)
        } else {
            logger.info("Holiday calendar loaded", metadata: coverage)
        }
        let connections = try config.connectionLimits()
        services.metrics.bootstrapProcessWide()
        let registry = connections.registry(exempt: services.trustedProxies)
        let app = NodeApplication.application(
            services: services,
            host: host,
            port: port,
            logger: logger,
            connections: connections,
            connectionRegistry: registry,
            runsBackgroundWork: false
        ) { bound in
            // One line on standard output that scripts and tests wait for.
            emit("xinfang node \(services.identity.id) listening on http://\(host):\(bound)")
        }
        // The background work beside the application rather than inside it, so that a shutdown
        // which overruns its limits names what it still waits for (`ShutdownWatchdog`).
        let running = RunningServices()
        let watchdog = ShutdownWatchdog(limits: shutdown, running: running, connections: { registry.count }, logger: logger)
        let work = NodeApplication.backgroundWork(services, transport: HTTPPacketTransport(), logger: logger)
        let group = ServiceGroup.node(
            work.map { running.tracking($0) } + [running.tracking(app, as: "HTTP server")],
            watchdog: watchdog,
            logger: logger
        )
        let parentWatch = ParentWatch.startIfAsked(parent: parent)
        defer { parentWatch?.cancel() }
        try await group.run()
        watchdog.finished()
    }
}

/// Opening a node's services from its configuration.
enum NodeBootstrap {
    /// The services of the node whose configuration file is at `path`.
    static func services(configPath path: String) async throws -> NodeServices {
        let (config, base) = try NodeConfig.load(from: URL(fileURLWithPath: path))
        return try await services(config: config, base: base)
    }

    /// The node's store where its configuration says: the SQLite file in its data directory, or a
    /// PostgreSQL database, whose schema is brought to this build's first (`PostgresSchema`).
    static func openStore(
        config: NodeConfig,
        base: URL,
        node: NodeID,
        calendar: DeadlineCalendar,
        hierarchy: Hierarchy?,
        personalData: PersonalDataProtector,
        report: ProgressReport?
    ) async throws -> NodeDatabase {
        let directory = NodeConfig.resolve(config.dataDirectory, against: base)
        guard let place = try config.store?.postgresPlace(base: base) else {
            return try NodeDatabase.open(
                directory: directory,
                node: node,
                calendar: calendar,
                hierarchy: hierarchy,
                personalData: personalData,
                report: report
            )
        }
        let location = location(place)
        _ = try await PostgresStore.withClient(location) { client in try await PostgresSchema.upgrade(client, report: report) }
        return try await NodeDatabase.open(
            server: PostgresTransactions(location),
            node: node,
            calendar: calendar,
            hierarchy: hierarchy,
            personalData: personalData,
            blobDirectory: directory.appendingPathComponent("blobs"),
            report: report
        )
    }

    /// Where postgres-nio finds the database a node's configuration names.
    static func location(_ place: StoreConfig.PostgresPlace) -> PostgresLocation {
        PostgresLocation(
            endpoint: place.socket.map { .socket(path: $0) } ?? .tcp(host: place.host ?? "localhost", port: place.port),
            username: place.username,
            password: place.password,
            database: place.database
        )
    }

    /// The node's services over its store; `report` hears the progress of a schema upgrade.
    static func services(config: NodeConfig, base: URL, report: ProgressReport? = nil) async throws -> NodeServices {
        let identity = try config.identity()
        let policy = try config.policy(base: base)
        // A setting's mistake is named before the store is opened (and its keyring asked for).
        _ = try config.reconciliationLimits()
        _ = try config.securitySettings()
        let database = try await openStore(
            config: config,
            base: base,
            node: identity.id,
            calendar: try config.deadlineCalendar(base: base),
            hierarchy: try config.hierarchy(base: base, identity: identity, policy: policy),
            personalData: try config.personalData(base: base),
            report: report
        )
        return try services(config: config, base: base, database: database)
    }

    /// A SQLite node's store, opened at once (a restore opens the file it stages): refused for a
    /// node whose configuration names a PostgreSQL store.
    static func sqliteStore(config: NodeConfig, base: URL) throws -> NodeDatabase {
        try requireSQLite(config: config, base: base)
        let identity = try config.identity()
        let policy = try config.policy(base: base)
        return try NodeDatabase.open(
            directory: NodeConfig.resolve(config.dataDirectory, against: base),
            node: identity.id,
            calendar: try config.deadlineCalendar(base: base),
            hierarchy: try config.hierarchy(base: base, identity: identity, policy: policy),
            personalData: try config.personalData(base: base)
        )
    }

    /// Refuses a node whose store is PostgreSQL (what follows works on SQLite's file).
    static func requireSQLite(config: NodeConfig, base: URL) throws {
        if try config.store?.postgresPlace(base: base) != nil {
            throw NodeConfig.Problem(description: "this node's store is PostgreSQL, where a SQLite file was expected")
        }
    }

    /// The node's services over `database`, opened where its configuration says.
    static func services(config: NodeConfig, base: URL, database: NodeDatabase) throws -> NodeServices {
        let identity = try config.identity()
        let policy = try config.policy(base: base)
        let limits = try config.reconciliationLimits()
        let security = try config.securitySettings()
        var services = NodeServices(
            identity: identity,
            database: database,
            policy: policy,
            reconciliation: limits,
            security: security,
            metrics: NodeMetrics(token: try config.metricsTokenValue()),
            yellowWorkingDays: try config.yellowWorkingDaysValue()
        )
        services.uploadLimits = try config.uploadLimits()
        services.blobTransfer = try config.blobTransferSettings()
        services.lookupLimits = try config.lookupLimits()
        services.notifications = try config.notificationSettings(base: base)
        services.noticeTemplates = try config.noticeTemplateSet(base: base)
        if let prefix = try config.noticePrefixValue() { services.noticePrefix = prefix }
        return services
    }
}

/// Bootstraps logging once, for the process, and returns the command's logger.
func bootstrapLogging(level: String, label: String, json: Bool = false) -> Logger {
    let parsed = Logger.Level(rawValue: level) ?? .info
    LoggingSystem.bootstrap { label in
        if json { return JSONLogHandler(label: label, level: parsed) }
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = parsed
        return handler
    }
    return Logger(label: label)
}

/// Writes a line to standard output at once (unbuffered), for people and for scripts that wait on it.
func emit(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
