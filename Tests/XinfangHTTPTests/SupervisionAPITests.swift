import Foundation
import HTTPTypes
import Testing
import XinfangCore
import XinfangStore
import XinfangTesting

/// `GET /api/v1/backlog` and `GET /api/v1/stats` through the router: the figures the store
/// computes, in the documented shape.
struct SupervisionAPITests {
    @Test func backlogAndStatsAnswerWithTheStoresFigures() async throws {
        let node = try TestNode()
        let today = node.database.calendar.civilDate(of: node.clock.now())
        try await node.withAPI { api in
            let first = try await api.request(.post, "/api/v1/cases", body: Fixtures.registrationJSON())
            let second = try await api.request(.post, "/api/v1/cases", body: Fixtures.registrationJSON(summary: "反映未缴社保"))
            let number = try #require(first["caseNumber"])
            #expect(second.status == 201)
            node.clock.advance(days: 2)
            #expect(try await api.act(number, ["action": "notify", "actor": "周敏"]).status == 200)
            node.clock.advance(days: 18)

            let backlog = try await api.request(.get, "/api/v1/backlog")
            #expect(backlog.status == 200)
            let subtree = try #require(backlog.json["subtree"] as? [String: any Sendable])
            #expect(subtree["open"] as? Int == 2)
            #expect(subtree["byStatus"] as? [String: Int] == ["accepted": 1, "registered": 1])
            #expect(subtree["byAge"] as? [String: Int] == ["16-30": 2])
            // The untouched case's 15-day notice period has ended.
            #expect(subtree["overdueByKind"] as? [String: Int] == ["notice": 1])
            #expect((backlog.json["children"] as? [Any])?.isEmpty == true)

            let stats = try await api.request(.get, "/api/v1/stats?from=\(today.adding(days: -1))&to=\(today.adding(days: 30))")
            #expect(stats.status == 200, "\(stats.text.prefix(300))")
            #expect(stats["from"] == "\(today.adding(days: -1))")
            let view = try #require(stats.json["subtree"] as? [String: any Sendable])
            let counts = try #require(view["counts"] as? [String: any Sendable])
            #expect(counts["registered"] as? Int == 2)
            #expect(counts["acceptDue"] as? Int == 2)
            #expect(counts["acceptedOnTime"] as? Int == 1)
            #expect(counts["notAcceptedOverdue"] as? Int == 1)
            let indicators = try #require(view["indicators"] as? [String: any Sendable])
            #expect(indicators["timelyAcceptanceRate"] as? Double == 0.5)
            #expect(indicators["evaluationRate"] == nil, "no evaluation was due: no rate, not 0 %")

            // A period before anything was registered has empty populations.
            let empty = try await api.request(.get, "/api/v1/stats?from=2020-01-01&to=2020-12-31")
            let emptyCounts = (empty.json["subtree"] as? [String: any Sendable])?["counts"] as? [String: any Sendable]
            #expect(emptyCounts?["registered"] as? Int == 0)
        }
    }
}
