import Foundation
import HTTPTypes
import Testing
import XinfangCore
import XinfangStore
import XinfangTesting

/// Every class of bad input gets a 4xx problem document with its stable code and field, never a
/// 500, and a refused request changes nothing in the store.
struct BadInputTests {
    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var method: HTTPRequest.Method
        /// `{case}` is replaced by the number of a registered case.
        var path: String
        var body: String?
        var contentType: String = "application/json"
        var extraHeader: (String, String)? = nil
        var status: Int
        var code: String
        var field: String?

        var testDescription: String { name }
    }

    static let valid = Fixtures.registrationJSON(person: 0)

    static func registration(replacing old: String, with new: String) -> String {
        precondition(valid.contains(old), "fixture does not contain \(old)")
        return valid.replacingOccurrences(of: old, with: new)
    }

    static let rows: [Row] = [
        Row(name: "malformed JSON", method: .post, path: "/api/v1/cases", body: "{\"channel\":", status: 400, code: "malformed-json"),
        Row(name: "JSON that is not an object", method: .post, path: "/api/v1/cases", body: "[1,2]", status: 400, code: "malformed-json"),
        Row(name: "empty body", method: .post, path: "/api/v1/cases", body: "", status: 400, code: "malformed-json"),
        Row(
            name: "field of the wrong type",
            method: .post,
            path: "/api/v1/cases",
            body: registration(replacing: "\"channel\":\"visit\"", with: "\"channel\":5"),
            status: 400,
            code: "invalid-field",
            field: "channel"
        ),
        Row(
            name: "unknown channel",
            method: .post,
            path: "/api/v1/cases",
            body: registration(replacing: "\"channel\":\"visit\"", with: "\"channel\":\"fax\""),
            status: 400,
            code: "invalid-field",
            field: "channel"
        ),
        Row(
            name: "missing summary",
            method: .post,
            path: "/api/v1/cases",
            body: registration(replacing: "\"summary\":\"反映拖欠工资\",", with: ""),
            status: 400,
            code: "missing-field",
            field: "summary"
        ),
        Row(
            name: "missing category",
            method: .post,
            path: "/api/v1/cases",
            body: registration(replacing: "\"category\":{\"level1\":\"劳动和社会保障\",\"level2\":\"劳动关系\",\"level3\":\"拖欠农民工工资\"},", with: ""),
            status: 400,
            code: "missing-field",
            field: "category"
        ),
        Row(
            name: "ID number with a bad check digit",
            method: .post,
            path: "/api/v1/cases",
            body: registration(
                replacing: Fixtures.idNumber(),
                with: String(Fixtures.idNumber().dropLast()) + (Fixtures.idNumber().hasSuffix("1") ? "2" : "1")
            ),
            status: 400,
            code: "invalid-id-number",
            field: "petitioners.0.idNumber"
        ),
        Row(
            name: "malformed region code",
            method: .post,
            path: "/api/v1/cases",
            body: registration(replacing: "\"issueRegion\":\"430102\"", with: "\"issueRegion\":\"43010\""),
            status: 400,
            code: "invalid-region-code",
            field: "issueRegion"
        ),
        Row(
            name: "malformed date",
            method: .post,
            path: "/api/v1/cases",
            body: registration(replacing: "\"registeredBy\"", with: "\"receivedAt\":\"yesterday\",\"registeredBy\""),
            status: 400,
            code: "invalid-field",
            field: "receivedAt"
        ),
        Row(
            name: "body over the size limit",
            method: .post,
            path: "/api/v1/cases",
            body: registration(replacing: "\"text\":\"", with: "\"text\":\"" + String(repeating: "长", count: 100_000)),
            status: 413,
            code: "body-too-large"
        ),
        Row(
            name: "not JSON content type",
            method: .post,
            path: "/api/v1/cases",
            body: valid,
            contentType: "text/plain",
            status: 415,
            code: "unsupported-media-type"
        ),
        Row(
            name: "bad idempotency key",
            method: .post,
            path: "/api/v1/cases",
            body: valid,
            extraHeader: ("Idempotency-Key", String(repeating: "k", count: 101)),
            status: 400,
            code: "invalid-idempotency-key",
            field: "Idempotency-Key"
        ),
        Row(
            name: "unknown action",
            method: .post,
            path: "/api/v1/cases/{case}/actions",
            body: "{\"action\":\"fly\",\"actor\":\"周敏\"}",
            status: 400,
            code: "unknown-action",
            field: "action"
        ),
        Row(
            name: "missing action",
            method: .post,
            path: "/api/v1/cases/{case}/actions",
            body: "{\"actor\":\"周敏\"}",
            status: 400,
            code: "missing-field",
            field: "action"
        ),
        Row(
            name: "unknown field",
            method: .post,
            path: "/api/v1/cases",
            body: Fixtures.registrationJSON().replacingOccurrences(of: "\"urgent\"", with: "\"urgnet\"").replacingOccurrences(
                of: "{\"channel\"",
                with: "{\"urgnet\":true,\"channel\""
            ),
            status: 400,
            code: "unknown-field",
            field: "urgnet"
        ),
        Row(
            name: "unknown field of a petitioner",
            method: .post,
            path: "/api/v1/cases",
            body: Fixtures.registrationJSON().replacingOccurrences(of: "\"isLead\":true", with: "\"isLead\":true,\"nickname\":\"x\""),
            status: 400,
            code: "unknown-field",
            field: "petitioners.0.nickname"
        ),
        Row(
            name: "a member given as null (omit it instead)",
            method: .post,
            path: "/api/v1/cases",
            body: Fixtures.registrationJSON().replacingOccurrences(of: "{\"channel\"", with: "{\"collective\":null,\"channel\""),
            status: 400,
            code: "invalid-field",
            field: "collective"
        ),
        Row(
            name: "a member given twice (the first would win silently)",
            method: .post,
            path: "/api/v1/cases/{case}/actions",
            body: #"{"action":"comment","text":"备注","action":"close","actor":"周敏"}"#,
            status: 400,
            code: "duplicate-field",
            field: "action"
        ),
        Row(
            name: "a member given twice inside a petitioner",
            method: .post,
            path: "/api/v1/cases",
            body: Fixtures.registrationJSON().replacingOccurrences(of: "\"isLead\":true", with: "\"isLead\":true,\"isLead\":false"),
            status: 400,
            code: "duplicate-field",
            field: "petitioners.0.isLead"
        ),
        Row(
            name: "a number no reader takes, in a member that would be skipped",
            method: .post,
            path: "/api/v1/cases/{case}/actions",
            body: #"{"action":"comment","text":"备注","actor":1e400}"#,
            status: 400,
            code: "malformed-json",
            field: nil
        ),
        Row(
            name: "an escape sequence in a summary",
            method: .post,
            path: "/api/v1/cases",
            body: Fixtures.registrationJSON(summary: "反映拖欠\\u001b[31m工资"),
            status: 400,
            code: "control-character",
            field: "summary"
        ),
        Row(
            name: "a NUL in a comment",
            method: .post,
            path: "/api/v1/cases/{case}/actions",
            body: #"{"action":"comment","text":"备注\u0000隐藏","actor":"周敏"}"#,
            status: 400,
            code: "control-character",
            field: "text"
        ),
        Row(
            name: "a bell in a petitioner's name",
            method: .post,
            path: "/api/v1/cases",
            body: Fixtures.registrationJSON().replacingOccurrences(of: "\"name\":\"张伟\"", with: "\"name\":\"张\\u0007伟\""),
            status: 400,
            code: "control-character",
            field: "petitioners.0.name"
        ),
        Row(
            name: "a right-to-left override in a note",
            method: .post,
            path: "/api/v1/cases/{case}/actions",
            body: #"{"action":"comment","text":"金额\u202E0001","actor":"周敏"}"#,
            status: 400,
            code: "control-character",
            field: "text"
        ),
        Row(
            name: "extension over 30 days",
            method: .post,
            path: "/api/v1/cases/{case}/actions",
            body: "{\"action\":\"extend\",\"days\":31,\"approver\":\"局长\",\"reason\":\"r\",\"actor\":\"周敏\"}",
            status: 400,
            code: "invalid-field",
            field: "days"
        ),
        Row(
            name: "action that needs the hierarchy",
            method: .post,
            path: "/api/v1/cases/{case}/actions",
            body: "{\"action\":\"escalate\",\"actor\":\"周敏\"}",
            status: 422,
            code: "action-needs-hierarchy",
            field: "action"
        ),
        Row(
            name: "offer to an unknown node",
            method: .post,
            path: "/api/v1/cases/{case}/actions",
            body: "{\"action\":\"offer\",\"to\":\"430104\",\"mode\":\"transfer\",\"actor\":\"周敏\"}",
            status: 422,
            code: "unknown-node",
            field: "to"
        ),
        Row(
            name: "illegal transition",
            method: .post,
            path: "/api/v1/cases/{case}/actions",
            body: "{\"action\":\"close\",\"actor\":\"周敏\"}",
            status: 409,
            code: "illegal-transition",
            field: "action"
        ),
        Row(
            name: "malformed action JSON",
            method: .post,
            path: "/api/v1/cases/{case}/actions",
            body: "{action:notify}",
            status: 400,
            code: "malformed-json"
        ),
        Row(
            name: "unknown case",
            method: .post,
            path: "/api/v1/cases/430102-20261102-09999/actions",
            body: "{\"action\":\"notify\",\"actor\":\"周敏\"}",
            status: 404,
            code: "case-not-found"
        ),
        Row(
            name: "malformed case number",
            method: .get,
            path: "/api/v1/cases/not-a-number",
            status: 400,
            code: "invalid-case-number",
            field: "caseNumber"
        ),
        Row(name: "unknown route", method: .get, path: "/api/v1/nothing-here", status: 404, code: "route-not-found"),
        Row(name: "unknown status filter", method: .get, path: "/api/v1/cases?status=lost", status: 400, code: "invalid-field", field: "status"),
        Row(name: "unknown flag kind", method: .get, path: "/api/v1/flags?kind=offerStuck,late", status: 400, code: "invalid-field", field: "kind"),
        Row(name: "flag limit out of range", method: .get, path: "/api/v1/flags?limit=5000", status: 400, code: "invalid-field", field: "limit"),
        Row(
            name: "flag open neither true, false nor all",
            method: .get,
            path: "/api/v1/flags?open=maybe",
            status: 400,
            code: "invalid-field",
            field: "open"
        ),
        Row(name: "flag node malformed", method: .get, path: "/api/v1/flags?node=43", status: 400, code: "invalid-node-id", field: "node"),
        Row(
            name: "takeOver on a standalone node",
            method: .post,
            path: "/api/v1/cases/{case}/actions",
            body: #"{"action":"takeOver","reason":"无响应","actor":"督查员"}"#,
            status: 422,
            code: "action-needs-hierarchy",
            field: "action"
        ),
        Row(
            name: "resolveConflict naming no branch",
            method: .post,
            path: "/api/v1/cases/{case}/actions",
            body: #"{"action":"resolveConflict","decision":"adopt","reason":"采纳","actor":"领导"}"#,
            status: 422,
            code: "action-needs-hierarchy",
            field: "action"
        ),
        Row(name: "limit out of range", method: .get, path: "/api/v1/cases?limit=1000", status: 400, code: "invalid-field", field: "limit"),
        Row(name: "forged cursor", method: .get, path: "/api/v1/cases?cursor=%25%25%25", status: 400, code: "invalid-cursor", field: "cursor"),
        Row(name: "overdue not a boolean", method: .get, path: "/api/v1/cases?overdue=yes", status: 400, code: "invalid-field", field: "overdue"),
        Row(
            name: "region filter malformed",
            method: .get,
            path: "/api/v1/cases?region=abc",
            status: 400,
            code: "invalid-region-code",
            field: "region"
        ),
        Row(name: "backlog node malformed", method: .get, path: "/api/v1/backlog?node=4301", status: 400, code: "invalid-node-id", field: "node"),
        Row(
            name: "backlog of another node",
            method: .get,
            path: "/api/v1/backlog?node=430104",
            status: 404,
            code: "node-not-in-subtree",
            field: "node"
        ),
        Row(name: "stats of another node", method: .get, path: "/api/v1/stats?node=430000", status: 404, code: "node-not-in-subtree", field: "node"),
        Row(name: "stats date malformed", method: .get, path: "/api/v1/stats?from=2026-13-01", status: 400, code: "invalid-field", field: "from"),
        Row(name: "stats date not a date", method: .get, path: "/api/v1/stats?to=yesterday", status: 400, code: "invalid-field", field: "to"),
        Row(
            name: "stats period reversed",
            method: .get,
            path: "/api/v1/stats?from=2026-06-01&to=2026-05-31",
            status: 400,
            code: "invalid-field",
            field: "to"
        ),
        Row(
            name: "stats period too long",
            method: .get,
            path: "/api/v1/stats?from=2000-01-01&to=2026-01-01",
            status: 400,
            code: "invalid-field",
            field: "to"
        ),
    ]

    @Test(arguments: rows)
    func badInputIsRefusedWithItsCodeAndChangesNothing(_ row: Row) async throws {
        let node = try TestNode()
        let number = try await node.database.register(Fixtures.registration(receivedAt: node.clock.now()), actor: "李娜", now: node.clock.now()).state
            .caseNumber
        let before = try await node.database.counts()
        let stateBefore = try await node.database.caseState(number)
        let response = try await node.withAPI { api in
            var headers = HTTPFields()
            headers[.contentType] = row.contentType
            if let (name, value) = row.extraHeader { headers[HTTPField.Name(name)!] = value }
            return try await api.request(
                row.method,
                row.path.replacingOccurrences(of: "{case}", with: number.rawValue),
                body: row.body,
                headers: headers
            )
        }
        #expect(response.status == row.status, "\(row.name): \(response.text.prefix(300))")
        #expect(response.contentType?.hasPrefix("application/problem+json") == true)
        #expect(response["code"] == row.code)
        #expect(response["field"] == row.field)
        #expect(response.json["status"] as? Int == row.status)
        #expect(!(response["detail"] ?? "").isEmpty)
        await #expect(try await node.database.counts() == before, "a refused request writes nothing")
        await #expect(try await node.database.caseState(number) == stateBefore)
    }
}
