import Foundation
import Hummingbird
import XinfangCore
import XinfangStore

/// The supervision API: the backlog of a subtree and its indicators.
struct SupervisionController<Context: NodeContext>: Sendable {
    let services: NodeServices

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("backlog", use: backlog)
        group.get("stats", use: stats)
    }

    /// `GET /api/v1/backlog?node=`: the open work of this node's subtree, or of the subtree of
    /// `node` below it (the drill-down: province → city → county).
    @Sendable func backlog(request: Request, context: Context) async throws -> Response {
        _ = try context.require(.readSupervision)
        let scope = try CaseRequests.scope(request, services)
        return try APIJSON.response(try await BacklogReport(scope: scope, services: services, now: services.clock.now()))
    }

    /// `GET /api/v1/stats?from=YYYY-MM-DD&to=YYYY-MM-DD&node=`: the indicators of a subtree for a
    /// period (both days included); by default from the first of the current year to today.
    @Sendable func stats(request: Request, context: Context) async throws -> Response {
        _ = try context.require(.readSupervision)
        let scope = try CaseRequests.scope(request, services)
        let now = services.clock.now()
        let (from, to) = try CaseRequests.period(request, today: services.database.calendar.civilDate(of: now))
        return try APIJSON.response(try await StatsReport(scope: scope, database: services.database, from: from, to: to, now: now))
    }

}
