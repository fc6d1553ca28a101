import Foundation
import HTTPTypes
import Testing
import XinfangCore
import XinfangStore
import XinfangTesting

/// The registrar's day on the dashboard: the person typed as 登记人 or 经办人 is the one the chain
/// records, line breaks of 诉求内容 survive, the category can be searched, contact data is revealed
/// only on request and audited, and each role is offered only what it may do.
struct RegistrarWorkTests {
    static var formHeaders: HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = "application/x-www-form-urlencoded"
        return headers
    }

    static func form(_ values: [String: String]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return values.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&")
    }

    @Test func theTypedRegistrarAndHandlerAreRecordedAndLineBreaksKept() async throws {
        let node = try TestNode()
        let person = Fixtures.newPerson()
        let values = [
            "channel": "letter", "purpose": "request", "categorySearch": "劳动和社会保障 › 劳动关系 › 拖欠农民工工资", "issueRegion": "430102",
            "name": "张伟", "mobile": Fixtures.mobile(person: person), "summary": "反映拖欠工资", "text": "第一行\r\n第二行\n第三行",
            "registeredBy": "王芳",
        ]
        let number = try await node.withAPI(as: .registrar) { api in
            let created = try await api.request(.post, "/ui/register", body: Self.form(values), headers: Self.formHeaders)
            #expect(created.status == 303, "\(created.text)")
            let location = try #require(created.headers[.location])
            return String(location.dropFirst("/ui/cases/".count).prefix { $0 != "?" })
        }
        let state = try #require(try await node.database.caseState(CaseNumber(rawValue: number)))
        #expect(state.registration.registeredBy == "王芳", "the registrar typed, not the account")
        #expect(state.registration.category == ContentCategory("劳动和社会保障", "劳动关系", "拖欠农民工工资"), "found by the search box")
        #expect(state.registration.text.components(separatedBy: "\n").count == 3, "line breaks kept")
        try await node.withAPI(as: .handler) { api in
            let page = try await api.request(.get, "/ui/cases/\(number)").text
            #expect(page.contains("登记人 王芳"))
            #expect(page.contains("<td class=\"pre\">第一行\n第二行\n第三行</td>"), "shown with its line breaks")
            let acted = try await api.request(
                .post,
                "/ui/cases/\(number)/actions",
                body: Self.form(["action": "notify", "actor": "周敏"]),
                headers: Self.formHeaders
            )
            #expect(acted.status == 303)
            let after = try await api.request(.get, "/ui/cases/\(number)").text
            #expect(after.contains("周敏（经办；账号 测试承办人（test-handler））"), "the handler typed, and the account")
        }
        let events = try await node.database.events(of: CaseNumber(rawValue: number))
        #expect(events.last?.actor == "周敏（经办；账号 测试承办人（test-handler））")
        // A category that is not in the catalogue is refused by name, with what was typed kept.
        try await node.withAPI(as: .registrar) { api in
            var bad = values
            bad["categorySearch"] = "劳动和社会保障 › 不存在"
            let refused = try await api.request(.post, "/ui/register", body: Self.form(bad), headers: Self.formHeaders)
            #expect(refused.status == 422)
            #expect(refused.text.contains("内容分类"))
            #expect(refused.text.contains("劳动和社会保障 › 不存在"), "what was typed is kept")
            let formPage = try await api.request(.get, "/ui/register").text
            #expect(formPage.contains("<optgroup label=\"劳动和社会保障 › 劳动关系\">"), "three levels: groups of the first two")
            #expect(formPage.contains("<datalist id=\"categories\">"), "and a search box")
        }
    }

    @Test func contactDataIsRevealedOnRequestAuditedAndOnlyToRolesAllowed() async throws {
        let node = try TestNode()
        let person = Fixtures.newPerson()
        let mobile = Fixtures.mobile(person: person)
        let number = try await node.database.register(
            Fixtures.registration(receivedAt: node.clock.now(), person: person),
            actor: "李娜",
            now: node.clock.now()
        ).state.caseNumber
        try await node.withAPI(as: .registrar) { api in
            let masked = try await api.request(.get, "/ui/cases/\(number)").text
            #expect(!masked.contains(mobile))
            #expect(masked.contains("查看联系方式"))
            let before = try await node.database.auditRows(after: 0, limit: 1000, action: "case.read-unmasked").count
            let revealed = try await api.request(.get, "/ui/cases/\(number)?reveal=contact")
            #expect(revealed.status == 200)
            #expect(revealed.text.contains(mobile), "the full mobile, for the 受理告知 call")
            let after = try await node.database.auditRows(after: 0, limit: 1000, action: "case.read-unmasked")
            #expect(after.count == before + 1)
            #expect(after.last?.entry.object == number.rawValue)
            // Navigation and forms: a registrar registers and reads, and is offered no handling.
            #expect(masked.contains("href=\"/ui/register\""))
            #expect(!masked.contains("href=\"/ui/stats\""))
            #expect(!masked.contains("办理操作"), "a registrar may not act on cases")
        }
        try await node.withAPI(as: .supervisor) { api in
            let page = try await api.request(.get, "/ui/cases/\(number)")
            #expect(!page.text.contains("查看联系方式"))
            #expect(!page.text.contains("href=\"/ui/register\""))
            #expect(page.text.contains("href=\"/ui/stats\""))
            let refused = try await api.request(.get, "/ui/cases/\(number)?reveal=contact")
            #expect(refused.status == 403)
            #expect(refused.contentType == "text/html; charset=utf-8")
            #expect(refused.text.contains("无权访问") && !refused.text.contains(mobile))
        }
        try await node.withAPI(as: .handler) { api in
            let page = try await api.request(.get, "/ui/cases/\(number)").text
            #expect(page.contains("办理操作"))
            #expect(page.contains("value=\"notify\""), "a handler may accept")
            #expect(!page.contains("value=\"terminate\""), "terminating needs a leader's approval")
        }
    }
}

/// The case file through the action API: a file is never attached by a hash a client asserts
/// (the upload stores the bytes first), and there is nothing to withdraw on a case without files.
struct CaseFileActionTests {
    @Test func attachIsRefusedWithoutItsBytesAndWithdrawNeedsAFile() async throws {
        let node = try TestNode()
        let number = try await node.database.register(Fixtures.registration(receivedAt: node.clock.now()), actor: "李娜", now: node.clock.now()).state
            .caseNumber
        try await node.withAPI(as: .handler) { api in
            let before = try await node.database.counts()
            let attach: [String: any Sendable] = [
                "action": "attach", "sha256": String(repeating: "ab", count: 32), "size": 10, "mediaType": "application/pdf",
                "fileName": "来信.pdf", "stage": "registration",
            ]
            let refused = try await api.act(number.rawValue, attach)
            #expect(refused.status == 400 && refused["code"] == "attachment-needs-upload")
            let withdraw = try await api.act(
                number.rawValue,
                ["action": "withdrawAttachment", "sha256": String(repeating: "ab", count: 32), "reason": "误传"]
            )
            #expect(withdraw.status == 409 && withdraw["code"] == "no-attachment", "\(withdraw.text)")
            #expect(try await node.database.counts() == before, "nothing written")
        }
    }
}
