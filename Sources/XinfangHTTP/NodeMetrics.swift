import CoreMetrics
public import Foundation
import Metrics
public import Prometheus
public import XinfangCore
public import XinfangStore

/// A node's Prometheus metrics (issue 16). The registry holds what swift-metrics records while the
/// node runs (HTTP requests by route and status through Hummingbird's `MetricsMiddleware`, packets
/// sent, applied and refused, the apply duration) once `bootstrapProcessWide()` has made it the
/// process's metrics backend (`xinfang serve` does; tests run many nodes in one process and do
/// not). Each scrape adds the store's figures as gauges: the outbox per peer, refusals, open
/// flags, open cases by light, database and WAL bytes, and the build.
public final class NodeMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    /// The bearer token `/metrics` asks for (`metricsToken` in the configuration); nil: `/metrics`
    /// answers no one.
    public let token: String?

    /// This build's version, for `xinfang_build_info`.
    public static let version = "0.15.0"

    public init(token: String?) { self.token = token }

    /// Makes this registry the process's swift-metrics backend (once per process). Metric and
    /// label names are given Prometheus's form (`hb.requests` → `hb_requests`).
    public func bootstrapProcessWide() {
        MetricsSystem.bootstrap(factory())
    }

    /// The swift-metrics factory that records into this registry.
    public func factory() -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.nameAndLabelSanitizer = { name, labels in
            (Self.sanitized(name), labels.map { (Self.sanitized($0.0), $0.1) })
        }
        return factory
    }

    static func sanitized(_ name: String) -> String {
        String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") ? $0 : "_" })
    }

    /// The text Prometheus scrapes: the store's figures at `now`, then everything recorded.
    public func scrape(_ database: NodeDatabase, node: NodeID, now: Date, lights: DueLightRule) async throws -> String {
        let figures = try await database.operationalFigures()
        let open = try await database.backlog(now: now, lights: lights).values.reduce(into: BacklogCounts()) { $0.add($1) }
        var lines: [String] = []
        func gauge(_ name: String, _ help: String, _ samples: [(labels: String, value: Double)]) {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) gauge")
            for sample in samples { lines.append("\(name)\(sample.labels.isEmpty ? "" : "{\(sample.labels)}") \(sample.value)") }
        }
        func peer(_ p: String) -> String { "peer=\"\(Self.escaped(p))\"" }
        gauge(
            "xinfang_build_info",
            "The build and the node (value 1).",
            [(#"version="\#(Self.version)",node="\#(node.rawValue)""#, 1)]
        )
        gauge(
            "xinfang_outbox_queued",
            "Outbox items waiting for a peer (pending, failed, in flight).",
            figures.links.map { (peer($0.peer), Double($0.queued)) }
        )
        gauge("xinfang_outbox_dead", "Outbox items a peer refused for good (flagged).", figures.links.map { (peer($0.peer), Double($0.dead)) })
        gauge(
            "xinfang_outbox_oldest_age_seconds",
            "Age of the oldest item waiting for a peer (0 when none waits).",
            figures.links.map { (peer($0.peer), $0.oldestQueuedAt.map { max(0, now.timeIntervalSince($0)) } ?? 0) }
        )
        gauge(
            "xinfang_peer_last_success_timestamp_seconds",
            "When a packet to the peer was last delivered (Unix time; 0: never).",
            figures.links.map { (peer($0.peer), $0.lastSuccessAt?.timeIntervalSince1970 ?? 0) }
        )
        gauge(
            "xinfang_packets_refused",
            "Incoming packets refused, by sender and code, since the store was made.",
            figures.refusals.map { ("\(peer($0.peer)),code=\"\(Self.escaped($0.code))\"", Double($0.count)) }
        )
        gauge(
            "xinfang_flags_open",
            "Open flags (stuck offers, unreachable peers, …) by kind.",
            FlagKind.allCases.map { ("kind=\"\($0.rawValue)\"", Double(figures.openFlags[$0.rawValue] ?? 0)) }
        )
        gauge(
            "xinfang_open_cases",
            "Open cases this store holds or replicates, by 红黄绿 light of their next obligation (red: overdue).",
            [("light=\"red\"", Double(open.overdue)), ("light=\"yellow\"", Double(open.dueSoon)), ("light=\"green\"", Double(open.onTime))]
        )
        gauge(
            "xinfang_notifications",
            "Messages in the notification outbox by state (dead: a person must resend them).",
            NotificationState.allCases.map { ("state=\"\($0.rawValue)\"", Double(figures.notifications[$0.rawValue] ?? 0)) }
        )
        gauge("xinfang_database_bytes", "Bytes of the store's database pages.", [("", Double(figures.databaseBytes))])
        gauge("xinfang_wal_bytes", "Bytes of the store's write-ahead log.", [("", Double(figures.walBytes))])
        return lines.joined(separator: "\n") + "\n" + registry.emitToString()
    }

    static func escaped(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}
