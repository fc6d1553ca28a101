import CoreMetrics
import Foundation
import HTTPTypes
import Prometheus
import Testing
import XinfangCore
import XinfangHTTP
import XinfangStore
import XinfangTesting

/// `/metrics` (issue 16): its own token, and the names an operator's alert rules use.
struct MetricsTests {
    static let token = "prometheus-scrape-token-0123456789"

    @Test func metricsAskForTheirOwnTokenAndNameWhatOperatorsWatch() async throws {
        var node = try TestNode()
        node.services.metrics = NodeMetrics(token: Self.token)
        _ = try await node.database.register(Fixtures.registration(receivedAt: node.clock.now()), actor: "李娜", now: node.clock.now())
        let clock = node.clock
        try await node.withAPI { api in
            let asUser = try await api.request(.get, "/metrics")
            #expect(asUser.status == 401, "a user's token is not the metrics token")
        }
        try await node.withAPI(as: nil) { api in
            #expect(try await api.request(.get, "/metrics").status == 401)
            var wrong = HTTPFields()
            wrong[.authorization] = "Bearer not-the-token-000000000000"
            #expect(try await api.request(.get, "/metrics", headers: wrong).status == 401)
            var right = HTTPFields()
            right[.authorization] = "Bearer \(Self.token)"
            let scrape = try await api.request(.get, "/metrics", headers: right)
            #expect(scrape.status == 200 && scrape.headers[.contentType]?.hasPrefix("text/plain") == true)
            for name in [
                "xinfang_build_info", "xinfang_outbox_queued", "xinfang_outbox_dead", "xinfang_outbox_oldest_age_seconds",
                "xinfang_peer_last_success_timestamp_seconds", "xinfang_packets_refused", "xinfang_flags_open", "xinfang_database_bytes",
                "xinfang_wal_bytes", "xinfang_open_cases", "xinfang_notifications",
            ] {
                #expect(scrape.text.contains("# TYPE \(name) gauge"), "\(name)")
            }
            #expect(scrape.text.contains(#"xinfang_flags_open{kind="offerStuck"} 0"#), "\(scrape.text.prefix(2000))")
            #expect(scrape.text.contains(#"xinfang_notifications{state="dead"} 0"#), "\(scrape.text.prefix(2000))")
            #expect(!scrape.text.contains("张"), "no personal data")
            // Open cases by light: the one case registered today is green (its notice is due in 15 days).
            #expect(scrape.text.contains(#"xinfang_open_cases{light="green"} 1.0"#), "\(scrape.text.prefix(3000))")
            #expect(scrape.text.contains(#"xinfang_open_cases{light="red"} 0.0"#))
            // Sixteen days on, its notice is overdue: red.
            clock.advance(days: 16)
            let later = try await api.request(.get, "/metrics", headers: right).text
            #expect(later.contains(#"xinfang_open_cases{light="red"} 1.0"#), "\(later.prefix(3000))")
        }
    }

    /// What swift-metrics records lands in the node's registry under Prometheus names.
    @Test func recordedMetricsTakePrometheusNames() {
        let metrics = NodeMetrics(token: nil)
        let factory = metrics.factory()
        factory.makeCounter(label: "hb.requests", dimensions: [("hb.uri", "/api/v1/cases"), ("hb.method", "GET"), ("http.status", "200")])
            .increment(by: 2)
        let text = metrics.registry.emitToString()
        #expect(text.contains(#"hb_requests{hb_uri="/api/v1/cases",hb_method="GET",http_status="200"} 2"#), "\(text)")
    }
}
