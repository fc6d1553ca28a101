import Foundation
import HTTPTypes
import Testing
import XinfangCore
import XinfangStore
import XinfangTesting

/// Through the API alone, one case goes from registration to termination; at every step an
/// illegal action is refused with 409 naming the state, and the chain shows every step.
struct LifecycleAPITests {
    /// 送达 and 听证 through the API (issue 13, rules 7 and 8): the 复查 window runs from the recorded
    /// receipt, the hearing's days move the answer deadline; bad dates are 400 naming the field,
    /// a second 送达 409 `already-recorded`.
    @Test func deliveryAndHearingMoveTheirDeadlinesThroughTheAPI() async throws {
        let node = try TestNode()
        let clock = node.clock
        let calendar = DeadlineCalendar.standard
        try await node.withAPI { api in
            let created = try await api.request(.post, "/api/v1/cases", body: Fixtures.registrationJSON())
            let number = try #require(created["caseNumber"])
            for fields: [String: any Sendable] in [["action": "notify"], ["action": "reply", "outcome": "explained", "opinion": "解释说明"]] {
                #expect(try await api.act(number, fields).status == 200)
            }
            let replied = calendar.civilDate(of: clock.now())
            clock.advance(days: 3)
            let today = calendar.civilDate(of: clock.now())
            let future = try await api.act(
                number,
                ["action": "deliver", "deliveredOn": "\(today.adding(days: 1))", "method": "mail", "signed": true]
            )
            #expect(future.status == 400 && future["field"] == "deliveredOn", "\(future.json)")
            let unknownMethod = try await api.act(number, ["action": "deliver", "deliveredOn": "\(today)", "method": "pigeon", "signed": true])
            #expect(unknownMethod.status == 400 && unknownMethod["field"] == "method")
            let received = replied.adding(days: 2)
            let delivered = try await api.act(number, ["action": "deliver", "deliveredOn": "\(received)", "method": "mail", "signed": false])
            #expect(delivered.status == 200, "\(delivered.json)")
            let window = (delivered.json["deadlines"] as? [[String: any Sendable]])?.first { $0["kind"] as? String == "reviewRequestWindow" }
            #expect(window?["dueDate"] as? String == "\(calendar.addingStatutoryDays(30, to: received))", "30 days from the 送达, refused (拒收) or not")
            let again = try await api.act(number, ["action": "deliver", "deliveredOn": "\(today)", "method": "inPerson", "signed": true])
            #expect(again.status == 409 && again["code"] == "already-recorded")
            #expect(try await api.act(number, ["action": "close"]).status == 200)
            #expect(try await api.act(number, ["action": "requestReview", "reason": "不服"]).status == 200)
            let requested = calendar.civilDate(of: clock.now())
            clock.advance(days: 2)
            let heard = try await api.act(
                number,
                ["action": "hearing", "hearingFrom": "\(requested)", "hearingTo": "\(requested.adding(days: 1))", "note": "公开听证"]
            )
            #expect(heard.status == 200, "\(heard.json)")
            let decision = (heard.json["deadlines"] as? [[String: any Sendable]])?.first { $0["kind"] as? String == "reviewDecision" }
            #expect(decision?["dueDate"] as? String == "\(calendar.addingStatutoryDays(32, to: requested))", "30 days plus the 2 hearing days")
        }
    }

    @Test func caseGoesFromRegistrationToTerminationThroughTheAPI() async throws {
        let node = try TestNode()
        let clock = node.clock
        try await node.withAPI { api in
            let created = try await api.request(.post, "/api/v1/cases", body: Fixtures.registrationJSON())
            #expect(created.status == 201)
            let number = try #require(created["caseNumber"])
            #expect(created["status"] == "registered")

            // (legal action, its parameters, the status it leads to, an illegal action tried first)
            let steps: [(String, [String: any Sendable], String, String)] = [
                ("notify", [:], "accepted", "close"),
                ("extend", ["days": 20, "approver": "王建国（局长）", "reason": "需调取档案"], "extended", "notify"),
                ("reply", ["outcome": "notSupported", "opinion": "经核查，不予支持。"], "replied", "extend"),
                ("close", ["report": "已送达"], "closed", "evaluate"),
                ("evaluate", ["officeRating": "satisfied", "unitRating": "dissatisfied"], "evaluated", "decideReview"),
                ("requestReview", ["reason": "不服处理意见"], "reviewRequested", "evaluate"),
                ("decideReview", ["outcome": "notSupported", "opinion": "维持原处理意见"], "reviewDecided", "requestReReview"),
                ("requestReReview", ["reason": "不服复查意见"], "reReviewRequested", "terminate"),
                ("decideReReview", ["outcome": "notSupported", "opinion": "维持复查意见"], "reReviewDecided", "requestReview"),
                ("terminate", ["reason": "复核终结"], "terminated", "notify"),
            ]
            var status = "registered"
            for (action, params, next, illegal) in steps {
                clock.advance(days: 1)
                let refused = try await api.act(
                    number,
                    [
                        "action": illegal, "reason": "r", "outcome": "supported", "opinion": "o", "officeRating": "satisfied",
                        "unitRating": "satisfied", "days": 5, "approver": "a",
                    ]
                )
                #expect(refused.status == 409, "\(illegal) in \(status) must be refused")
                #expect(refused.contentType?.hasPrefix("application/problem+json") == true)
                #expect(refused["state"] == status, "the refusal names the state")
                #expect(refused["detail"]?.contains(status) == true)
                var fields = params
                fields["action"] = action
                let done = try await api.act(number, fields)
                #expect(done.status == 200, "\(action): \(done.text)")
                #expect(done["status"] == next)
                status = next
            }

            let view = try await api.request(.get, "/api/v1/cases/\(number)")
            #expect(view.status == 200)
            let chain = try #require(view.json["chain"] as? [[String: any Sendable]])
            #expect(chain.map { $0["kind"] as? String } == ["register"] + steps.map(\.0))
            #expect(chain.allSatisfy { $0["at"] is String && $0["hlc"] is String && $0["hash"] is String && $0["actor"] is String })
            #expect(chain.map { $0["seq"] as? Int } == Array(1...11))
            let deadlines = try #require(view.json["deadlines"] as? [[String: any Sendable]])
            let kinds = Set(deadlines.compactMap { $0["kind"] as? String })
            #expect(kinds == ["notice", "handling", "reviewRequestWindow", "reviewDecision", "reReviewRequestWindow", "reReviewDecision"])
            #expect(deadlines.allSatisfy { $0["dueDate"] is String && $0["dueAt"] is String })
            #expect((view.json["allowedActions"] as? [String]) == ["comment", "attach"], "a terminated case takes notes and material only")
        }
    }

    @Test func aPetitionOutsideTheNodesAreaIsRegisteredAndAwaitsTransfer() async throws {
        let node = try TestNode()
        try await node.withAPI { api in
            let created = try await api.request(.post, "/api/v1/cases", body: Fixtures.registrationJSON(region: "431202"))
            #expect(created.status == 201, "every received petition is registered (R3)")
            let routing = try #require(created.json["routing"] as? [String: any Sendable])
            await #expect(routing["awaitsTransfer"] as? Bool == true)
            #expect(routing["handledHere"] as? Bool == false)
            let local = try await api.request(.post, "/api/v1/cases", body: Fixtures.registrationJSON(region: "430102"))
            await #expect((local.json["routing"] as? [String: any Sendable])?["awaitsTransfer"] as? Bool == false)
        }
    }

    @Test func aRetriedRegistrationWithTheSameIdempotencyKeyIsNotDuplicated() async throws {
        let node = try TestNode()
        try await node.withAPI { api in
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            headers[HTTPField.Name("Idempotency-Key")!] = "req-42"
            let body = Fixtures.registrationJSON()
            let first = try await api.request(.post, "/api/v1/cases", body: body, headers: headers)
            let retry = try await api.request(.post, "/api/v1/cases", body: body, headers: headers)
            #expect(first.status == 201 && retry.status == 200)
            #expect(first["caseNumber"] == retry["caseNumber"])
            let other = try await api.request(.post, "/api/v1/cases", body: Fixtures.registrationJSON(summary: "另一件事"), headers: headers)
            #expect(other.status == 422 && other["code"] == "idempotency-key-reused")
        }
        await #expect(try await node.database.counts().cases == 1)
    }

    @Test func listShowsFiltersAndPagesWithACursor() async throws {
        let node = try TestNode()
        try await node.withAPI { api in
            for i in 0..<7 {
                _ = try await api.request(
                    .post,
                    "/api/v1/cases",
                    body: Fixtures.registrationJSON(region: i < 2 ? "430104" : "430102", summary: "第\(i)件")
                )
                node.clock.advance(seconds: 10)
            }
            var seen: [String] = []
            var uri = "/api/v1/cases?limit=3"
            for _ in 0..<5 {
                let page = try await api.request(.get, uri)
                #expect(page.status == 200)
                let items = try #require(page.json["items"] as? [[String: any Sendable]])
                seen += items.compactMap { $0["caseNumber"] as? String }
                guard let cursor = page.json["nextCursor"] as? String else { break }
                uri = "/api/v1/cases?limit=3&cursor=\(cursor)"
            }
            #expect(seen.count == 7 && Set(seen).count == 7)
            let region = try await api.request(.get, "/api/v1/cases?region=430104")
            #expect((region.json["items"] as? [Any])?.count == 2)
            let text = try await api.request(.get, "/api/v1/cases?q=%E7%AC%AC3%E4%BB%B6")  // 第3件
            #expect((text.json["items"] as? [Any])?.count == 1)
            let none = try await api.request(.get, "/api/v1/cases?status=terminated")
            #expect((none.json["items"] as? [Any])?.count == 0)
            #expect(none.json["nextCursor"] is NSNull)
        }
    }
}
