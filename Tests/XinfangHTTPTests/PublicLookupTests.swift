import Foundation
import HTTPTypes
import Testing
import XinfangCore
import XinfangHTTP
import XinfangStore
import XinfangTesting

/// The petitioner's 查询码 and public lookup (issue 18): issued at registration, shown only the
/// public milestones, never served for 检举控告, confidential or anonymous cases, locked after
/// wrong tries, reissued (the old code stops), and the petitioner's own evaluation.
struct PublicLookupTests {
    static let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    static func encoded(_ values: [String: String]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.remove(charactersIn: "+&=")
        return values.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&")
    }

    static func lookUp(_ api: APIClient, code: String, last4: String) async throws -> APIResponse {
        try await api.with(token: nil).request(.post, "/lookup", body: encoded(["code": code, "last4": last4]), headers: form)
    }

    /// Every `data-field` the page shows.
    static func fields(_ html: String) -> Set<String> {
        var out: Set<String> = []
        var rest = html[...]
        while let r = rest.range(of: "data-field=\"") {
            rest = rest[r.upperBound...]
            guard let end = rest.firstIndex(of: "\"") else { break }
            out.insert(String(rest[..<end]))
        }
        return out
    }

    static let publicFields: Set<String> = [
        "caseNumber", "registeredOn", "handlingOrgan", "stage", "steps.date", "steps.title", "steps.organ", "evaluation.label",
        "evaluation.dueOn", "evaluation.office", "evaluation.unit",
    ]

    /// A case registered with `registrationJSON`'s petitioner (mobile 138…, ID number), its code
    /// in clear (as staff see it) and the mobile's last four digits.
    static func registered(
        _ api: APIClient,
        node: TestNode,
        json: String = Fixtures.registrationJSON()
    ) async throws -> (
        number: String, code: String?, last4: String
    ) {
        let created = try await api.request(.post, "/api/v1/cases", body: json)
        #expect(created.status == 201, "\(created.text)")
        let number = try #require(created["caseNumber"])
        let state = try #require(try await node.database.caseState(CaseNumber(rawValue: number)))
        let code = try state.lookup.map { try node.database.personalData.openLookupCode($0).description }
        let mobile = state.registration.petitioners.first?.masked?.mobile ?? ""
        return (number, code, String(mobile.suffix(4)))
    }

    @Test func thePageShowsExactlyThePublicMilestones() async throws {
        let node = try TestNode()
        try await node.withAPI { api in
            let (number, code, last4) = try await Self.registered(api, node: node)
            let code1 = try #require(code, "a code is issued at registration")
            #expect(LookupCode(typed: code1) != nil)
            #expect(!code1.contains(number) && !number.contains(code1.replacingOccurrences(of: "-", with: "")))
            // The code is shown to staff who read personal data, in the case view.
            #expect(try await api.request(.get, "/api/v1/cases/\(number)?unmask=true")["lookupCode"] == code1)

            #expect(try await api.act(number, ["action": "notify"]).status == 200)
            let notice = try await api.request(.post, "/api/v1/cases/\(number)/notices", body: #"{"kind":"acceptance"}"#)
            #expect(notice.status == 201)
            // The code is printed on the 受理告知书.
            let sha = try #require((notice.json["notice"] as? [String: any Sendable])?["sha256"] as? String)
            #expect(try await api.request(.get, "/api/v1/cases/\(number)/attachments/\(sha)").text.contains("查询码 \(code1)"))
            #expect(try await api.act(number, ["action": "comment", "text": "内部备注：当事人情绪激动"]).status == 200)
            #expect(try await api.act(number, ["action": "reply", "outcome": "supported", "opinion": "经核查，责令某公司支付工资。"]).status == 200)
            #expect(try await api.act(number, ["action": "close", "report": "办结报告"]).status == 200)

            // Typed forgivingly: lower case, no dashes.
            let page = try await Self.lookUp(api, code: code1.lowercased().replacingOccurrences(of: "-", with: ""), last4: last4)
            #expect(page.status == 200, "\(page.text.prefix(400))")
            let html = page.text
            #expect(
                Self.fields(html).subtracting(["evaluation.office", "evaluation.unit"])
                    == Self.publicFields.subtracting(["evaluation.office", "evaluation.unit"])
            )
            #expect(Self.fields(html).isSubset(of: Self.publicFields))
            for shown in [number, "登记", "受理", "出具《信访事项受理告知书》", "出具处理意见（支持）", "办结", "待评价", "提交评价"] {
                #expect(html.contains(shown), "the page shows \(shown)")
            }
            let state = try #require(try await node.database.caseState(CaseNumber(rawValue: number)))
            let revealed = try state.registration.revealed(by: node.database.personalData)
            let secrets = [
                "张伟", "张*", revealed.petitioners[0].mobile!, revealed.petitioners[0].idNumber!, "李娜", "周敏", "内部备注", "经核查", "办结报告",
                "拖欠", "某公司", code1,
            ]
            for secret in secrets { #expect(!html.contains(secret), "the page never shows \(secret)") }
            #expect(!html.contains("<script"), "no script")
            // A wrong second factor and an unknown code find nothing.
            #expect(try await Self.lookUp(api, code: code1, last4: "0000").status == 403)
            #expect(try await Self.lookUp(api, code: "2345-6789-ABC", last4: last4).status == 404)
        }
    }

    @Test func accusationsConfidentialAndAnonymousCasesGetNoCodeAndNoPage() async throws {
        let node = try TestNode()
        try await node.withAPI(as: .handler) { api in
            let accusation = Fixtures.registrationJSON().replacingOccurrences(of: #""purpose":"request""#, with: #""purpose":"accusation""#)
            let confidential = Fixtures.registrationJSON().replacingOccurrences(
                of: #""registeredBy":"李娜""#,
                with: #""registeredBy":"李娜","confidential":true"#
            )
            let anonymous = #"""
                {"channel":"letter","petitioners":[{"name":"匿名","isLead":true}],"purpose":"request",
                 "category":{"level1":"劳动和社会保障","level2":"劳动关系","level3":"拖欠农民工工资"},
                 "issueRegion":"430102","summary":"反映拖欠工资","text":"匿名来信。","registeredBy":"李娜"}
                """#
            for json in [accusation, confidential, anonymous] {
                let (number, code, _) = try await Self.registered(api, node: node, json: json)
                #expect(code == nil, "no code for \(json.prefix(60))")
                let reissue = try await api.request(.post, "/api/v1/cases/\(number)/lookup-code")
                #expect(reissue.status == 409 && reissue["code"] == "case-not-public", "\(reissue.text)")
            }
            // Nor through the actions API, for any case.
            let (number, _, _) = try await Self.registered(api, node: node)
            let forged = try await api.act(
                number,
                [
                    "action": "reissueLookupCode", "lookupDigest": String(repeating: "a", count: 64),
                    "lookupSealed": ["alg": "x", "kid": "k", "box": "AA"],
                ]
            )
            #expect(forged["code"] == "lookup-code-needs-reissue")
        }
    }

    @Test func wrongTriesLockTheCodeAndTheAddressAndEveryLookupIsAudited() async throws {
        var node = try TestNode()
        node.services.lookupLimits = LookupLimits(
            codeFailuresMax: 3,
            addressFailuresMax: 6,
            windowSeconds: 3600,
            lockoutSeconds: 600,
            requestsPerMinute: 1000
        )
        let auditBefore = try await node.database.auditRows(after: 0, limit: 10_000).count
        try await node.withAPI { [node] api in
            let (_, code, last4) = try await Self.registered(api, node: node)
            let code1 = try #require(code)
            #expect(try await Self.lookUp(api, code: code1, last4: "1111").status == 403)
            let second = try await Self.lookUp(api, code: code1, last4: "2222")
            #expect(second.status == 403 && second.text.contains("再输错 1 次"), "\(second.text.prefix(300))")
            let third = try await Self.lookUp(api, code: code1, last4: "3333")
            #expect(third.status == 429 && third.headers[.retryAfter] != nil && third.text.contains("查询已暂停"))
            // Locked: even the right factor is refused until the lockout ends.
            #expect(try await Self.lookUp(api, code: code1, last4: last4).status == 429)
            node.clock.advance(seconds: 601)
            #expect(try await Self.lookUp(api, code: code1, last4: last4).status == 200, "the lockout ends")
            // The address: three more failures (unknown codes, malformed ones) make six in the window.
            #expect(try await Self.lookUp(api, code: "2345-6789-ABC", last4: last4).status == 404)
            #expect(try await Self.lookUp(api, code: "not a code", last4: last4).status == 404)
            #expect(try await Self.lookUp(api, code: "2345-6789-ABD", last4: last4).status == 429)
            #expect(try await Self.lookUp(api, code: code1, last4: last4).status == 429, "the address is locked for every code")
        }
        let rows = try await node.database.auditRows(after: 0, limit: 10_000).dropFirst(auditBefore).filter { $0.entry.action == "lookup" }
        #expect(
            rows.map(\.entry.result) == [
                "failure:second-factor", "failure:second-factor", "failure:second-factor", "failure:locked-code", "success", "failure:not-found",
                "failure:not-found", "failure:not-found", "failure:locked-address",
            ]
        )
        #expect(rows.allSatisfy { !$0.entry.detail.contains("1111") && $0.entry.user == "信访人" })
    }

    @Test func aReissuedCodeReplacesTheOldOne() async throws {
        let node = try TestNode()
        try await node.withAPI(as: .registrar) { api in
            let (number, code, last4) = try await Self.registered(api, node: node)
            let old = try #require(code)
            let reissued = try await api.request(.post, "/api/v1/cases/\(number)/lookup-code")
            #expect(reissued.status == 201, "\(reissued.text)")
            let new = try #require(reissued["lookupCode"])
            #expect(new != old && LookupCode(typed: new) != nil)
            #expect(try await Self.lookUp(api, code: old, last4: last4).status == 404, "the old code stops working")
            #expect(try await Self.lookUp(api, code: new, last4: last4).status == 200)
        }
        try await node.withAPI(as: .auditor) { api in
            let number = try #require(try await node.database.cases(matching: CaseQuery(), now: node.clock.now()).items.first?.caseNumber)
            #expect(try await api.request(.post, "/api/v1/cases/\(number)/lookup-code").status == 403, "an auditor registers nothing")
        }
    }

    @Test func thePetitionerEvaluatesOnceWithinTheWindow() async throws {
        let node = try TestNode()
        try await node.withAPI { api in
            let (number, code, last4) = try await Self.registered(api, node: node)
            let code1 = try #require(code)
            func evaluate(_ office: String?, _ unit: String?) async throws -> APIResponse {
                var values = ["code": code1, "last4": last4]
                values["officeRating"] = office
                values["unitRating"] = unit
                values["comment"] = "办理及时"
                return try await api.with(token: nil).request(.post, "/lookup/evaluate", body: Self.encoded(values), headers: Self.form)
            }
            // Not yet closed: no form, and a post is refused.
            #expect(!(try await Self.lookUp(api, code: code1, last4: last4)).text.contains("提交评价"))
            #expect(try await evaluate("satisfied", "satisfied").text.contains("不能执行"))
            for step in [["action": "notify"], ["action": "reply", "outcome": "explained", "opinion": "解释说明"], ["action": "close"]] {
                #expect(try await api.act(number, step).status == 200)
            }
            // Staff may not pose as the petitioner.
            let posing = try await api.act(number, ["action": "evaluate", "officeRating": "satisfied", "unitRating": "satisfied", "via": "online"])
            #expect(posing["code"] == "online-evaluation-by-petitioner")
            #expect(try await evaluate("satisfied", nil).text.contains("请分别选择"), "both ratings are needed")
            let done = try await evaluate("basicallySatisfied", "dissatisfied")
            #expect(done.status == 200 && done.text.contains("评价已记录"), "\(done.text.prefix(300))")
            #expect(done.text.contains("对责任单位") && done.text.contains("不满意"))
            #expect(!done.text.contains("办理及时"), "the comment is not published")
            let again = try await evaluate("satisfied", "satisfied")
            #expect(again.text.contains("本件已评价"))
        }
        let state = try #require(try await node.database.cases(matching: CaseQuery(), now: node.clock.now()).items.first)
        #expect(state.evaluation?.via == .online && state.evaluation?.office == .basicallySatisfied && state.evaluation?.unit == .dissatisfied)
        let events = try await node.database.events(of: state.caseNumber)
        #expect(events.last?.actor == PublicLookup.petitionerActor, "the petitioner's name is never the actor")
    }

    @Test func afterTheWindowThePageSaysOverdueAndStaffRecordACall() async throws {
        let node = try TestNode()
        try await node.withAPI { api in
            let (number, code, last4) = try await Self.registered(api, node: node)
            for step in [["action": "notify"], ["action": "reply", "outcome": "explained", "opinion": "解释说明"], ["action": "close"]] {
                #expect(try await api.act(number, step).status == 200)
            }
            // A call taken by phone within the window is recorded as such.
            node.clock.advance(days: Double(IndicatorRules.evaluationWindowDays + 15))
            let page = try await Self.lookUp(api, code: try #require(code), last4: last4)
            #expect(page.text.contains("超期未评价") && !page.text.contains("提交评价"))
            let late = try await api.act(number, ["action": "evaluate", "officeRating": "satisfied", "unitRating": "satisfied", "via": "phone"])
            #expect(late.status == 409 && late["code"] == "evaluation-window-ended", "\(late.text)")
        }
        let other = try TestNode()
        try await other.withAPI { api in
            let (number, _, _) = try await Self.registered(api, node: other)
            for step in [["action": "notify"], ["action": "reply", "outcome": "explained", "opinion": "解释说明"], ["action": "close"]] {
                #expect(try await api.act(number, step).status == 200)
            }
            let call = try await api.act(
                number,
                ["action": "evaluate", "officeRating": "satisfied", "unitRating": "basicallySatisfied", "via": "phone"]
            )
            #expect(call.status == 200)
            #expect((call.json["evaluation"] as? [String: any Sendable])?["via"] as? String == "phone")
        }
    }

    @Test func theCasePageShowsTheCodeWithTheContactsAndReissuesIt() async throws {
        let node = try TestNode()
        try await node.withAPI(as: .registrar) { api in
            let (number, code, _) = try await Self.registered(api, node: node)
            let old = try #require(code)
            let masked = try await api.request(.get, "/ui/cases/\(number)")
            #expect(masked.status == 200 && !masked.text.contains(old) && masked.text.contains("重发查询码"))
            #expect(try await api.request(.get, "/ui/cases/\(number)?reveal=contact").text.contains("查询码 <code>\(old)</code>"))
            let reissued = try await api.request(.post, "/ui/cases/\(number)/lookup-code", headers: Self.form)
            #expect(reissued.status == 303 && reissued.headers[.location]?.contains(old) == false)
            let state = try #require(try await node.database.caseState(CaseNumber(rawValue: number)))
            let new = try node.database.personalData.openLookupCode(try #require(state.lookup)).description
            #expect(new != old)
            #expect(try await api.request(.get, "/ui/cases/\(number)?reveal=contact").text.contains("查询码 <code>\(new)</code>"))
        }
    }
}
