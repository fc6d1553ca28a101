import Foundation
import Testing
import XinfangCore
import XinfangStore
import XinfangSync
import XinfangTesting

/// The 查询码 is valid at every level (issue 18): the province answers for a county's case from
/// its replica, the petitioner's rating made on the province's page travels to the holder as a
/// signed command and comes back in the chain to count in the province's indicators, and a code
/// reissued at the province replaces the old one at every level.
struct PetitionerAcrossLevelsTests {
    static func form(_ c: TestCluster, at node: NodeID, _ path: String, _ values: [String: String]) async throws -> ClusterReply {
        var allowed = CharacterSet.alphanumerics
        allowed.remove(charactersIn: "+&=")
        let body = values.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&")
        return try await c.send(
            "POST",
            c.url(node, path),
            body: Data(body.utf8),
            headers: ["Authorization": "", "Content-Type": "application/x-www-form-urlencoded"]
        )
    }

    @Test(arguments: StoreBackend.allCases) func aRatingOnTheProvincesPageReachesTheHolderAndTheProvincesIndicators(
        backend: StoreBackend
    ) async throws {
        try await TestCluster.run(nodes: [H.province, H.changsha, H.furong], backend: backend) { c in
            let number = try await c.register(at: H.furong, region: "430102")
            for step in [["action": "notify"], ["action": "reply", "outcome": "supported", "opinion": "责令支付"], ["action": "close"]] {
                try await c.act(at: H.furong, number, step)
            }
            let closed = try await c.waitFor(H.province, number) { $0.status == .closed }
            let code = try c.database(H.province).personalData.openLookupCode(try #require(closed.lookup)).description
            let last4 = String(try #require(closed.registration.petitioners.first?.masked?.mobile).suffix(4))

            // The province answers from its replica, naming the county as the organ handling it.
            let page = try await Self.form(c, at: H.province, "/lookup", ["code": code, "last4": last4])
            #expect(page.status == 200, "\(page.text.prefix(300))")
            let county = try #require(c.topology.node(H.furong)?.name)
            #expect(page.text.contains(county) && page.text.contains("提交评价"))

            let rated = try await Self.form(
                c,
                at: H.province,
                "/lookup/evaluate",
                ["code": code, "last4": last4, "officeRating": "satisfied", "unitRating": "dissatisfied"]
            )
            #expect(rated.status == 200 && rated.text.contains("正在送达办理机关"), "\(rated.text.prefix(300))")
            // Applied by the holder, the event comes back up the chain.
            let evaluated = try await c.waitFor(H.province, number) { $0.evaluation != nil }
            #expect(evaluated.evaluation?.via == .online && evaluated.evaluation?.unit == .dissatisfied)
            #expect(try await c.database(H.furong).caseState(number)?.status == .evaluated)

            let today = DeadlineCalendar.standard.civilDate(of: Date())
            let stats = try await c.request("GET", H.province, "/api/v1/stats?from=\(today.adding(days: -1))&to=\(today.adding(days: 30))")
            let subtree = try #require(stats.json["subtree"] as? [String: any Sendable], "\(stats.text.prefix(300))")
            let counts = try #require(subtree["counts"] as? [String: any Sendable])
            #expect(counts["evaluated"] as? Int == 1)
            #expect(counts["officeRatings"] as? [String: Int] == ["satisfied": 1])
            #expect(counts["unitRatings"] as? [String: Int] == ["dissatisfied": 1])
            let indicators = try #require(subtree["indicators"] as? [String: any Sendable])
            #expect(indicators["officeSatisfactionRate"] as? Double == 1.0)
            #expect(indicators["unitSatisfactionRate"] as? Double == 0.0)
        }
    }

    @Test(arguments: StoreBackend.allCases) func aCodeReissuedAtTheProvinceReplacesTheOldOneAtEveryLevel(backend: StoreBackend) async throws {
        try await TestCluster.run(nodes: [H.province, H.changsha, H.furong], backend: backend) { c in
            let number = try await c.register(at: H.furong, region: "430102")
            let first = try await c.waitFor(H.province, number) { $0.lookup != nil }
            let old = try c.database(H.province).personalData.openLookupCode(try #require(first.lookup)).description
            let last4 = String(try #require(first.registration.petitioners.first?.masked?.mobile).suffix(4))
            let reissued = try await c.request("POST", H.province, "/api/v1/cases/\(number)/lookup-code")
            #expect(reissued.status == 202, "a command to the holder: \(reissued.text)")
            let new = try #require(reissued.json["lookupCode"] as? String)
            try await c.waitFor(H.province, number) { $0.lookup?.digest != first.lookup?.digest }
            for node in [H.furong, H.changsha, H.province] {
                #expect(try await Self.form(c, at: node, "/lookup", ["code": old, "last4": last4]).status == 404, "\(node): the old code is dead")
                #expect(try await Self.form(c, at: node, "/lookup", ["code": new, "last4": last4]).status == 200, "\(node): the new one works")
            }
        }
    }
}
