import Crypto
import Foundation
import HTTPTypes
import Testing
import XinfangCore
import XinfangHTTP
import XinfangStore
import XinfangTesting

/// The written notices (issue 17): each issued when the case has reached its fact, once, with the
/// organ's next 文号 of the year; frozen as it was rendered (the hash in the event is the hash of
/// the bytes downloaded); its 送达 recorded, a written answer's starting the next window.
struct NoticeAPITests {
    static func hex(_ data: Data) -> String { SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined() }

    func issue(_ api: APIClient, _ number: String, _ kind: String) async throws -> APIResponse {
        try await api.request(.post, "/api/v1/cases/\(number)/notices", body: #"{"kind":"\#(kind)"}"#)
    }

    @Test func noticesAreIssuedWhenDueFrozenNumberedAndServed() async throws {
        let node = try TestNode()
        let calendar = DeadlineCalendar.standard
        try await node.withAPI { api in
            let number = try #require(try await api.request(.post, "/api/v1/cases", body: Fixtures.registrationJSON())["caseNumber"])
            // Not yet accepted: no acceptance notice, no opinion.
            let early = try await issue(api, number, "acceptance")
            #expect(early.status == 409 && early["code"] == "notice-not-due", "\(early.text)")
            #expect(try await api.act(number, ["action": "notify"]).status == 200)
            let accepted = try await issue(api, number, "acceptance")
            #expect(accepted.status == 201, "\(accepted.text)")
            let record = try #require(accepted.json["notice"] as? [String: any Sendable])
            let year = calendar.civilDate(of: node.clock.now()).year
            #expect(record["docNumber"] as? String == "芙蓉区人社局信〔\(year)〕1号")
            // Frozen: the bytes downloaded are those the event names, and say what the notice says.
            let sha = try #require(record["sha256"] as? String)
            let page = try await api.request(.get, "/api/v1/cases/\(number)/attachments/\(sha)")
            #expect(page.status == 200 && Self.hex(page.body) == sha)
            #expect(page.contentType == "text/html; charset=utf-8")
            #expect(page.headers[.contentSecurityPolicy]?.hasPrefix("sandbox") == true)
            let html = String(decoding: page.body, as: UTF8.self)
            for text in ["信访事项受理告知书", "芙蓉区人社局信〔\(year)〕1号", "张伟：", "《信访工作条例》第二十三条", "特此告知。", "size: A4"] {
                #expect(html.contains(text), "the notice says \(text)")
            }
            let again = try await issue(api, number, "acceptance")
            #expect(again.status == 409 && again["code"] == "already-recorded", "one notice per fact")
            #expect(try await issue(api, number, "reviewOpinion")["code"] == "notice-not-due")
            #expect(try await issue(api, number, "letter")["code"] == "invalid-field")
            #expect(try await api.act(number, ["action": "issueNotice", "noticeKind": "acceptance"])["code"] != nil, "not through the action API")

            // The written answer: issued, served (拒收 still counts), the 复查 window runs from the 送达.
            #expect(try await api.act(number, ["action": "reply", "outcome": "explained", "opinion": "经核查，已按规定足额支付。"]).status == 200)
            let opinion = try await issue(api, number, "handlingOpinion")
            #expect(opinion.status == 201)
            let docNumber = try #require((opinion.json["notice"] as? [String: any Sendable])?["docNumber"] as? String)
            #expect(docNumber.hasSuffix("〔\(year)〕2号"), "numbers follow each other")
            node.clock.advance(days: 4)
            let servedOn = calendar.civilDate(of: node.clock.now()).adding(days: -1)
            let unknown = try await api.act(
                number,
                ["action": "serveNotice", "docNumber": "无此文号", "deliveredOn": "\(servedOn)", "method": "mail", "signed": true]
            )
            #expect(unknown.status == 409 && unknown["code"] == "notice-not-due")
            let served = try await api.act(
                number,
                ["action": "serveNotice", "docNumber": docNumber, "deliveredOn": "\(servedOn)", "method": "mail", "signed": false]
            )
            #expect(served.status == 200, "\(served.text)")
            let window = (served.json["deadlines"] as? [[String: any Sendable]])?.first { $0["kind"] as? String == "reviewRequestWindow" }
            #expect(window?["dueDate"] as? String == "\(calendar.addingStatutoryDays(30, to: servedOn))")
            let twice = try await api.act(
                number,
                ["action": "serveNotice", "docNumber": docNumber, "deliveredOn": "\(servedOn)", "method": "mail", "signed": true]
            )
            #expect(twice["code"] == "already-recorded")
        }
        let cases = try await node.database.cases(matching: CaseQuery(), now: node.clock.now()).items
        let first = try #require(cases.first?.caseNumber)
        let state = try #require(try await node.database.caseState(first))
        #expect(state.notices?.map(\.kind) == [.acceptance, .handlingOpinion])
        #expect(state.activeAttachments.filter { $0.file.mediaType == .html }.map(\.file.stage) == [.acceptance, .reply])
    }
}
