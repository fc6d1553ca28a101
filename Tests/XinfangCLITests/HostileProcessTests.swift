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
    }
}
