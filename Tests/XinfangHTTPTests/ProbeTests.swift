import Foundation
import HTTPTypes
import Testing
import XinfangCore
import XinfangStore
import XinfangTesting

/// `/healthz` and `/readyz` for load balancers and systemd (issue 16): they answer without
/// credentials and then reveal nothing but their status and checks.
struct ProbeTests {
    @Test func probesAnswerWithoutCredentialsAndRevealNoData() async throws {
        let node = try TestNode()
        _ = try await node.database.register(Fixtures.registration(receivedAt: node.clock.now()), actor: "李娜", now: node.clock.now())
        try await node.withAPI(as: nil) { api in
            let health = try await api.request(.get, "/healthz")
            #expect(health.status == 200 && health["status"] == "ok")
            #expect(health.json["node"] == nil && health.json["name"] == nil)
            let ready = try await api.request(.get, "/readyz")
            #expect(ready.status == 200 && ready["status"] == "ready", "\(ready.text)")
            let checks = try #require(ready.json["checks"] as? [String: String])
            #expect(checks["store"] == "ok" && checks["calendar"] == "ok", "\(checks)")
            #expect(ready.json["cases"] == nil && ready.json["events"] == nil && ready.json["node"] == nil, "\(ready.text)")
            #expect(try await api.request(.get, "/api/v1/cases").status == 401, "only the probes are open")
        }
        try await node.withAPI { api in
            let ready = try await api.request(.get, "/readyz")
            #expect(ready.status == 200 && ready.json["cases"] as? Int == 1 && ready["node"] == Fixtures.county.rawValue, "\(ready.text)")
        }
    }
}

/// A known path asked with a method it does not answer (issue 16).
struct MethodNotAllowedTests {
    @Test func aKnownPathWithAnotherMethodIs405WithAllow() async throws {
        let node = try TestNode()
        try await node.withAPI { api in
            let cases = try await api.request(.delete, "/api/v1/cases")
            #expect(cases.status == 405 && cases["code"] == "method-not-allowed", "\(cases.text)")
            #expect(cases.headers[.allow] == "GET, POST", "\(cases.headers)")
            let action = try await api.request(.get, "/api/v1/cases/430102-20261102-00001/actions")
            #expect(action.status == 405 && action.headers[.allow] == "POST", "\(action.text)")
            #expect(try await api.request(.get, "/api/v1/nothing-here").status == 404, "an unknown path stays 404")
        }
    }
}
