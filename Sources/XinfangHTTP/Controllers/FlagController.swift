import Foundation
import Hummingbird
import XinfangCore
import XinfangStore
import XinfangSync

/// The flags of this node's subtree and the reconciliation job on demand.
struct FlagController<Context: NodeContext>: Sendable {
    let services: NodeServices
    let reconciliation: ReconciliationService

    func addRoutes(to router: RouterGroup<Context>) {
        router.get("flags", use: list)
        router.post("reconcile", use: reconcile)
    }

    /// `GET /api/v1/flags`: open flags (or `open=false` cleared, `open=all` both) of this node and
    /// every node below it, filtered by `kind`, `case` and `node` (that node and its subtree).
    @Sendable func list(request: Request, context: Context) async throws -> Response {
        _ = try context.require(.readSupervision)
        let q = request.uri.queryParameters
        var query = FlagQuery()
        do {
            if let raw = q["kind"].map(String.init), !raw.isEmpty {
                query.kinds = try raw.split(separator: ",").map { k throws(ValidationFailure) in try CaseAction.enumValue(String(k), field: "kind") }
            }
            if let raw = q["case"].map(String.init) { query.caseNumber = try CaseNumber.validated(raw, field: "case") }
            if let raw = q["node"].map(String.init) { query.within = try NodeID.validated(raw, field: "node") }
            if let raw = q["open"].map(String.init) {
                switch raw {
                case "true": query.open = true
                case "false": query.open = false
                case "all": query.open = nil
                default: throw ValidationFailure.invalid("open", "open 只能是 true、false 或 all。")
                }
            }
            if let raw = q["limit"].map(String.init) {
                guard let n = Int(raw), (1...FlagQuery.limitMax).contains(n) else {
                    throw ValidationFailure.invalid("limit", "limit 必须是 1 到 \(FlagQuery.limitMax) 之间的整数。")
                }
                query.limit = n
            }
        } catch let error as ValidationFailure { throw APIProblem(error) }
        let flags = try await services.database.flags(matching: query)
        return try APIJSON.response(FlagListView(items: flags.map(FlagView.init)))
    }

    /// `POST /api/v1/reconcile`: one reconciliation round now (flags, anti-entropy with the parent,
    /// the flag report up); 200 with what it did.
    @Sendable func reconcile(request: Request, context: Context) async throws -> Response {
        _ = try context.require(.readSupervision)
        return try APIJSON.response(try await reconciliation.runOnce())
    }
}

struct FlagListView: Encodable {
    var items: [FlagView]
}

/// A flag as the API shows it: what, which case or link, since when, and what to do.
struct FlagView: Encodable {
    var id: Int64
    var kind: FlagKind
    var label: String
    var subject: String
    var detailKey: String
    var caseNumber: CaseNumber?
    var node: NodeID
    var raisedBy: NodeID
    var since: Date
    var raisedAt: Date
    var clearedAt: Date?
    var detail: String
    var remedy: String

    init(_ stored: StoredFlag) {
        id = stored.id
        kind = stored.flag.kind
        label = stored.flag.kind.label
        subject = stored.flag.subject
        detailKey = stored.flag.detailKey
        caseNumber = stored.flag.caseNumber
        node = stored.flag.node
        raisedBy = stored.flag.raisedBy
        since = stored.flag.since
        raisedAt = stored.raisedAt
        clearedAt = stored.clearedAt
        detail = stored.flag.detail
        remedy = stored.flag.kind.remedy
    }
}
