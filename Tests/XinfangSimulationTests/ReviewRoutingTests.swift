import Foundation
import Testing
import XinfangCore
import XinfangSimulation
import XinfangStore

/// Rule 4 of issue 13 (条例 Art. 35, 36; R30, R31): 复查 goes to the level above the organ that
/// handled the matter (受理 and 处理意见), 复核 to the level above the reviewer, whoever holds the
/// case when the petitioner asks. One test per route a handled matter can take, each on the
/// scripted simulator (real stores, real packet receiver).
struct ReviewRoutingTests {
    static let due = Date(timeIntervalSince1970: 1_796_000_000)  // 2026-11-30

    static func scripted(_ name: String) async throws -> Simulation {
        try await Simulation.scripted(
            directory: FileManager.default.temporaryDirectory.appendingPathComponent("xinfang-review-\(name)-\(UUID().uuidString)")
        )
    }

    /// `node` accepts (if offered), gives notice, replies and closes.
    func handle(_ sim: Simulation, _ number: CaseNumber, at node: NodeID, offered: Bool) async throws {
        if offered { try await sim.act(at: node, number, .accept) }
        try await sim.act(at: node, number, .notify(note: nil))
        try await sim.act(at: node, number, .reply(outcome: .notSupported, opinion: "不予支持"))
        try await sim.act(at: node, number, .close(report: "办结报告"))
        try await sim.settle()
    }

    /// The review stage as every replica on the way sees it: requested, at `reviewer`, held there.
    func expectReview(_ sim: Simulation, _ number: CaseNumber, at reviewer: NodeID, stage: CaseStatus = .reviewRequested) async throws {
        try await sim.settle()
        for node in [H.province, H.changsha, H.furong] {
            guard let state = try await sim.store(node)?.caseState(number) else { continue }
            #expect(state.status == stage, "\(node) sees \(state.status)")
            #expect(state.holder == reviewer, "\(node): held by \(state.holder), expected \(reviewer)")
            let recorded = stage == .reviewRequested ? state.review?.reviewer : state.reReview?.reviewer
            #expect(recorded == reviewer, "\(node): the stage names \(recorded.map(\.rawValue) ?? "nil")")
        }
    }

    @Test func transferredMatterIsReviewedByTheHandlersParentAndReReviewedAboveIt() async throws {
        let sim = try await Self.scripted("transfer")
        let number = try await sim.register(at: H.province, region: "430102")
        try await sim.act(at: H.province, number, .offer(to: H.furong, mode: .transfer, dueAt: nil, note: nil))
        try await sim.settle()
        try await handle(sim, number, at: H.furong, offered: true)
        // 转送: the county keeps the case after closing; the petitioner's request is recorded there.
        try await sim.act(at: H.furong, number, .requestReview(reason: "不服处理意见", reviewer: nil))
        try await expectReview(sim, number, at: H.changsha)
        try await sim.act(at: H.changsha, number, .decideReview(outcome: .notSupported, opinion: "维持"))
        try await sim.act(at: H.changsha, number, .requestReReview(reason: "不服复查意见", reviewer: nil))
        try await expectReview(sim, number, at: H.province, stage: .reReviewRequested)
        #expect(try await sim.healAndCheck() == [])
    }

    @Test func matterAssignedByTheCityIsReviewedByTheCityItself() async throws {
        let sim = try await Self.scripted("assign-city")
        let number = try await sim.register(at: H.changsha, region: "430102")
        try await sim.act(at: H.changsha, number, .offer(to: H.furong, mode: .assign, dueAt: Self.due, note: nil))
        try await sim.settle()
        try await handle(sim, number, at: H.furong, offered: true)
        try await sim.act(at: H.changsha, number, .verifyClosure(note: "认定办结"))
        // The handler is the county: the level above it is the city that assigned it, not the
        // province above the assigner (which the old rule chose, skipping a level).
        try await sim.act(at: H.changsha, number, .requestReview(reason: "不服处理意见", reviewer: nil))
        try await expectReview(sim, number, at: H.changsha)
        try await sim.act(at: H.changsha, number, .decideReview(outcome: .notSupported, opinion: "维持"))
        try await sim.act(at: H.changsha, number, .requestReReview(reason: "不服复查意见", reviewer: nil))
        try await expectReview(sim, number, at: H.province, stage: .reReviewRequested)
        #expect(try await sim.healAndCheck() == [])
    }

    @Test func matterAssignedByTheProvinceIsReviewedByTheHandlersCity() async throws {
        let sim = try await Self.scripted("assign-province")
        var numbers: [CaseNumber] = []
        for _ in 0..<3 {
            let number = try await sim.register(at: H.province, region: "430102")
            try await sim.act(at: H.province, number, .offer(to: H.furong, mode: .assign, dueAt: Self.due, note: nil))
            try await sim.settle()
            try await handle(sim, number, at: H.furong, offered: true)
            try await sim.act(at: H.province, number, .verifyClosure(note: "认定办结"))
            try await sim.settle()
            numbers.append(number)
        }
        // Recorded by the province, which holds the verified case: it goes down to the city.
        try await sim.act(at: H.province, numbers[0], .requestReview(reason: "不服处理意见", reviewer: nil))
        try await expectReview(sim, numbers[0], at: H.changsha)
        // Asked at the city, the reviewer the policy names: a command the province applies.
        _ = try await sim.command(at: H.changsha, numbers[1], .requestReview(reason: "不服处理意见", reviewer: nil))
        try await expectReview(sim, numbers[1], at: H.changsha)
        // Asked at a sibling county, neither the holder's parent nor the reviewer: its own node
        // refuses it at once (it does not even know the case)…
        await #expect(throws: StoreError.caseNotFound(numbers[2])) {
            _ = try await sim.command(at: H.yuelu, numbers[2], .requestReview(reason: "不服处理意见", reviewer: nil))
        }
        // …and one sent anyway, past the origin's checks, is refused by the holder and recorded.
        _ = try await sim.rawCommand(at: H.yuelu, numbers[2], .requestReview(reason: "不服处理意见", reviewer: nil))
        try await sim.settle()
        let refused = try #require(try await sim.store(H.province)!.caseState(numbers[2]))
        #expect(refused.status == .closureVerified && refused.holder == H.province)
        let last = try #require(try await sim.store(H.province)!.events(of: numbers[2]).last)
        #expect(last.body == .refuse(code: "not-the-reviewer", detail: last.body.refusalDetail ?? ""))
        #expect(try await sim.healAndCheck() == [])
    }

    @Test func matterEscalatedAndHandledByTheCityIsReviewedByTheProvince() async throws {
        let sim = try await Self.scripted("escalated")
        let number = try await sim.register(at: H.furong, region: "430102")
        try await sim.act(at: H.furong, number, .escalate(to: H.changsha, reason: "涉及跨区企业，区级无法协调"))
        try await sim.settle()
        try await handle(sim, number, at: H.changsha, offered: true)
        try await sim.act(at: H.changsha, number, .requestReview(reason: "不服处理意见", reviewer: nil))
        try await expectReview(sim, number, at: H.province)
        // The province's parent is outside the tree: the re-review stays with the province,
        // which records it (the level above it is not a node of this system).
        try await sim.act(at: H.province, number, .decideReview(outcome: .notSupported, opinion: "维持"))
        try await sim.act(at: H.province, number, .requestReReview(reason: "不服复查意见", reviewer: nil))
        try await expectReview(sim, number, at: H.province, stage: .reReviewRequested)
        #expect(try await sim.healAndCheck() == [])
    }

    /// A ledger import registers at the importing node with its receipt date in the past (the
    /// path `xinfang import` takes); the node that handles it is what the review follows.
    @Test func importedMatterHandledAtTheCountyIsReviewedByTheCity() async throws {
        let sim = try await Self.scripted("imported")
        let now = await sim.currentTime
        let registration = Simulation.registration(region: "430102", at: now.addingTimeInterval(-200 * 86_400), person: 4_100)
        let (imported, _) = try await sim.store(H.furong)!.register(registration, actor: "台账导入", now: now, receivedAtPastMaxDays: 3_660)
        try await handle(sim, imported.caseNumber, at: H.furong, offered: false)
        try await sim.act(at: H.furong, imported.caseNumber, .requestReview(reason: "不服处理意见", reviewer: nil))
        try await expectReview(sim, imported.caseNumber, at: H.changsha)
        #expect(try await sim.healAndCheck() == [])
    }
}

extension CaseEventBody {
    /// The detail of a refused command's event.
    var refusalDetail: String? {
        if case .refuse(_, let detail) = self { return detail }
        return nil
    }
}
