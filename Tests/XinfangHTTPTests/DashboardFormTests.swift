import Foundation
import HTTPTypes
import Testing
import XinfangCore
import XinfangStore
import XinfangTesting

/// The dashboard's forms take the API's path: an allowed action is applied, a refused one is
/// reported on the case page with its reason and changes nothing.
struct DashboardFormTests {
    @Test func aFormActionIsAppliedOrRefusedWithItsReason() async throws {
        let node = try TestNode()
        let number = try await node.database.register(Fixtures.registration(receivedAt: node.clock.now()), actor: "李娜", now: node.clock.now()).state
            .caseNumber
        try await node.withAPI { api in
            var headers = HTTPFields()
            headers[.contentType] = "application/x-www-form-urlencoded"
            let notify = try await api.request(
                .post,
                "/ui/cases/\(number)/actions",
                body: "action=notify&note=%E5%B7%B2%E5%8F%97%E7%90%86&actor=%E5%91%A8%E6%95%8F",
                headers: headers
            )
            #expect(notify.status == 303)
            #expect(try await node.database.caseState(number)?.status == .accepted)
            let before = try await node.database.counts()
            let close = try await api.request(.post, "/ui/cases/\(number)/actions", body: "action=close&actor=x", headers: headers)
            #expect(close.status == 303)
            #expect(try await node.database.counts() == before, "a refused form writes nothing")
            let extend = try await api.request(
                .post,
                "/ui/cases/\(number)/actions",
                body: "action=extend&days=99&approver=a&reason=r&actor=x",
                headers: headers
            )
            #expect(extend.status == 303)
            #expect(try await node.database.caseState(number)?.status == .accepted, "99 days is more than the law allows")
            // The list takes the API's filters: the accepted case is listed, a bad filter refused.
            #expect(try await api.request(.get, "/ui/cases?status=accepted").text.contains(number.rawValue))
            #expect(try await api.request(.get, "/ui/cases?status=registered").text.contains(number.rawValue) == false)
            #expect(try await api.request(.get, "/ui/cases?status=nonsense").status == 400)
            let page = try await api.request(.get, "/ui/cases/\(number)?error=%E6%9C%AA%E6%89%A7%E8%A1%8C%3Cscript%3E")
            #expect(page.status == 200)
            #expect(page.text.contains("未执行&lt;script&gt;"), "messages are escaped")
            #expect(!page.text.contains("<script>"))
        }
    }

    @Test func theRegistrationFormRegistersOrShowsTheReasonWithWhatWasTyped() async throws {
        let node = try TestNode()
        try await node.withAPI { api in
            var headers = HTTPFields()
            headers[.contentType] = "application/x-www-form-urlencoded"
            #expect(try await api.request(.get, "/ui/register").text.contains("登记信访件"))
            func form(_ values: [String: String]) -> String {
                values.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
            }
            var values = [
                "channel": "visit", "purpose": "request", "category": "劳动和社会保障|劳动关系|拖欠农民工工资", "issueRegion": "430102",
                "name": "张伟", "idNumber": Fixtures.idNumber(person: 7), "summary": "反映拖欠工资", "text": "某公司拖欠工资。",
                "registeredBy": "李娜", "receivedAt": "2026-10-30",
            ]
            let created = try await api.request(.post, "/ui/register", body: form(values), headers: headers)
            #expect(created.status == 303)
            await #expect(try await node.database.counts().cases == 1)
            values["mobile"] = "12345"
            let refused = try await api.request(.post, "/ui/register", body: form(values), headers: headers)
            #expect(refused.status == 422)
            #expect(refused.text.contains("手机号码必须是 11 位数字"), "the reason")
            #expect(refused.text.contains("某公司拖欠工资。"), "what was typed is kept")
            await #expect(try await node.database.counts().cases == 1, "nothing registered")
        }
    }

    /// The templates escape every text they are given: markup typed into a petition shows as text
    /// on every page that carries it, never as markup; and a bad receipt date is refused by name.
    @Test func whatPetitionersAndOfficersTypeIsShownAsTextNeverAsMarkup() async throws {
        let node = try TestNode()
        let attack = "<img src=x onerror=alert(1)>\"'&"
        var registration = Fixtures.registration(receivedAt: node.clock.now())
        registration.summary = "摘要\(attack)"
        registration.text = "内容\(attack)"
        registration.respondent = "单位\(attack)"
        let number = try await node.database.register(registration, actor: "李娜\(attack)", now: node.clock.now()).state.caseNumber
        _ = try await node.database.act(on: number, action: .comment(text: "备注\(attack)"), actor: "经办人", now: node.clock.now())
        try await node.withAPI { api in
            for path in ["/ui/cases/\(number)", "/ui/cases", "/ui/cases?q=%3Cimg", "/"] {
                let page = try await api.request(.get, path)
                #expect(page.status == 200, "\(path)")
                #expect(!page.text.contains("<img"), "\(path) carries markup it was given")
                #expect(!page.text.contains("onerror=alert(1)>\""), "\(path)")
            }
            let casePage = try await api.request(.get, "/ui/cases/\(number)").text
            #expect(casePage.contains("摘要&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;"))
            #expect(casePage.contains("备注&lt;img"), "the timeline's details are escaped")
            var headers = HTTPFields()
            headers[.contentType] = "application/x-www-form-urlencoded"
            let body = "channel=visit&purpose=request&issueRegion=430102&name=%E5%BC%A0&summary=x&text=y&receivedAt=yesterday"
            let refused = try await api.request(.post, "/ui/register", body: body, headers: headers)
            #expect(refused.status == 422 && refused.text.contains("收件时间必须是日期"))
        }
    }
}
