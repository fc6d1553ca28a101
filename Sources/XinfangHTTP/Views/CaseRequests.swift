import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import XinfangCore
import XinfangService
import XinfangStore

/// What the API's controllers and the dashboard's share in reading a request and carrying out a
/// case action: the filters of a case list, the supervision scope and period, the case a reader
/// may see, and one action through the application layer. No controller calls another: each
/// calls these.
enum CaseRequests {
    /// The filters of a case list (`GET /api/v1/cases`, its CSV export and the dashboard's list), checked.
    /// Every list of cases is read within the reader's `scope`, so none can forget it.
    static func caseQuery(_ request: Request, scope: CaseScope, services: NodeServices) throws -> CaseQuery {
        let q = request.uri.queryParameters
        var query = CaseQuery()
        query.scope = scope
        do {
            try boardFilters(q, into: &query, services: services)
            if let raw = q["status"].map(String.init), !raw.isEmpty {
                query.statuses = try raw.split(separator: ",").map { s throws(ValidationFailure) in
                    try CaseAction.enumValue(String(s), field: "status")
                }
            }
            if let raw = q["holder"].map(String.init) { query.holder = try NodeID.validated(raw, field: "holder") }
            query.overdue = try flag(q, "overdue")
            query.skipLevel = try flag(q, "skipLevel")
            if let raw = q["region"].map(String.init) { query.region = try RegionCode.validated(raw, field: "region") }
            if let raw = q["category"].map(String.init), !raw.isEmpty {
                guard raw.count <= 50 else { throw ValidationFailure.tooLong("category", max: 50) }
                query.category = raw
            }
            if let raw = q["q"].map(String.init), !raw.isEmpty {
                guard raw.count <= CaseQuery.textLengthMax else { throw ValidationFailure.tooLong("q", max: CaseQuery.textLengthMax) }
                query.text = raw
            }
            if let raw = q["limit"].map(String.init) {
                guard let n = Int(raw), (1...CaseQuery.limitMax).contains(n) else {
                    throw ValidationFailure.invalid("limit", "limit 必须是 1 到 \(CaseQuery.limitMax) 之间的整数。")
                }
                query.limit = n
            }
            if let raw = q["cursor"].map(String.init) {
                guard let cursor = CaseCursor(encoded: raw), cursor.sort == query.sort else {
                    throw ValidationFailure(code: "invalid-cursor", field: "cursor", detail: "分页游标无效，请使用上一页返回的 nextCursor。")
                }
                query.after = cursor
            }
        } catch let failure as ValidationFailure {
            throw APIProblem(failure)
        }
        return query
    }

    static func flag(_ q: FlatDictionary<Substring, Substring>, _ name: String) throws(ValidationFailure) -> Bool? {
        guard let raw = q[name[...]].map(String.init) else { return nil }
        guard raw == "true" || raw == "false" else { throw ValidationFailure.invalid(name, "\(name) 只能是 true 或 false。") }
        return raw == "true"
    }

    /// The supervision board's filters and the order: what the figures of the board link to.
    static func boardFilters(_ q: FlatDictionary<Substring, Substring>, into query: inout CaseQuery, services: NodeServices) throws(ValidationFailure)
    {
        func days(_ name: String) throws(ValidationFailure) -> Int? {
            guard let raw = q[name[...]].map(String.init) else { return nil }
            guard let n = Int(raw), (0...CaseQuery.ageMax).contains(n) else {
                throw ValidationFailure.invalid(name, "\(name) 必须是 0 到 \(CaseQuery.ageMax) 之间的整数（天）。")
            }
            return n
        }
        func day(_ name: String) throws(ValidationFailure) -> CivilDate? {
            guard let raw = q[name[...]].map(String.init) else { return nil }
            guard let date = CivilDate(iso: raw) else { throw .invalid(name, "\(name) 必须是 YYYY-MM-DD 格式的日期。") }
            return date
        }
        query.open = try flag(q, "open")
        query.awaitingClosureReport = try flag(q, "awaitingReport")
        query.awaitingFeedback = try flag(q, "awaitingFeedback")
        query.feedbackOverdue = try flag(q, "feedbackOverdue")
        query.ageFrom = try days("ageFrom")
        query.ageTo = try days("ageTo")
        if let from = query.ageFrom, let to = query.ageTo, from > to { throw .invalid("ageTo", "ageTo 不能小于 ageFrom。") }
        query.receivedFrom = try day("receivedFrom")
        query.receivedTo = try day("receivedTo")
        if let from = query.receivedFrom, let to = query.receivedTo, to < from {
            throw .invalid("receivedTo", "receivedTo 不能早于 receivedFrom。")
        }
        if let raw = q["light"].map(String.init) {
            query.light = try CaseAction.enumValue(raw, field: "light")
            query.lights = services.lights(now: services.clock.now())
        }
        if let raw = q["within"].map(String.init) {
            query.holders = Set(try SupervisionScope(services: services, node: try NodeID.validated(raw, field: "within")).nodes)
        }
        if let raw = q["unit"].map(String.init) { query.unit = try NodeID.validated(raw, field: "unit") }
        if let raw = q["sort"].map(String.init) { query.sort = try CaseAction.enumValue(raw, field: "sort") }
        if let raw = q["order"].map(String.init) {
            guard raw == "asc" || raw == "desc" else { throw .invalid("order", "order 只能是 asc 或 desc。") }
            query.reversed = (raw == "desc") != query.sort.descendingByDefault
        }
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

extension NodeServices {
    /// The case if the principal's scope covers it; 404 as for an unknown number otherwise.
    func scopedCase(_ number: CaseNumber, principal: Principal) async throws -> CaseState {
        guard let state = try await database.caseState(number, in: scope(for: principal)) else {
            throw APIProblem(StoreError.caseNotFound(number))
        }
        return state
    }

    /// What an action request led to: applied here by the holder, or sent to the holder as a command.
    enum ActionOutcome {
        case applied(CaseView)
        case commanded(CommandAccepted)
    }

    /// One action on a case, as the API and the dashboard's forms take it: the application layer
    /// decides and applies; here its outcome becomes a view and its refusals problems.
    func perform(_ input: ActionInput, on number: CaseNumber, principal: Principal) async throws -> ActionOutcome {
        AuditScope.current?.update {
            $0.action = "case.action"
            $0.object = number.rawValue
            $0.detail = String((input.fields.action ?? "").prefix(40))
        }
        let outcome: CaseService.Outcome
        do {
            outcome = try await cases.act(input.fields, on: number, by: principal.caseActor(handledBy: input.actor), scope: scope(for: principal))
        } catch let refusal as PolicyRefusal {
            throw try await problem(refusal, on: number)
        } catch StoreError.refused(let refusal) {
            // Every refusal names the state the case is in, whatever rule refused it.
            var problem = APIProblem(refusal)
            if problem.extra["state"] == nil, let current = try await database.caseState(number) {
                problem.extra["state"] = current.status.rawValue
                problem.detail += "（当前状态：\(current.status.rawValue) \(current.status.label)）"
            }
            throw problem
        } catch let error as LifecycleError {
            throw APIProblem(error)
        } catch let error as ValidationFailure {
            throw APIProblem(error)
        } catch let error as StoreError {
            throw APIProblem(error)
        }
        switch outcome {
        case .applied(let state):
            return .applied(try await CaseView(state: state, services: self, now: clock.now()))
        case .commanded(let command, let holder, let nextHop):
            let name = database.hierarchy?.topology.node(holder)?.name ?? holder.rawValue
            return .commanded(CommandAccepted(command, holder: holder, nextHop: nextHop, detail: "已作为指令发往办理机关 \(name)，由其执行后生效。"))
        }
    }

    /// A policy refusal as a problem; a command the asker may not send names the case's state and holder.
    func problem(_ refusal: PolicyRefusal, on number: CaseNumber) async throws -> APIProblem {
        var problem = APIProblem(refusal)
        switch refusal.reason {
        case .holderOnly, .notAnAncestor, .notTheParent, .notTheReviewer, .signedByAnother, .notACommand:
            if refusal.field == "action" || refusal.reason == .signedByAnother, let state = try await database.caseState(number) {
                problem.extra["state"] = state.status.rawValue
                problem.extra["holder"] = state.holder.rawValue
            }
        default: break
        }
        return problem
    }

    /// Any refusal of a change to a case as a problem document (an upload's type and size, a
    /// policy, the lifecycle, the store); anything else is rethrown.
    func problem(_ error: any Error, on number: CaseNumber) async throws -> APIProblem {
        switch error {
        case let problem as APIProblem: return problem
        case let failure as ValidationFailure:
            var problem = APIProblem(failure)
            if failure.code == "unsupported-media-type" || failure.code == "file-type-mismatch" { problem.status = .unsupportedMediaType }
            if failure.code == "hash-mismatch" { problem.status = .unprocessableContent }
            return problem
        case let refusal as PolicyRefusal: return try await problem(refusal, on: number)
        case let failure as LifecycleError: return APIProblem(failure)
        case StoreError.refused(let refusal): return APIProblem(refusal)
        case let error as StoreError: return APIProblem(error)
        case BlobStore.Failure.tooLarge(let limit):
            return APIProblem(.contentTooLarge, code: "file-too-large", detail: "文件超过 \(limit / (1 << 20)) MB 的上限（单个文件或该件材料合计）。")
        default: throw error
        }
    }
}
