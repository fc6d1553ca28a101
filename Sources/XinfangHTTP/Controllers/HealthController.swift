import Hummingbird
import XinfangCore
import XinfangStore

/// `GET /healthz` (the process serves) and `GET /readyz` (its store answers).
struct HealthController<Context: NodeContext>: Sendable {
    let services: NodeServices

    struct Health: Encodable {
        var status: String
        var node: NodeID
        var name: String
        var level: Level
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
            _ = try context.requireUser()
            return try APIJSON.response(
                Health(status: "ok", node: services.identity.id, name: services.identity.name, level: services.identity.level)
            )
        }
        router.get("readyz") { _, context in
            _ = try context.requireUser()
            let counts = try await services.database.counts()
            return try APIJSON.response(
                Health(
                    status: "ready",
                    node: services.identity.id,
                    name: services.identity.name,
                    level: services.identity.level,
                    cases: counts.cases,
                    events: counts.events,
                    calendar: CalendarStatus(
                        services.database.calendar,
                        today: services.database.calendar.civilDate(of: services.clock.now())
                    )
                )
            )
        }
    }
}
