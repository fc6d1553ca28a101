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
        let scope = try Self.scope(request, services)
        return try APIJSON.response(try await BacklogReport(scope: scope, database: services.database, now: services.clock.now()))
    }

    /// `GET /api/v1/stats?from=YYYY-MM-DD&to=YYYY-MM-DD&node=`: the indicators of a subtree for a
    /// period (both days included); by default from the first of the current year to today.
    @Sendable func stats(request: Request, context: Context) async throws -> Response {
        _ = try context.require(.readSupervision)
        let scope = try Self.scope(request, services)
        let now = services.clock.now()
        let (from, to) = try Self.period(request, today: services.database.calendar.civilDate(of: now))
        return try APIJSON.response(try await StatsReport(scope: scope, database: services.database, from: from, to: to, now: now))
    }

    static func scope(_ request: Request, _ services: NodeServices) throws -> SupervisionScope {
        do throws(ValidationFailure) {
            var node: NodeID?
            if let raw = request.uri.queryParameters["node"] { node = try NodeID.validated(String(raw), field: "node") }
            return try SupervisionScope(services: services, node: node)
        } catch { throw APIProblem(error) }
    }

    /// The `from` and `to` days of a request, checked: valid dates, in order, at most `periodDaysMax` apart.
    static func period(_ request: Request, today: CivilDate) throws -> (CivilDate, CivilDate) {
        let q = request.uri.queryParameters
        func day(_ name: String, default value: CivilDate) throws(ValidationFailure) -> CivilDate {
            guard let raw = q[name[...]].map(String.init) else { return value }
            guard let date = CivilDate(iso: raw) else { throw .invalid(name, "\(name) 必须是 YYYY-MM-DD 格式的日期。") }
            return date
        }
        do {
            let from = try day("from", default: CivilDate(year: today.year, month: 1, day: 1) ?? today)
            let to = try day("to", default: today)
            guard from <= to else { throw ValidationFailure.invalid("to", "to 不能早于 from。") }
            guard to.daysSinceEpoch - from.daysSinceEpoch < StatsReport.periodDaysMax else {
                throw ValidationFailure.invalid("to", "统计期间最长 \(StatsReport.periodDaysMax) 天。")
            }
            return (from, to)
        } catch let failure as ValidationFailure { throw APIProblem(failure) }
    }
}
