import Foundation
import HTTPTypes
import Logging
import Synchronization
import Testing
import XinfangCore
import XinfangHTTP
import XinfangStore
import XinfangSync
import XinfangTesting

/// The notification outbox (issue 18): messages queued with the events that make them, once;
/// sent once with the recipient and the code looked up at sending; retried with back-off, dead
/// after the last attempt and re-sent by a person; held through the petitioner's quiet hours.
struct NotificationOutboxTests {
    /// A gateway that records what it is handed and fails while `failing` is set.
    final class Recording: NotificationGateway, Sendable {
        let messages = Mutex<[OutgoingMessage]>([])
        let failing = Atomic<Bool>(false)
        func send(_ message: OutgoingMessage) async throws -> String? {
            if failing.load(ordering: .relaxed) { throw NotificationGatewayError("platform down") }
            messages.withLock { $0.append(message) }
            return "ok:\(message.id)"
        }
        var sent: [OutgoingMessage] { messages.withLock { $0 } }
    }

    /// The sender of `node`'s configured notifications, with `obligations` as its yellow and red figures.
    static func sender(_ node: TestNode, obligations: (yellow: Int, red: Int) = (0, 0)) throws -> NotificationSender {
        NotificationSender(
            database: node.database,
            clock: node.clock,
            settings: try #require(node.services.notifications),
            logger: Logger(label: "test")
        ) { _ in obligations }
    }

    static func node(quiet: QuietHours = QuietHours(from: "00:00", to: "00:00")) throws -> (TestNode, Recording, Recording, NotificationSender) {
        var node = try TestNode()
        let sms = Recording()
        let email = Recording()
        let settings = NotificationSettings(
            sms: sms,
            email: email,
            staffRecipients: ["xfk@example.gov.cn"],
            quietHours: quiet,
            templates: try NotificationTemplates()
        )
        node.services.notifications = settings
        let sender = try NotificationOutboxTests.sender(node)
        return (node, sms, email, sender)
    }

    @Test func theLookupCodeGoesOnceToTheLeadPetitionersMobile() async throws {
        let (node, sms, _, sender) = try Self.node()
        let number = try await node.withAPI { api in
            try #require(try await api.request(.post, "/api/v1/cases", body: Fixtures.registrationJSON(person: 0))["caseNumber"])
        }
        #expect(try await sender.sendDue() == 1)
        #expect(try await sender.sendDue() == 0, "sent once")
        let message = try #require(sms.sent.first)
        let state = try #require(try await node.database.caseState(CaseNumber(rawValue: number)))
        let code = try node.database.personalData.openLookupCode(try #require(state.lookup)).description
        #expect(message.to == Fixtures.mobile(person: 0) && message.kind == .lookupCode)
        #expect(message.text.contains(code) && message.text.contains(number) && message.text.hasPrefix("【芙蓉区人社局】"))
        let rows = try await node.database.notificationRows(limit: 10)
        #expect(rows.map(\.state) == [.sent] && rows[0].report == "ok:\(message.id)")
        #expect(!rows[0].params.values.contains(code), "the queue keeps no code and no number")
        #expect(try await node.database.notificationBody(rows[0].id) == message.text, "the text kept, sealed")
    }

    @Test func failuresBackOffThenDieAndAPersonResends() async throws {
        let (node, sms, _, sender) = try Self.node()
        sms.failing.store(true, ordering: .relaxed)
        try await node.withAPI { api in _ = try await api.request(.post, "/api/v1/cases", body: Fixtures.registrationJSON()) }
        #expect(try await sender.sendDue() == 0)
        var row = try #require(try await node.database.notificationRows(limit: 1).first)
        #expect(row.state == .pending && row.attempts == 1 && row.lastError?.contains("platform down") == true)
        #expect(row.nextAttemptAt.timeIntervalSince(node.clock.now()) == 30)
        #expect(try await sender.sendDue() == 0, "not due before its retry")
        for _ in 2...NotificationRetry.attemptsMax {
            node.clock.advance(seconds: 3_601)
            _ = try await sender.sendDue()
        }
        row = try #require(try await node.database.notificationRows(limit: 1).first)
        #expect(row.state == .dead && row.attempts == NotificationRetry.attemptsMax)
        sms.failing.store(false, ordering: .relaxed)
        node.clock.advance(seconds: 7_200)
        #expect(try await sender.sendDue() == 0, "dead stays dead")
        let id = row.id
        try await node.withAPI(as: .systemAdmin) { api in
            let dead = try await api.request(.get, "/api/v1/notifications?state=dead")
            #expect((dead.json["items"] as? [Any])?.count == 1 && !dead.text.contains(Fixtures.mobile(person: 0)))
            #expect(try await api.request(.post, "/api/v1/notifications/\(id)/resend").status == 202)
            #expect(try await api.request(.post, "/api/v1/notifications/\(id)/resend").status == 404, "no longer dead")
        }
        try await node.withAPI(as: .handler) { api in
            let refused = try await api.request(.get, "/api/v1/notifications")
            #expect(refused.status == 403)
        }
        #expect(try await sender.sendDue() == 1)
        #expect(sms.sent.count == 1)
    }

    @Test func quietHoursHoldPetitionersMessagesNotStaffs() async throws {
        // Quiet the whole day but one minute: the node's clock starts inside it.
        let (node, sms, _, sender) = try Self.node(quiet: QuietHours(from: "00:00", to: "23:59"))
        let now = node.clock.now()
        let allowed = QuietHours(from: "00:00", to: "23:59").nextAllowed(after: now, utcOffsetSeconds: 8 * 3600)
        try await node.withAPI { api in _ = try await api.request(.post, "/api/v1/cases", body: Fixtures.registrationJSON()) }
        if allowed > now {
            #expect(try await sender.sendDue() == 0)
            let row = try #require(try await node.database.notificationRows(limit: 1).first)
            #expect(row.state == .pending && row.attempts == 0 && row.nextAttemptAt == allowed)
            node.clock.advance(seconds: allowed.timeIntervalSince(now) + 1)
        }
        #expect(try await sender.sendDue() == 1 && sms.sent.count == 1)
    }

    @Test func theRulesQueueEachMessageOnceWhereItBelongs() async throws {
        let (node, sms, email, sender) = try Self.node()
        let number = try await node.withAPI { api in
            try #require(try await api.request(.post, "/api/v1/cases", body: Fixtures.registrationJSON())["caseNumber"])
        }
        #expect(try await sender.sendDue() == 1)
        try await node.withAPI { (api: APIClient) async throws in
            #expect(try await api.act(number, ["action": "notify"]).status == 200)
            #expect(try await api.request(.post, "/api/v1/cases/\(number)/notices", body: #"{"kind":"acceptance"}"#).status == 201)
            #expect(try await api.act(number, ["action": "reply", "outcome": "supported", "opinion": "责令支付"]).status == 200)
            #expect(try await api.request(.post, "/api/v1/cases/\(number)/notices", body: #"{"kind":"handlingOpinion"}"#).status == 201)
            #expect(try await api.act(number, ["action": "close"]).status == 200)
            // Reissued twice: the first new code is replaced before it goes, and never goes.
            #expect(try await api.request(.post, "/api/v1/cases/\(number)/lookup-code").status == 201)
            #expect(try await api.request(.post, "/api/v1/cases/\(number)/lookup-code").status == 201)
        }
        _ = try await sender.sendDue()
        #expect(sms.sent.map(\.kind) == [.lookupCode, .noticeIssued, .answerIssued, .evaluationInvitation, .lookupCode])
        #expect(sms.sent[2].text.contains("信访事项处理意见书") && sms.sent[2].text.contains("30日内请求复查"))
        // The reissued code is a new one, sent on its own.
        #expect(sms.sent[0].params["code"] != sms.sent[4].params["code"])
        #expect(email.sent.isEmpty, "nothing for staff on this story")
        // A message's key is queued once: the same event stored again queues nothing new.
        let rows = try await node.database.notificationRows(limit: 100)
        #expect(rows.map(\.state) == [.sent, .dead, .sent, .sent, .sent, .sent], "newest first")
        #expect(rows[1].lastError?.contains("replaced") == true)
        let again = NotificationDraft(kind: .lookupCode, caseNumber: CaseNumber(rawValue: number), key: rows[1].key, params: [:])
        #expect(try await node.database.queueNotification(again, now: node.clock.now()) == false)
    }

    @Test func templatesAreDataAndQuietHoursCrossMidnight() throws {
        let t = try NotificationTemplates(overrides: [
            "lookupCode": NotificationTemplate(text: "查询码{code}，编号{caseNumber}{unknown}", smsTemplateId: "SMS_001")
        ])
        #expect(NotificationTemplate.fill(t.template(.lookupCode).text, ["code": "ABCD", "caseNumber": "1"]) == "查询码ABCD，编号1{unknown}")
        #expect(t.template(.lookupCode).smsTemplateId == "SMS_001")
        #expect(throws: ValidationFailure.self) { try NotificationTemplates(overrides: ["sms": NotificationTemplate(text: "x")]) }
        let q = QuietHours()  // 21:00–08:00, civil time UTC+8
        let day = try #require(ISO8601DateFormatter().date(from: "2026-12-02T02:00:00Z"))  // 10:00 in Beijing
        #expect(q.nextAllowed(after: day, utcOffsetSeconds: 8 * 3600) == day)
        let night = try #require(ISO8601DateFormatter().date(from: "2026-12-02T15:30:00Z"))  // 23:30
        #expect(q.nextAllowed(after: night, utcOffsetSeconds: 8 * 3600) == ISO8601DateFormatter().date(from: "2026-12-03T00:00:00Z"))
        let early = try #require(ISO8601DateFormatter().date(from: "2026-12-02T22:15:00Z"))  // 06:15
        #expect(q.nextAllowed(after: early, utcOffsetSeconds: 8 * 3600) == ISO8601DateFormatter().date(from: "2026-12-03T00:00:00Z"))
        #expect(NotificationRetry.delay(afterAttempts: 1) == 30 && NotificationRetry.delay(afterAttempts: 3) == 120)
        #expect(NotificationRetry.delay(afterAttempts: 40) == 3_600)
    }
}

/// Staff e-mail over SMTP (issue 18): the daily digest of yellow and red obligations, once a day,
/// through a real SMTP dialogue with a stand-in server on loopback.
struct SMTPNotificationTests {
    @Test func theDailyDigestGoesByEmailOnceADay() async throws {
        let smtp = FakeSMTPServer()
        try await smtp.run { port in
            var node = try TestNode()
            var gateway = SMTPGateway(host: "127.0.0.1", port: port, from: "xinfang@example.gov.cn", username: "xinfang", password: "s3cret")
            // The test command runs the simulator's seeds beside this on two cores: a dialogue of a
            // few lines may wait long for a thread there (CI once took more than 15 s).
            gateway.timeoutSeconds = 300
            node.services.notifications = NotificationSettings(
                sms: nil,
                email: gateway,
                staffRecipients: ["xfk@example.gov.cn", "leader@example.gov.cn"],
                templates: try NotificationTemplates(),
                digestHour: 0
            )
            let sender = try NotificationOutboxTests.sender(node, obligations: (2, 1))
            try await sender.queueDigestIfDue()
            try await sender.queueDigestIfDue()
            #expect(try await sender.sendDue() == 1, "one digest a day")
            let mail = try #require(smtp.received.first)
            #expect(smtp.received.count == 1)
            #expect(mail.from == "xinfang@example.gov.cn" && mail.to == ["xfk@example.gov.cn", "leader@example.gov.cn"])
            #expect(mail.auth.flatMap { Data(base64Encoded: $0) } == Data("\u{0}xinfang\u{0}s3cret".utf8))
            #expect(mail.text.contains("临期（黄灯）2件，超期（红灯）1件") && mail.text.hasPrefix("芙蓉区人社局"))
            #expect(mail.data.contains("Subject: =?UTF-8?B?"))
            let row = try #require(try await node.database.notificationRows(limit: 1).first)
            #expect(row.kind == .dailyDigest && row.state == .sent && row.report?.hasPrefix("smtp:250") == true)
        }
        // A server that is not there: the message waits for its retry.
        var node = try TestNode()
        node.services.notifications = NotificationSettings(
            sms: nil,
            email: SMTPGateway(host: "127.0.0.1", port: 1, from: "xinfang@example.gov.cn", username: nil, password: nil),
            staffRecipients: ["xfk@example.gov.cn"],
            templates: try NotificationTemplates(),
            digestHour: 0
        )
        let sender = try NotificationOutboxTests.sender(node, obligations: (0, 3))
        try await sender.queueDigestIfDue()
        #expect(try await sender.sendDue() == 0)
        let row = try #require(try await node.database.notificationRows(limit: 1).first)
        #expect(row.state == .pending && row.attempts == 1 && row.lastError != nil)
    }
}

/// The SMS platform's delivery reports (状态报告), with its own token.
struct DeliveryReportTests {
    @Test func aFailedDeliveryMakesTheMessageDeadAndADeliveredOneIsKept() async throws {
        let sms = NotificationOutboxTests.Recording()
        var node = try TestNode()
        var settings = NotificationSettings(
            sms: sms,
            email: nil,
            staffRecipients: [],
            quietHours: QuietHours(from: "00:00", to: "00:00"),
            templates: try NotificationTemplates()
        )
        settings.smsReportToken = "platform-report-token-000000000001"
        node.services.notifications = settings
        let sender = try NotificationOutboxTests.sender(node)
        try await node.withAPI { api in
            for person in [Fixtures.newPerson(), Fixtures.newPerson()] {
                _ = try await api.request(.post, "/api/v1/cases", body: Fixtures.registrationJSON(person: person))
            }
        }
        #expect(try await sender.sendDue() == 2)
        let ids = sms.sent.map(\.id)
        try await node.withAPI(as: nil) { (api: APIClient) async throws in
            func report(_ body: String, token: String = "platform-report-token-000000000001") async throws -> APIResponse {
                var headers: HTTPFields = [.contentType: "application/json"]
                headers[.authorization] = "Bearer \(token)"
                return try await api.request(.post, "/notify/v1/reports", body: body, headers: headers)
            }
            #expect(try await report(#"{"msgId":"\#(ids[0])","status":"delivered"}"#, token: "wrong-token-000000000000000000").status == 401)
            #expect(try await report(#"{"msgId":"\#(ids[0])","status":"delivered","detail":"DELIVRD"}"#).status == 204)
            #expect(try await report(#"{"msgId":"\#(ids[1])","status":"failed","detail":"空号"}"#).status == 204)
            #expect(try await report(#"{"msgId":"430102-999","status":"failed"}"#)["code"] == "message-not-found")
            #expect(try await report(#"{"msgId":"\#(ids[0])","status":"lost"}"#)["code"] == "invalid-field")
        }
        let rows = try await node.database.notificationRows(limit: 10)
        let first = try #require(rows.first { "430102-\($0.id)" == ids[0] })
        let second = try #require(rows.first { "430102-\($0.id)" == ids[1] })
        #expect(first.state == .sent && first.report?.contains("delivered") == true && first.report?.contains("DELIVRD") == true)
        #expect(second.state == .dead && second.lastError?.contains("空号") == true)
    }
}
