import Foundation
import Testing
import XinfangCore
import XinfangStore
import XinfangTesting

/// The takeover, the conflicts and the flags through the API of real nodes over loopback HTTP.
struct TakeOverAPITests {
    @Test(arguments: StoreBackend.allCases) func anAncestorTakesOverThroughTheAPIAndOthersAreRefused(backend: StoreBackend) async throws {
        try await TestCluster.run(nodes: [H.province, H.changsha, H.furong, H.yuelu], backend: backend) { c in
            let number = try await c.register(at: H.furong, region: "430102")
            try await c.waitFor(H.province, number) { $0.holder == H.furong }
            let view = try await c.request("GET", H.changsha, "/api/v1/cases/\(number)")
            #expect((view.json["allowedActions"] as? [String])?.contains("takeOver") == true, "offered to an ancestor")
            let body: [String: any Sendable] = ["action": "takeOver", "reason": "区级长期未响应"]
            let byHolder = try await c.act(at: H.furong, number, body, expect: 403)
            #expect(byHolder.json["code"] as? String == "not-an-ancestor")
            let bySibling = try await c.act(at: H.yuelu, number, body, expect: 404)
            #expect(bySibling.json["code"] as? String == "case-not-found", "a sibling county does not even see it")
            let taken = try await c.act(at: H.changsha, number, body)
            #expect(taken.json["holder"] as? String == "430100" && taken.json["epoch"] as? Int == 1)
            let atCounty = try await c.waitFor(H.furong, number) { $0.holder == H.changsha }
            #expect(atCounty.epoch == 1)
            #expect(try await c.database(H.furong).conflicts(of: number).isEmpty, "the holder had not moved on: no fork")
            let refused = try await c.act(at: H.furong, number, ["action": "notify"], expect: 404)
            #expect(refused.json["code"] as? String == "case-not-found", "the city took it over: the county no longer sees it")
            let reconcile = try await c.request("POST", H.province, "/api/v1/reconcile")
            #expect(reconcile.status == 200 && (reconcile.json["reconcile"] as? [String: Any])?["node"] as? String == "430000")
            let flags = try await c.request("GET", H.province, "/api/v1/flags?open=all")
            #expect(flags.status == 200 && flags.json["items"] is [Any])
        }
    }
}
