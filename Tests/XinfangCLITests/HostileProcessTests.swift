import Foundation
import Testing
import XinfangCore
import XinfangTesting

/// What a real node process logs when clients misbehave (issue 15): a client that hangs up, sends
/// what HTTP cannot parse, or is cut off by a time-out is not a fault of the node, and is never
/// logged as an error.
struct HostileProcessTests {
    @Test func clientsThatMisbehaveAreNotLoggedAsServerErrors() async throws {
        let dir = try temporaryDirectory("hostile")
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = try await writeConfig(in: dir, extra: #", "connections": {"idleSeconds": 1, "requestSeconds": 2}"#)
        let node = try NodeProcess(arguments: ["serve", "--config", config.path, "--log-level", "debug"], workDirectory: dir)
        let url = try await node.waitUntilListening()
        let port = url.port!
        let token = "Authorization: Bearer \(TestAccounts.token(.leader))\r\n"
        let post = "POST /api/v1/cases HTTP/1.1\r\nHost: x\r\n\(token)Content-Type: application/json\r\n"

        // A body cut off by its client, a bad chunk, a body that stalls until the time-out, a
        // CONNECT, bytes that are not HTTP.
        let hangUp = try RawConnection(port: port)
        hangUp.send(post + "Content-Length: 100\r\n\r\n{\"channel\":")
        try await Task.sleep(for: .milliseconds(200))
        hangUp.close()
        let badChunk = try RawConnection(port: port)
        badChunk.send(post + "Transfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\nZZZ\r\n")
        #expect(RawConnection.status(in: badChunk.read(timeout: 5).data) == 400)
        let stalled = try RawConnection(port: port)
        stalled.send(post + "Content-Length: 100\r\n\r\n{")
        #expect(stalled.read(timeout: 10).closed, "the stalled body is cut off")
        for bytes in ["CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n", "\u{0}\u{1}garbage\r\n\r\n"] {
            let connection = try RawConnection(port: port)
            connection.send(bytes)
            #expect(RawConnection.status(in: connection.read(timeout: 5).data).map { (400..<500).contains($0) } == true, "\(bytes.prefix(8))")
        }
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await HTTP().send("GET", url.appendingPathComponent("healthz")).status == 200)
        #expect(try await node.interruptAndWait() == 0)

        let errors = node.log.split(separator: "\n").filter { $0.contains(" error ") || $0.contains("critical") || $0.contains("unhandled") }
        #expect(errors.isEmpty, "\(errors.joined(separator: "\n"))")
        #expect(node.log.contains("debug"), "the log was written at debug level, so nothing was hidden by the level")
        // At debug level ServiceLifecycle logs each service by its description: never the data keys
        // of the store a service holds.
        let keyring = PersonalDataProtector.development.keyring
        for secret in Array(keyring.keys.values) + [keyring.matchKey] {
            #expect(!node.log.contains(secret), "the debug log shows a data key")
        }
        #expect(node.log.contains("ReconciliationService(node: 430102)"), "the services are logged by name")
    }
}

/// A real node stops within its shutdown limits whatever holds it: here a client that asked for a
/// large file and reads none of it, on a node whose idle time-out (60 s) would not cut it first.
/// The graceful shutdown waits for the handler writing that answer; after the grace the node
/// cancels it, logs what it waited for, and exits cleanly. (Before the limits such a client held a
/// node's shutdown for as long as it kept its connection.)
struct ShutdownProcessTests {
    @Test func aNodeHeldByAClientThatDoesNotReadStopsAfterItsGrace() async throws {
        let dir = try temporaryDirectory("shutdown")
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = try await writeConfig(
            in: dir,
            extra: #", "connections": {"idleSeconds": 60}, "shutdown": {"graceSeconds": 2, "forceSeconds": 2}"#
        )
        let node = try NodeProcess(arguments: ["serve", "--config", config.path], workDirectory: dir)
        let base = try await node.waitUntilListening()
        let http = HTTP()
        let created = try await http.send("POST", base.appendingPathComponent("api/v1/cases"), json: Fixtures.registrationJSON())
        let number = try #require(created.json["caseNumber"] as? String, "\(created.status)")
        let file = Fixtures.largePDF(bytes: 16 << 20)
        let uploaded = try await http.send(
            "POST",
            URL(string: base.absoluteString + "/api/v1/cases/\(number)/attachments?fileName=scan.pdf")!,
            body: file,
            contentType: "application/octet-stream"
        )
        #expect(uploaded.status == 201)

        let stalled = try RawConnection(port: base.port!, receiveBuffer: 4096)
        stalled.send(
            "GET /api/v1/cases/\(number)/attachments/\(CaseFileProcessTests.hex(file)) HTTP/1.1\r\nHost: x\r\n"
                + "Authorization: Bearer \(TestAccounts.token(.leader))\r\n\r\n"
        )
        // The answer has begun (its status line came); then the client reads no more.
        let begun = stalled.read(timeout: 30, atLeast: 12)
        #expect(RawConnection.status(in: begun.data) == 200, "the download began")
        let asked = Date()
        kill(node.process.processIdentifier, SIGTERM)
        let status = try await node.waitForExit(timeout: 30)
        let took = Date().timeIntervalSince(asked)
        stalled.close()
        #expect(status == 0, "\(node.log.suffix(1500))")
        #expect(took >= 1.8 && took < 10, "stopped after its 2 s grace: \(took) s")
        let warning = node.log.split(separator: "\n").first { $0.contains("Shutdown is taking longer than 2 s") }
        #expect(warning?.contains("waitingFor=HTTP server") == true, "\(node.log.suffix(1500))")
        print("shutdown: a node held by a client that reads nothing stopped \(String(format: "%.1f", took)) s after SIGTERM")
    }
}
