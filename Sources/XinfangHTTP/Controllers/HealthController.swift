import Hummingbird
import XinfangCore
import XinfangStore

/// `GET /healthz` (the process serves) and `GET /readyz` (it can do its work: the store answers
/// and is migrated, the topology names its neighbours). Both answer without credentials and then
/// say only their status and checks; a signed-in user also gets the node's identity, counts and
/// calendar (issue 16: a load balancer or systemd probes them with no account).
struct HealthController<Context: NodeContext>: Sendable {
    let services: NodeServices

    struct Health: Encodable {
        var status: String
        var checks: [String: String]?
        var node: NodeID?
        var name: String?
        var level: Level?
        var cases: Int?
        var events: Int?
        var calendar: CalendarStatus?
    }

    /// Which holiday arrangements the deadlines are counted with, and whether they cover today.
    struct CalendarStatus: Encodable {
        var name: String
        var years: [Int]
        var provisionalYears: [Int]
        var coversToday: Bool
        var detail: String

        init(_ calendar: DeadlineCalendar, today: CivilDate) {
            name = calendar.name
            years = calendar.coveredYears.sorted()
            provisionalYears = calendar.provisionalYears.sorted()
            coversToday = calendar.covers(year: today.year)
            detail = calendar.coverage(on: today)
        }
    }

    func addRoutes(to router: Router<Context>) {
        router.get("healthz") { _, context in
            var health = Health(status: "ok")
            if context.principal != nil {
                health.node = services.identity.id
                health.name = services.identity.name
                health.level = services.identity.level
            }
            return try APIJSON.response(health)
        }
        router.get("metrics") { _, _ in
            let text = try await services.metrics.scrape(
                services.database,
                node: services.identity.id,
                now: services.clock.now(),
                lights: services.lights(now: services.clock.now())
            )
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: text))
            )
        }
        router.get("readyz") { _, context in
            let checks = await readiness()
            let ready = checks.values.allSatisfy { $0 == "ok" }
            var health = Health(status: ready ? "ready" : "not-ready", checks: checks)
            if ready, context.principal != nil {
                let counts = try await services.database.counts()
                health.node = services.identity.id
                health.name = services.identity.name
                health.level = services.identity.level
                health.cases = counts.cases
                health.events = counts.events
                health.calendar = CalendarStatus(services.database.calendar, today: services.database.calendar.civilDate(of: services.clock.now()))
            }
            return try APIJSON.response(health, status: ready ? .ok : .serviceUnavailable)
        }
    }

    /// Each check's result: "ok", or what is wrong (never data).
    func readiness() async -> [String: String] {
        var checks: [String: String] = [:]
        do {
            checks["store"] = try await services.database.isMigrated() ? "ok" : "migrations pending"
        } catch {
            checks["store"] = "unreadable"
        }
        // Loaded: a calendar that does not cover this year still counts weekends (the log and the
        // signed-in answer say so); it does not take the node out of service.
        checks["calendar"] = services.database.calendar.coveredYears.isEmpty ? "no holiday year loaded" : "ok"
        if let hierarchy = services.database.hierarchy {
            let me = services.identity.id
            let known = hierarchy.topology.parent(of: me) != nil || !hierarchy.topology.children(of: me).isEmpty
            checks["peers"] = known ? "ok" : "no neighbour in the topology"
        }
        return checks
    }
}
