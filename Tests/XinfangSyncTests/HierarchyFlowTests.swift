import Foundation
import Testing
import XinfangCore
import XinfangStore
import XinfangTesting

typealias H = ExampleHierarchy

/// The flows the users name (issue 3), each end to end across real nodes talking the peer
/// protocol over HTTP on loopback.
struct HierarchyFlowTests {
    static let due = "2026-12-31"

    /// The chain of `number` is identical at every node listed, and has `count` events.
    func expectSameChain(_ cluster: TestCluster, _ number: CaseNumber, at nodes: [NodeID], count: Int) async throws {
        let deadline = Date().addingTimeInterval(5)
        var chains: [NodeID: [String]] = [:]
        while Date() < deadline {
            chains = try await cluster.chains(number, at: nodes)
            if Set(chains.values.map { $0 }).count == 1, chains.values.first?.count == count { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("chains of \(number) differ: \(chains.mapValues(\.count))")
    }

    @Test(arguments: StoreBackend.allCases) func provinceAssignsToACountyThroughTheCityAndTheCountyClosesIt(backend: StoreBackend) async throws {
        try await TestCluster.run(backend: backend) { c in
            let number = try await c.register(at: H.province, region: "430102")
            try await c.act(at: H.province, number, ["action": "offer", "to": "430102", "mode": "assign", "dueAt": Self.due])
            // The packet travels province → city → county; the city sees it pass.
            try await c.waitFor(H.changsha, number) { $0.status == .offered && $0.holder == H.furong }
            let atCounty = try await c.waitFor(H.furong, number) { $0.status == .offered }
            #expect(atCounty.holder == H.furong && atCounty.owner == H.province)
            try await c.act(at: H.furong, number, ["action": "accept"])
            try await c.act(at: H.furong, number, ["action": "notify"])
            try await c.act(at: H.furong, number, ["action": "reply", "outcome": "supported", "opinion": "责令限期支付"])
            try await c.act(at: H.furong, number, ["action": "close", "report": "办结报告"])
            // The closure goes back up to the assigner, who now holds the case.
            let atProvince = try await c.waitFor(H.province, number) { $0.status == .closed }
            #expect(atProvince.holder == H.province && atProvince.assignment?.assigner == H.province)
            try await expectSameChain(c, number, at: [H.province, H.changsha, H.furong], count: 6)
            // A sibling county and the other city never see it.
            #expect(try await c.database(H.yuelu).caseState(number) == nil)
            #expect(try await c.database(H.huaihua).caseState(number) == nil)
        }
    }

    @Test(arguments: StoreBackend.allCases) func theAssignerVerifiesAClosureOrReturnsItForRework(backend: StoreBackend) async throws {
        try await TestCluster.run(nodes: [H.province, H.changsha, H.furong], backend: backend) { c in
            var numbers: [CaseNumber] = []
            for _ in 0..<2 {
                let number = try await c.register(at: H.province, region: "430102")
                try await c.act(at: H.province, number, ["action": "offer", "to": "430102", "mode": "assign", "dueAt": Self.due])
                try await c.waitFor(H.furong, number) { $0.status == .offered }
                for fields: [String: any Sendable] in [
                    ["action": "accept"], ["action": "notify"], ["action": "reply", "outcome": "explained", "opinion": "解释说明"],
                    ["action": "close"],
                ] { try await c.act(at: H.furong, number, fields) }
                try await c.waitFor(H.province, number) { $0.status == .closed && $0.holder == H.province }
                numbers.append(number)
            }
            // Verified: locked at the province; the county can no longer act on it.
            try await c.act(at: H.province, numbers[0], ["action": "verifyClosure", "note": "认定办结"])
            try await c.waitFor(H.furong, numbers[0]) { $0.status == .closureVerified }
            try await c.act(at: H.furong, numbers[0], ["action": "reply", "outcome": "supported", "opinion": "x"], expect: 409)
            // Returned: the token goes back to the county for rework.
            try await c.act(at: H.province, numbers[1], ["action": "returnClosure", "reason": "事实不清"])
            let reworked = try await c.waitFor(H.furong, numbers[1]) { $0.status == .accepted }
            #expect(reworked.holder == H.furong && reworked.closureReturns == 1)
            try await c.act(at: H.furong, numbers[1], ["action": "reply", "outcome": "supported", "opinion": "重新答复"])
        }
    }

    @Test(arguments: StoreBackend.allCases) func aCountyEscalatesAndTheParentAcceptsOrDeclines(backend: StoreBackend) async throws {
        try await TestCluster.run(nodes: [H.province, H.changsha, H.furong], backend: backend) { c in
            let accepted = try await c.register(at: H.furong, region: "430102")
            try await c.act(at: H.furong, accepted, ["action": "notify"])
            try await c.act(at: H.furong, accepted, ["action": "escalate", "reason": "涉及跨区企业欠薪，区级无法协调"])
            try await c.waitFor(H.changsha, accepted) { $0.status == .offered && $0.holder == H.changsha }
            try await c.act(at: H.changsha, accepted, ["action": "accept"])
            let taken = try await c.waitFor(H.furong, accepted) { $0.status == .received }
            #expect(taken.holder == H.changsha && taken.owner == H.changsha)

            let declined = try await c.register(at: H.furong, region: "430102")
            try await c.act(at: H.furong, declined, ["action": "notify"])
            try await c.act(at: H.furong, declined, ["action": "escalate", "reason": "请求上级协调"])
            try await c.waitFor(H.changsha, declined) { $0.status == .offered }
            try await c.act(at: H.changsha, declined, ["action": "decline", "reason": "属区级职责，应就地解决"])
            let back = try await c.waitFor(H.furong, declined) { $0.holder == H.furong && $0.pendingOffer == nil }
            #expect(back.status == .accepted, "a declined escalation resumes where it was")
        }
    }

    @Test(arguments: StoreBackend.allCases) func aWrongCountyDeclinesAndTheCaseIsReroutedWithItsHistory(backend: StoreBackend) async throws {
        try await TestCluster.run(nodes: [H.province, H.changsha, H.furong, H.yuelu], backend: backend) { c in
            // The matter is in 岳麓区, but the province assigns it to 芙蓉区.
            let number = try await c.register(at: H.province, region: "430104")
            try await c.act(at: H.province, number, ["action": "offer", "to": "430102", "mode": "assign", "dueAt": Self.due])
            try await c.waitFor(H.furong, number) { $0.status == .offered }
            try await c.act(at: H.furong, number, ["action": "decline", "reason": "问题属地在岳麓区，不属本区管辖"])
            try await c.waitFor(H.province, number) { $0.status == .declined && $0.holder == H.province }
            try await c.act(at: H.province, number, ["action": "offer", "to": "430104", "mode": "assign", "dueAt": Self.due])
            try await c.waitFor(H.yuelu, number) { $0.status == .offered }
            try await c.act(at: H.yuelu, number, ["action": "accept"])
            let final = try await c.waitFor(H.province, number) { $0.status == .received && $0.holder == H.yuelu }
            #expect(final.lastDecline?.to == H.furong)
            try await expectSameChain(c, number, at: [H.province, H.changsha, H.furong, H.yuelu], count: 5)
        }
    }

    @Test(arguments: StoreBackend.allCases) func reviewGoesToTheHandlersParentAndReReviewToTheGrandparent(backend: StoreBackend) async throws {
        try await TestCluster.run(nodes: [H.province, H.changsha, H.furong], backend: backend) { c in
            let number = try await c.register(at: H.furong, region: "430102")
            for fields: [String: any Sendable] in [
                ["action": "notify"], ["action": "reply", "outcome": "notSupported", "opinion": "不予支持"], ["action": "close"],
            ] { try await c.act(at: H.furong, number, fields) }
            try await c.waitFor(H.changsha, number) { $0.status == .closed }
            // The petitioner asks the city for review: a command to the county, which hands it up.
            let reply = try await c.act(at: H.changsha, number, ["action": "requestReview", "reason": "不服处理意见"], expect: 202)
            #expect(reply.json["commandId"] is String)
            let inReview = try await c.waitFor(H.changsha, number) { $0.status == .reviewRequested }
            #expect(inReview.holder == H.changsha, "复查 belongs to the parent of the handler")
            try await c.act(at: H.changsha, number, ["action": "decideReview", "outcome": "notSupported", "opinion": "维持"])
            try await c.waitFor(H.province, number) { $0.status == .reviewDecided }
            try await c.act(at: H.province, number, ["action": "requestReReview", "reason": "不服复查意见"], expect: 202)
            let inReReview = try await c.waitFor(H.province, number) { $0.status == .reReviewRequested }
            #expect(inReReview.holder == H.province, "复核 belongs to the grandparent")
            try await c.act(at: H.province, number, ["action": "decideReReview", "outcome": "notSupported", "opinion": "维持"])
            try await c.act(at: H.province, number, ["action": "terminate", "reason": "复核终结"])
            try await c.waitFor(H.furong, number) { $0.status == .terminated }
        }
    }

    @Test(arguments: StoreBackend.allCases) func aSkipLevelVisitAtTheProvinceIsRegisteredRoutedAndCounted(backend: StoreBackend) async throws {
        try await TestCluster.run(nodes: [H.province, H.changsha, H.furong], backend: backend) { c in
            let number = try await c.register(at: H.province, region: "430102", summary: "越级走访反映欠薪")
            let view = try await c.request("GET", H.province, "/api/v1/cases/\(number)")
            let routing = try #require(view.json["routing"] as? [String: any Sendable])
            #expect(routing["skipLevel"] as? Bool == true)
            #expect(routing["awaitsTransfer"] as? Bool == true)
            #expect(routing["competentNode"] as? String == "430102")
            let counted = try await c.request("GET", H.province, "/api/v1/cases?skipLevel=true")
            #expect((counted.json["items"] as? [Any])?.count == 1)
            try await c.act(at: H.province, number, ["action": "offer", "to": "430102", "mode": "transfer"])
            try await c.waitFor(H.furong, number) { $0.status == .offered }
            try await c.act(at: H.furong, number, ["action": "accept"])
            try await c.waitFor(H.province, number) { $0.holder == H.furong && $0.status == .received }
            let cityRegistered = try await c.register(at: H.changsha, region: "430102")
            let stepwise = try await c.request("GET", H.changsha, "/api/v1/cases/\(cityRegistered)")
            #expect((stepwise.json["routing"] as? [String: any Sendable])?["skipLevel"] as? Bool == false, "one level up is 逐级")
        }
    }

    @Test(arguments: StoreBackend.allCases) func superiorsSuperviseAndRecallByCommandAndThePageShowsItPending(backend: StoreBackend) async throws {
        try await TestCluster.run(nodes: [H.province, H.changsha, H.furong], backend: backend) { c in
            let number = try await c.register(at: H.furong, region: "430102")
            try await c.act(at: H.furong, number, ["action": "notify"])
            try await c.waitFor(H.province, number) { $0.status == .accepted }
            let supervised = try await c.act(
                at: H.province,
                number,
                ["action": "supervise", "dueAt": Self.due, "note": "请于月底前书面反馈"],
                expect: 202
            )
            let id = try #require(supervised.json["commandId"] as? String)
            let pressed = try await c.waitFor(H.furong, number) { $0.openSupervision != nil }
            #expect(pressed.openSupervision?.by == H.province)
            try await c.waitFor(H.province, number) { $0.openSupervision != nil }
            let status = try await c.request("GET", H.province, "/api/v1/commands/\(id)")
            #expect(status.json["status"] as? String == "applied")
            try await c.act(at: H.furong, number, ["action": "supervisionFeedback", "text": "已约谈企业，款项本周支付"])
            try await c.waitFor(H.province, number) { $0.openSupervision == nil && $0.supervisions.count == 1 }
            // A county cannot give orders upwards, and holder-only actions cannot be commanded.
            let other = try await c.register(at: H.changsha, region: "430102")
            try await c.waitFor(H.province, other) { _ in true }
            try await c.act(at: H.province, other, ["action": "notify"], expect: 409)
            // The city recalls the county's case (提办).
            try await c.act(at: H.changsha, number, ["action": "recall", "reason": "提级办理"], expect: 202)
            let recalled = try await c.waitFor(H.furong, number) { $0.holder == H.changsha }
            #expect(recalled.status == .received)
        }
    }

    @Test(arguments: StoreBackend.allCases) func aRepeatPetitionRegisteredElsewhereIsLinkedAtTheHolder(backend: StoreBackend) async throws {
        try await TestCluster.run(nodes: [H.province, H.changsha, H.furong], backend: backend) { c in
            let first = try await c.register(at: H.furong, region: "430102")
            try await c.waitFor(H.province, first) { _ in true }
            var body = Fixtures.registrationJSON(region: "430102")
            body = body.replacingOccurrences(of: "\"registeredBy\"", with: "\"linkedCases\":[\"\(first)\"],\"registeredBy\"")
            let again = try await c.send("POST", c.url(H.province, "/api/v1/cases"), body: Data(body.utf8))
            #expect(again.status == 201)
            let linked = try await c.waitFor(H.furong, first) { !$0.repeats.isEmpty }
            #expect(linked.repeats.first?.rawValue == again.json["caseNumber"] as? String)
        }
    }
}
