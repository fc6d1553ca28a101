import Foundation
import Testing
import XinfangCore
import XinfangStore
import XinfangTesting

/// The real executable (issue 18): a message queued but not yet taken by the SMS platform survives
/// `kill -9` and goes once after the restart, under the id it was first offered with; nothing of
/// the petitioner's reaches the log.
struct NotificationProcessTests {
    let http = HTTP()

    @Test func aQueuedMessageSurvivesKillDashNineAndGoesOnce() async throws {
        let dir = try temporaryDirectory("notify-kill9")
        defer { try? FileManager.default.removeItem(at: dir) }
        let platform = RecordingServer(status: 503)
        let http = self.http
        try await platform.run { port in
            let extra = """
                , "notifications": {"sms": {"kind": "http", "url": "http://127.0.0.1:\(port)/sms/send", "token": "platform-token", "sign": "芙蓉区人社局"}, \
                "quietHours": {"from": "00:00", "to": "00:00"}, "retrySeconds": 1}
                """
            let config = try await writeConfig(in: dir, extra: extra)
            let arguments = ["serve", "--config", config.path, "--log-level", "info"]
            let node = try NodeProcess(arguments: arguments, workDirectory: dir)
            let base = try await node.waitUntilListening()
            let created = try await http.send("POST", base.appendingPathComponent("api/v1/cases"), json: Fixtures.registrationJSON(person: 0))
            #expect(created.status == 201)
            let number = try #require(created.json["caseNumber"] as? String)

            // The platform is down: the message is offered, refused, and waits for its retry.
            let deadline = Date().addingTimeInterval(30)
            while platform.requests.isEmpty, Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
            try #require(!platform.requests.isEmpty, "the node never offered the message: \(node.log.suffix(600))")
            node.kill9()
            _ = try await node.waitForExit()

            platform.respond(with: 200)
            let restarted = try NodeProcess(arguments: arguments, workDirectory: dir)
            _ = try await restarted.waitUntilListening()
            let sentBy = Date().addingTimeInterval(30)
            while platform.accepted.isEmpty, Date() < sentBy { try await Task.sleep(for: .milliseconds(20)) }
            // Long enough for a second copy to show, were one coming (retries are 1 s apart).
            try await Task.sleep(for: .seconds(3))
            #expect(platform.accepted.count == 1, "sent once: \(platform.requests.map(\.status))")
            let message = try #require(platform.accepted.first)
            #expect(message.path == "/sms/send" && message.headers["authorization"] == "Bearer platform-token")
            #expect(message.json["phone"] as? String == Fixtures.mobile(person: 0))
            #expect((message.json["content"] as? String)?.contains(number) == true)
            #expect(Set(platform.requests.compactMap { $0.json["msgId"] as? String }).count == 1, "one message id across the attempts")
            #expect(try await restarted.interruptAndWait() == 0)
            for log in [node.log, restarted.log] {
                #expect(!log.contains(Fixtures.mobile(person: 0)) && !log.contains("张伟"), "no personal data in the log")
            }
        }
        let database = try NodeDatabase.open(directory: dir.appendingPathComponent("data"), node: NodeID("430102"), calendar: .standard)
        let rows = try await database.notificationRows(limit: 10)
        #expect(rows.map(\.state) == [.sent] && rows[0].attempts >= 2)
    }
}
