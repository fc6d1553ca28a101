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
