public import Hummingbird
public import Logging
public import ServiceLifecycle
import XinfangCore
import XinfangStore
public import XinfangSync

/// The request context of a node: the basic context with the API's body limit, the client's
/// address and, once authenticated, the principal.
public struct NodeRequestContext: NodeContext {
    public var coreContext: CoreRequestContextStorage
    public var principal: Principal?
    public var remoteAddress: String
    public let socketAddress: String
    public var https = false
    public let accessRecord = AccessRecord()
    public init(source: Source) {
        coreContext = .init(source: source)
        socketAddress = source.channel.remoteAddress?.ipAddress ?? "local"
        remoteAddress = socketAddress
    }
    public var maxUploadSize: Int { APILimits.bodyBytesMax }
}

/// Builds a node's HTTP surface.
public enum NodeApplication {
    /// The router with every route of the node: operations and the user API.
    public static func router(services: NodeServices, transport: any PacketTransport = HTTPPacketTransport()) -> Router<NodeRequestContext> {
        let router = Router(context: NodeRequestContext.self)
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: AccessLogMiddleware())
        router.add(middleware: SecurityHeadersMiddleware())
        let problems = ProblemMiddleware<NodeRequestContext>(nodeName: services.identity.name)
        router.add(middleware: problems)
        router.add(middleware: AuthMiddleware(services: services))
        SessionController(services: services).addRoutes(to: router)
        EnrolmentController(services: services).addRoutes(to: router)
        UserController(services: services).addRoutes(to: router.group("api/v1"))
        HealthController(services: services).addRoutes(to: router)
        CaseController(services: services).addRoutes(to: router.group("api/v1"))
        AttachmentController(services: services).addRoutes(to: router.group("api/v1"))
        NoticeController(services: services).addRoutes(to: router.group("api/v1"))
        SupervisionController(services: services).addRoutes(to: router.group("api/v1"))
        ExportController(services: services).addRoutes(to: router.group("api/v1"))
        DashboardController(services: services).addRoutes(to: router)
        CaseFileDashboardController(services: services).addRoutes(to: router)
        LookupController(services: services).addRoutes(to: router)
        NotificationController(services: services).addRoutes(to: router.group("api/v1"))
        IntakeController(services: services).addRoutes(to: router.group("api/v1"))
        DeliveryReportController(services: services).addRoutes(to: router)
        FlagController(services: services, reconciliation: reconciliation(services, transport: transport, logger: Logger(label: "xinfang.reconcile")))
            .addRoutes(to: router.group("api/v1"))
        PeerController(services: services).addRoutes(to: router)
        problems.methods.fill(from: router)
        return router
    }

    /// The reconciliation job of this node.
    public static func reconciliation(_ services: NodeServices, transport: any PacketTransport, logger: Logger) -> ReconciliationService {
        ReconciliationService(
            database: services.database,
            transport: transport,
            clock: services.clock,
            limits: services.reconciliation,
            logger: logger
        )
    }

    /// The notification outbox's sender, when the node sends notifications.
    static func notificationSender(_ services: NodeServices, logger: Logger) -> [any Service] {
        guard let settings = services.notifications else { return [] }
        let me = services.identity.id
        return [
            NotificationSender(database: services.database, clock: services.clock, settings: settings, logger: logger) { now in
                let counts = try await services.database.backlog(now: now, lights: services.lights(now: now))[me] ?? BacklogCounts()
                return (counts.dueSoon, counts.overdue)
            }
        ]
    }

    /// The node's background work: the notification sender, the sync dispatcher and the case
    /// file's fetcher (in a hierarchy), and the reconciliation job. On a node with two or more
    /// servers over one database, only the server that holds the node's lease runs it
    /// (`LeaderService`).
    public static func backgroundWork(_ services: NodeServices, transport: any PacketTransport, logger: Logger) -> [any Service] {
        let database = services.database
        let work: [any Service] =
            notificationSender(services, logger: logger)
            + (database.hierarchy == nil
                ? [reconciliation(services, transport: transport, logger: logger)]
                : [
                    SyncService(database: database, transport: transport, clock: services.clock, logger: logger),
                    BlobFetcher(database: database, transport: transport, clock: services.clock, logger: logger, settings: services.blobTransfer),
                    reconciliation(services, transport: transport, logger: logger),
                ])
        guard let leadership = database.leadership else { return work }
        return [LeaderService(leadership: leadership, signal: database.outboxSignal, work: work, logger: logger)]
    }

    /// The application serving `router` on `host:port`, each connection within `connections`;
    /// `onRunning` receives the bound port. With `runsBackgroundWork` false the caller runs
    /// `backgroundWork` itself (`xinfang serve`, whose service group names each service it waits
    /// for when a shutdown overruns).
    public static func application(
        services: NodeServices,
        host: String,
        port: Int,
        logger: Logger,
        transport: any PacketTransport = HTTPPacketTransport(),
        connections: ConnectionLimits = ConnectionLimits(),
        connectionRegistry: ConnectionRegistry? = nil,
        runsBackgroundWork: Bool = true,
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            router: router(services: services, transport: transport),
            server: connections.server(registry: connectionRegistry, exempt: services.trustedProxies),
            configuration: .init(address: .hostname(host, port: port), serverName: "xinfang/\(services.identity.id)"),
            services: runsBackgroundWork ? backgroundWork(services, transport: transport, logger: logger) : [],
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: logger
        )
    }
}
