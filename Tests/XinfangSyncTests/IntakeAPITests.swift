import Foundation
import HTTPTypes
import Logging
import Testing
import XinfangCore
import XinfangHTTP
import XinfangStore
import XinfangSync
import XinfangTesting

/// The intake API for other systems (issue 18): one case however many times, and however
/// concurrently, a petition is sent under its sender's id; its status, material, 退单 and 并单;
/// signed callbacks from the outbox; a token of any other role cannot use it, and an intake
/// token can use nothing else.
struct IntakeAPITests {
    static let system = "test-\(Role.intakeSystem.rawValue.lowercased())"

    static func body(_ externalId: String, summary: String = "反映拖欠工资", person: Int = 0, reordered: Bool = false) -> String {
        let petition = Fixtures.registrationJSON(summary: summary, person: person).replacingOccurrences(
            of: #""channel":"visit""#,
            with: #""channel":"phone""#
        )
        return reordered
            ? #"{"petition":\#(petition),"submittedAt":"2026-12-01T09:30:00+08:00","externalId":"\#(externalId)"}"#
            : #"{"externalId":"\#(externalId)","submittedAt":"2026-12-01T09:30:00+08:00","petition":\#(petition)}"#
    }

    @Test(arguments: StoreBackend.allCases) func fiftyConcurrentRetriesOfOnePetitionMakeOneCase(backend: StoreBackend) async throws {
        try await TestCluster.run(nodes: [H.furong], backend: backend) { c in
            let url = c.url(H.furong, "/api/v1/intake/petitions")
            let headers = ["Authorization": "Bearer \(TestAccounts.token(.intakeSystem))"]
            let person = Fixtures.newPerson()
            let body = Data(Self.body("12345-20261201-000777", person: person).utf8)
            let replies = try await withThrowingTaskGroup(of: ClusterReply.self) { group in
                for _ in 0..<60 { group.addTask { try await Self.sendUntilSent(c, url, body: body, headers: headers) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(replies.filter { $0.status == 201 }.count == 1, "\(replies.map(\.status))")
            #expect(replies.filter { $0.status == 200 }.count == 59)
            let numbers = Set(replies.compactMap { $0.json["caseNumber"] as? String })
            #expect(numbers.count == 1)
            #expect(try await c.database(H.furong).counts().cases == 1)
            // The same petition, its members in another order: the same case.
            let reordered = try await c.send(
                "POST",
                url,
                body: Data(Self.body("12345-20261201-000777", person: person, reordered: true).utf8),
                headers: headers
            )
            #expect(reordered.status == 200 && reordered.json["caseNumber"] as? String == numbers.first)
            // Another petition under the same id is refused, and stores nothing.
            let other = try await c.send(
                "POST",
                url,
                body: Data(Self.body("12345-20261201-000777", summary: "另一件事", person: person).utf8),
                headers: headers
            )
            #expect(other.status == 422 && other.json["code"] as? String == "idempotency-key-reused", "\(other.text)")
            #expect(try await c.database(H.furong).counts().cases == 1)
            // A leader's token may not hand petitions over; the intake token reads no case.
            #expect(try await c.send("POST", url, body: body, headers: [:]).status == 403)
            let number = try #require(numbers.first)
            #expect(try await c.send("GET", c.url(H.furong, "/api/v1/cases/\(number)"), body: nil, headers: headers).status == 403)
            #expect(try await c.send("GET", c.url(H.furong, "/api/v1/cases"), body: nil, headers: headers).status == 403)
        }
    }

    /// Sends the request until it leaves the client: in the suite's first minute, when every test
    /// starts at once, a request can wait out its deadline in the test client's queue for one of
    /// its few connections to the node, never sent (seen in CI: `getConnectionFromPoolTimeout`).
    /// A sender whose request did not go sends it again, as the intake's callers do; an answer,
    /// or any other failure, is the test's.
    static func sendUntilSent(_ c: TestCluster, _ url: URL, body: Data, headers: [String: String]) async throws -> ClusterReply {
        for _ in 1..<3 {
            do { return try await c.send("POST", url, body: body, headers: headers) } catch let error as ClusterError
                where error.description.contains("getConnectionFromPoolTimeout")
            {
                continue
            }
        }
        return try await c.send("POST", url, body: body, headers: headers)
    }

    @Test func theSenderFollowsItsPetitionAndReceivesSignedCallbacks() async throws {
        let receiver = RecordingServer()
        try await receiver.run { port in
            var node = try TestNode()
            let secret = String(repeating: "s", count: 40)
            var settings = NotificationSettings(sms: nil, email: nil, staffRecipients: [], templates: try NotificationTemplates())
            settings.callbacks = WebhookGateway(targets: [
                Self.system: CallbackTarget(url: URL(string: "http://127.0.0.1:\(port)/cb")!, secret: secret)
            ])
            node.services.notifications = settings
            let sender = try NotificationOutboxTests.sender(node)
            let person = Fixtures.newPerson()
            let number = try await node.withAPI(as: .intakeSystem) { api in
                let created = try await api.request(.post, "/api/v1/intake/petitions", body: Self.body("P-1", person: person))
                #expect(created.status == 201, "\(created.text)")
                #expect(created.headers[.location] == "/api/v1/intake/petitions/P-1")
                #expect(created["signedAt"] != nil && created["lookupCode"] != nil && created["repeatOf"] == nil)
                // Its material, by the case-file mechanism.
                let pdf = Data("%PDF-1.7\n".utf8) + Data(repeating: 0x41, count: 5_000)
                let filed = try await api.send(
                    .post,
                    "/api/v1/intake/petitions/P-1/attachments?fileName=%E6%9D%A5%E7%94%B5%E8%AE%B0%E5%BD%95.pdf&stage=registration",
                    body: pdf,
                    headers: [.contentType: "application/pdf"]
                )
                #expect(filed.status == 201, "\(filed.text)")
                // The same petitioner with the same matter again: linked to the earlier case (并单).
                let again = try await api.request(.post, "/api/v1/intake/petitions", body: Self.body("P-2", person: person))
                #expect(again.status == 201 && again["repeatOf"] == created["caseNumber"], "\(again.text)")
                #expect(try await api.request(.get, "/api/v1/intake/petitions/P-404").status == 404)
                #expect(try await api.request(.get, "/api/v1/intake/petitions/bad%20id").status == 400)
                return try #require(created["caseNumber"])
            }
            let state = try #require(try await node.database.caseState(CaseNumber(rawValue: number)))
            #expect(
                state.registration.source == IntakeSource(system: Self.system, externalId: "P-1", submittedAt: state.registration.source?.submittedAt)
            )
            #expect(state.registration.receivedAt == node.clock.now(), "the clocks run from the sign-for")
            #expect(state.activeAttachments.count == 1)

            // The office hands it back (退单): an event, a status, a callback.
            try await node.withAPI { api in
                let back = try await api.act(number, ["action": "returnToSender", "returnReason": "notOurs", "note": "属住建部门职责"])
                #expect(back.status == 200 && back["status"] == "returnedToSender", "\(back.text)")
            }
            try await node.withAPI(as: .intakeSystem) { api in
                let status = try await api.request(.get, "/api/v1/intake/petitions/P-1")
                #expect(status["status"] == "returnedToSender")
                #expect((status.json["returned"] as? [String: any Sendable])?["reason"] as? String == "notOurs")
                #expect(!status.text.contains("周敏") && !status.text.contains("张伟"), "no staff, no petitioner name")
            }
            #expect(try await sender.sendDue() == 3)
            let calls = receiver.accepted
            #expect(calls.compactMap { $0.json["milestone"] as? String } == ["签收", "签收", "退回来件系统（不属于本机关职责范围）"])
            #expect(calls.last?.json["status"] as? String == "returnedToSender" && calls.last?.json["returnReason"] as? String == "notOurs")
            for call in calls {
                let timestamp = try #require(Int64(call.headers["x-xinfang-timestamp"] ?? ""))
                #expect(CallbackSignature.verify(call.headers["x-xinfang-signature"] ?? "", body: call.body, timestamp: timestamp, secret: secret))
                #expect(
                    !CallbackSignature.verify(
                        call.headers["x-xinfang-signature"] ?? "",
                        body: call.body + Data("x".utf8),
                        timestamp: timestamp,
                        secret: secret
                    )
                )
                #expect(call.json["deliveryId"] as? String == call.headers["x-xinfang-delivery"])
            }
            #expect(calls.first { $0.json["externalId"] as? String == "P-2" }?.json["repeatOf"] as? String == number)
        }
    }

    @Test func 退单IsOnlyForPetitionsASystemHandedOver() async throws {
        let node = try TestNode()
        try await node.withAPI { api in
            let number = try #require(try await api.request(.post, "/api/v1/cases", body: Fixtures.registrationJSON())["caseNumber"])
            let refused = try await api.act(number, ["action": "returnToSender", "returnReason": "incomplete"])
            #expect(refused.status == 409 && refused["code"] == "not-from-a-system", "\(refused.text)")
        }
    }
}
