import ArgumentParser
import Foundation
import Hummingbird
import Logging
import XinfangCore
import XinfangHTTP
import XinfangStore
import XinfangSync

/// P10: the dashboard at a province holding P3's store (a million cases in its subtree), as a
/// leader opens it: the landing page and 50-row lists, over HTTP on loopback, each timed by the
/// server's own `Server-Timing` (the time from the request's arrival to its answer, without the
/// network) and by the client. Limit: the same for `/healthz`, which reads nothing.
enum DashboardScenario {
    /// Server and client milliseconds of `repeats` requests after one warm-up, sorted.
    static func measure(
        _ label: String,
        _ url: URL,
        token: String,
        repeats: Int,
        client: HTTPExchange
    ) async throws -> (server: [Double], client: [Double]) {
        var server: [Double] = []
        var total: [Double] = []
        for round in 0...repeats {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let reply = await client.send("GET", url, headers: ["Authorization": "Bearer \(token)"])
            let elapsed = milliseconds(since: t0)
            guard reply.status == 200 else {
                throw ValidationError(
                    "P10: \(url.path) answered \(reply.status) \(reply.failure ?? String(decoding: reply.body.prefix(200), as: UTF8.self))"
                )
            }
            guard let timing = reply.headers["server-timing"], let ms = Double(timing.split(separator: "=").last ?? "") else {
                throw ValidationError("P10: \(url.path) has no Server-Timing header")
            }
            if round > 0 {
                server.append(ms)
                total.append(elapsed)
            }
        }
        server.sort()
        total.sort()
        progress(
            String(
                format: "P10: %@: server p50 %.1f ms, p99 %.1f ms; client p50 %.1f ms",
                label,
                percentile(server, 0.5),
                percentile(server, 0.99),
                percentile(total, 0.5)
            )
        )
        return (server, total)
    }

    /// A leader of the province and a bearer token of theirs.
    static func leaderToken(_ database: NodeDatabase, now: Date) async throws -> String {
        let leader = try await database.accounts.createUser(
            NewUser(username: "bench-leader", displayName: "领导·基准", role: .leader, passwordHash: nil, totpSecret: nil),
            by: "bench",
            now: now
        )
        return try await database.issueToken(
            userID: leader.id,
            name: "bench",
            scope: leader.role.permissions.sorted(),
            now: now,
            expiresAt: now.addingTimeInterval(86_400)
        ).secret
    }

    static func run(services: NodeServices, cases: Int, repeats: Int) async throws -> [BenchRow] {
        let token = try await leaderToken(services.database, now: Date())
        var logger = Logger(label: "xinfang.bench.dashboard")
        logger.logLevel = .critical
        let port = try freeLoopbackPort()
        let (started, signalStarted) = AsyncStream<Void>.makeStream()
        let app = NodeApplication.application(services: services, host: "127.0.0.1", port: port, logger: logger) { _ in signalStarted.yield() }
        return try await withThrowingTaskGroup(of: [BenchRow]?.self) { group in
            group.addTask {
                try await app.runService()
                return nil
            }
            for await _ in started { break }
            // The node runs its first reconciliation round as it starts (every open case's flags):
            // the pages are timed after it, as a leader meets them between rounds.
            let waitStarted = Date()
            while try await services.database.lastReconciledAt() == nil {
                guard Date().timeIntervalSince(waitStarted) < 900 else { throw ValidationError("P10: no reconciliation round in 900 s") }
                try await Task.sleep(for: .milliseconds(200))
            }
            progress(
                String(format: "P10: the node's first reconciliation round ended %.1f s after it started", Date().timeIntervalSince(waitStarted))
            )
            // The rounds after it, every few minutes, evaluate only the cases whose answer may
            // have changed (`CaseFlagMemo`): one timed here, nothing having changed since.
            let roundStarted = DispatchTime.now().uptimeNanoseconds
            let round = try await services.database.reconcile(now: Date(), limits: services.reconciliation)
            progress(
                String(
                    format: "P10: a second reconciliation round: %.0f ms, %d open cases scanned, %d evaluated (resident %.0f MB)",
                    milliseconds(since: roundStarted),
                    round.casesScanned,
                    round.casesEvaluated,
                    ProcessMemory.megabytes("VmRSS")
                )
            )
            let client = HTTPExchange(timeoutSeconds: 60)
            let base = "http://127.0.0.1:\(port)"
            func time(_ label: String, _ path: String) async throws -> (server: [Double], client: [Double]) {
                try await measure(label, URL(string: base + path)!, token: token, repeats: repeats, client: client)
            }
            let floor = try await time("/healthz", "/healthz")
            let views = [
                ("landing page (/)", "/"),
                ("case list, 50 rows, newest first", "/ui/cases"),
                ("case list, 50 rows, overdue", "/ui/cases?overdue=true"),
            ]
            var rows: [BenchRow] = []
            for (label, path) in views {
                let measured = try await time(label, path)
                let p50 = percentile(measured.server, 0.5)
                rows.append(
                    BenchRow(
                        id: "P10",
                        scenario: "dashboard, \(label), province, \(grouped(Double(cases))) cases in its subtree",
                        figure: String(
                            format: "server p50 %.1f ms, p99 %.1f ms (client %.1f ms)",
                            p50,
                            percentile(measured.server, 0.99),
                            percentile(measured.client, 0.5)
                        ),
                        limit: String(
                            format: "/healthz server %.2f ms, client %.1f ms",
                            percentile(floor.server, 0.5),
                            percentile(floor.client, 0.5)
                        ),
                        ratio: p50 / max(percentile(floor.server, 0.5), 0.01),
                        goal: "server p50 ≤ 100 ms",
                        met: p50 <= 100
                    )
                )
            }
            group.cancelAll()
            return rows
        }!
    }
}
