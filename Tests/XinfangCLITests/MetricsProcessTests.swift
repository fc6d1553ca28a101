import Foundation
import Testing
import XinfangTesting

/// A real node's `/metrics` (issue 16): what swift-metrics recorded while it served (HTTP requests
/// by route and status, through Hummingbird's middleware) beside the store's figures.
struct MetricsProcessTests {
    @Test func aServingNodeExportsItsRequestsAndItsStore() async throws {
        let dir = try temporaryDirectory("metrics")
        defer { try? FileManager.default.removeItem(at: dir) }
        let token = "prometheus-scrape-token-0123456789"
        let config = try await writeConfig(in: dir, extra: #", "metricsToken": "\#(token)""#)
        let node = try NodeProcess(arguments: ["serve", "--config", config.path, "--log-level", "warning"], workDirectory: dir)
        let url = try await node.waitUntilListening()
        #expect(try await HTTP().send("GET", url.appendingPathComponent("api/v1/cases")).status == 200)
        #expect(try await HTTP(token: nil).send("GET", url.appendingPathComponent("metrics")).status == 401)
        let scrape = try await HTTP(token: token).send("GET", url.appendingPathComponent("metrics"))
        let text = String(decoding: scrape.body, as: UTF8.self)
        #expect(scrape.status == 200)
        #expect(
            text.contains("hb_requests{") && text.contains(#"http_route="/api/v1/cases",http_request_method="GET",http_response_status_code="200""#),
            "\(text.prefix(3000))"
        )
        #expect(text.contains(#"xinfang_build_info{version="#) && text.contains("xinfang_database_bytes"))
        #expect(try await node.interruptAndWait() == 0)
    }
}

/// The access log (issue 16): one line per request at info, with the route template, status,
/// duration and account name, and no personal data; as JSON when asked.
struct AccessLogProcessTests {
    @Test func eachRequestIsOneJSONLineWithItsRouteAndNoPersonalData() async throws {
        let dir = try temporaryDirectory("access-log")
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = try await writeConfig(in: dir)
        let node = try NodeProcess(arguments: ["serve", "--config", config.path, "--log-format", "json"], workDirectory: dir)
        let url = try await node.waitUntilListening()
        let created = try await HTTP().send("POST", url.appendingPathComponent("api/v1/cases"), json: Fixtures.registrationJSON())
        let number = try #require(created.json["caseNumber"] as? String)
        #expect(try await HTTP().send("GET", url.appendingPathComponent("api/v1/cases/\(number)")).status == 200)
        #expect(try await node.interruptAndWait() == 0)
        let lines = node.log.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let requests = lines.filter { $0["message"] as? String == "request" }.compactMap { $0["metadata"] as? [String: String] }
        let read = try #require(requests.first { $0["http.method"] == "GET" && $0["http.status"] == "200" }, "\(requests)")
        #expect(read["http.route"] == "/api/v1/cases/{caseNumber}" && read["user"] != nil && read["http.duration_ms"] != nil, "\(read)")
        #expect(requests.contains { $0["http.method"] == "POST" && $0["http.status"] == "201" })
        #expect(!requests.contains { $0.values.contains(number) }, "the route template, not the case number")
        #expect(!node.log.contains("张伟"), "no personal data")
        #expect(lines.allSatisfy { ($0["time"] as? String)?.hasSuffix("Z") == true }, "times in UTC")
    }
}
