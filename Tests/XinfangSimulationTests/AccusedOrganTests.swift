import Foundation
import Testing
import XinfangCore
import XinfangSimulation
import XinfangStore

/// Rule 5 of issue 13 (R16; 条例 Art. 30 ¶3, 46(5)): a 检举控告 naming an organ is never handed to
/// that organ, or to a unit inside its subtree, by any route. Where a user names such a receiver
/// the store refuses it (`respondent-node`); where the policy would send it there, it goes to the
/// level above and the event says why. One test per route, on the scripted simulator.
struct AccusedOrganTests {
    static let due = Date(timeIntervalSince1970: 1_796_000_000)  // 2026-11-30

    static func scripted(_ name: String) async throws -> Simulation {
        try await Simulation.scripted(
            directory: FileManager.default.temporaryDirectory.appendingPathComponent("xinfang-accused-\(name)-\(UUID().uuidString)")
        )
    }

    /// A 检举控告 naming `respondent`, registered at `node` about 芙蓉区's area.
    func complaint(_ sim: Simulation, at node: NodeID, naming respondent: NodeID, person: Int? = nil) async throws -> CaseNumber {
        try await sim.register(at: node, region: "430102") {
            $0.purpose = .accusation
            $0.respondentNode = respondent
            $0.respondent = "被反映单位"
            if let person { $0.petitioners = [Simulation.petitioner(person)] }
        }
    }

    func expectRefused(_ body: () async throws -> Void, _ comment: Comment) async {
        do {
            try await body()
            Issue.record("not refused: \(comment)")
        } catch StoreError.refused(let error) {
            #expect(error.code == "respondent-node", comment)
        } catch {
            Issue.record("refused otherwise: \(error) (\(comment))")
        }
    }

    @Test func anOfferToTheAccusedOrAUnitBelowItIsRefused() async throws {
        let sim = try await Self.scripted("offer")
        let number = try await complaint(sim, at: H.province, naming: H.changsha)
        for (to, mode) in [(H.changsha, HandoffMode.transfer), (H.furong, .assign), (H.yuelu, .transfer)] {
            await expectRefused(
                {
                    try await sim.act(at: H.province, number, .offer(to: to, mode: mode, dueAt: mode == .assign ? Self.due : nil, note: nil))
                },
                "转送/交办 to \(to)"
            )
        }
        // Outside the accused subtree it goes as usual.
        let state = try await sim.act(at: H.province, number, .offer(to: H.huaihua, mode: .transfer, dueAt: nil, note: nil))
        #expect(state.holder == H.huaihua)
        #expect(try await sim.healAndCheck() == [])
    }

    @Test func anEscalationToTheAccusedParentGoesToTheLevelAboveWithTheReason() async throws {
        let sim = try await Self.scripted("escalate")
        // Registered at the county, naming its city: 上报 may not go to the city.
        let number = try await complaint(sim, at: H.furong, naming: H.changsha)
        let state = try await sim.act(at: H.furong, number, .escalate(to: H.changsha, reason: "区级无法处理"))
        #expect(state.holder == H.province && state.pendingOffer?.to == H.province)
        let event = try #require(try await sim.store(H.furong)!.events(of: number).last)
        guard case .act(.escalate(let to, _, let routing)) = event.body else {
            Issue.record("not an escalation: \(event.body)")
            return
        }
        #expect(to == H.province)
        #expect(routing?.contains("第三十条") == true && routing?.contains("430100") == true, "the event says why: \(routing ?? "")")
        try await sim.settle()
        try await sim.act(at: H.province, number, .accept)
        try await sim.settle()
        #expect(try await sim.store(H.changsha)!.caseState(number)?.holder == H.province, "the city keeps a replica, never the case")
        #expect(try await sim.healAndCheck() == [])
    }

    /// Issue 17: the material of a 检举控告 follows the case's scope minus the accused organ and
    /// its subtree, even where the organ keeps a replica of the events.
    @Test func theAccusedOrganIsNeverHandedTheMaterial() async throws {
        let sim = try await Self.scripted("material")
        let number = try await complaint(sim, at: H.province, naming: H.changsha)
        try await sim.act(at: H.province, number, .offer(to: H.huaihua, mode: .transfer, dueAt: nil, note: nil))
        try await sim.settle()
        let state = try #require(try await sim.store(H.province)!.caseState(number))
        let topology = try #require(await sim.store(H.province)!.hierarchy?.topology)
        for node in [H.changsha, H.furong, H.yuelu] {
            #expect(!AttachmentScope.mayHold(node, state: state, topology: topology), "\(node) is the accused organ or below it")
            #expect(!AttachmentScope.mayServe(node, from: H.province, state: state, topology: topology))
        }
        #expect(AttachmentScope.mayHold(H.huaihua, state: state, topology: topology))
        #expect(AttachmentScope.mayServe(H.huaihua, from: H.province, state: state, topology: topology), "the receiver of the transfer")
        #expect(!AttachmentScope.mayServe(H.hecheng, from: H.huaihua, state: state, topology: topology), "a county that takes no part")
        // Any other case's material goes wherever its events go.
        let plain = try await sim.register(at: H.province, region: "430102")
        let other = try #require(try await sim.store(H.province)!.caseState(plain))
        #expect(AttachmentScope.mayHold(H.changsha, state: other, topology: topology))
    }

    @Test func aReassignmentCommandToTheAccusedIsRefusedByTheHolder() async throws {
        let sim = try await Self.scripted("reassign")
        let number = try await complaint(sim, at: H.changsha, naming: H.furong)
        try await sim.settle()
        // The province (the holder's parent) asks the city to reassign it to the accused county.
        _ = try await sim.command(at: H.province, number, .offer(to: H.furong, mode: .transfer, dueAt: nil, note: "改派"))
        try await sim.settle()
        let state = try #require(try await sim.store(H.changsha)!.caseState(number))
        #expect(state.holder == H.changsha && state.status == .registered)
        let last = try #require(try await sim.store(H.changsha)!.events(of: number).last)
        guard case .refuse(let code, _) = last.body else {
            Issue.record("not refused: \(last.body)")
            return
        }
        #expect(code == "respondent-node")
        #expect(try await sim.healAndCheck() == [])
    }

    @Test func theAccusedAncestorCannotRecallOrTakeItOver() async throws {
        let sim = try await Self.scripted("recall")
        // Registered at the county (a petitioner may walk in anywhere), naming the county's city.
        let number = try await complaint(sim, at: H.furong, naming: H.changsha)
        try await sim.settle()
        await expectRefused({ try await sim.forceTakeOver(at: H.changsha, number) }, "takeover by the accused city")
        _ = try await sim.command(at: H.changsha, number, .recall(by: H.changsha, reason: "提办"))
        try await sim.settle()
        let state = try #require(try await sim.store(H.furong)!.caseState(number))
        #expect(state.holder == H.furong)
        let last = try #require(try await sim.store(H.furong)!.events(of: number).last)
        guard case .refuse(let code, _) = last.body else {
            Issue.record("not refused: \(last.body)")
            return
        }
        #expect(code == "respondent-node")
        // The province, above the accused, may.
        _ = try await sim.command(at: H.province, number, .recall(by: H.province, reason: "提级办理"))
        try await sim.settle()
        #expect(try await sim.store(H.furong)!.caseState(number)?.holder == H.province)
        #expect(try await sim.healAndCheck() == [])
    }

    @Test func aReviewThePolicySendsToTheAccusedGoesToTheLevelAbove() async throws {
        let sim = try await Self.scripted("review")
        let number = try await complaint(sim, at: H.furong, naming: H.changsha)
        try await sim.act(at: H.furong, number, .notify(note: nil))
        try await sim.act(at: H.furong, number, .reply(outcome: .explained, opinion: "解释说明"))
        try await sim.act(at: H.furong, number, .close(report: nil))
        let state = try await sim.act(at: H.furong, number, .requestReview(reason: "不服", reviewer: nil))
        #expect(state.holder == H.province && state.review?.reviewer == H.province, "the city is accused: the province reviews")
        let event = try #require(try await sim.store(H.furong)!.events(of: number).last)
        guard case .act(.requestReview(_, let reviewer, let routing)) = event.body else {
            Issue.record("\(event.body)")
            return
        }
        #expect(reviewer == H.province && routing?.contains("复查") == true)
        // An explicit reviewer inside the accused subtree is refused.
        let other = try await complaint(sim, at: H.furong, naming: H.changsha)
        try await sim.act(at: H.furong, other, .notify(note: nil))
        try await sim.act(at: H.furong, other, .reply(outcome: .explained, opinion: "解释说明"))
        try await sim.act(at: H.furong, other, .close(report: nil))
        let store = try #require(await sim.store(H.furong))
        let otherState = try #require(try await store.caseState(other))
        let context = ActionContext(node: H.furong, now: await sim.currentTime, calendar: .standard, topology: store.hierarchy?.topology)
        #expect(throws: LifecycleError.respondentOrgan(H.changsha)) {
            try Lifecycle.check(.requestReview(reason: "不服", reviewer: H.changsha), on: otherState, context: context)
        }
        #expect(try await sim.healAndCheck() == [])
    }

    /// The automatic 越级访 transfer (and a ledger import, which registers through the same intake):
    /// the matter is open at the accused county, so the transfer goes to the county's city.
    @Test func theSkipLevelTransferPassesOverTheAccusedCounty() async throws {
        let sim = try await Self.scripted("skip")
        let person = 4_200
        let first = try await sim.register(at: H.furong, region: "430102") { $0.petitioners = [Simulation.petitioner(person)] }
        try await sim.act(at: H.furong, first, .notify(note: nil))
        try await sim.settle()
        let second = try await complaint(sim, at: H.province, naming: H.furong, person: person)
        let state = try #require(try await sim.store(H.province)!.caseState(second))
        #expect(state.registration.intake?.kind == .skipLevel)
        #expect(state.holder == H.changsha && state.pendingOffer?.to == H.changsha)
        let event = try #require(try await sim.store(H.province)!.events(of: second).last)
        guard case .act(.offer(_, _, _, let note)) = event.body else {
            Issue.record("\(event.body)")
            return
        }
        #expect(note?.contains("第三十条") == true)
        // Imported from a ledger (receipt long ago): the same intake, the same route.
        let now = await sim.currentTime
        var ledger = Simulation.registration(region: "430102", at: now.addingTimeInterval(-100 * 86_400), person: person)
        ledger.purpose = .accusation
        ledger.respondentNode = H.furong
        let (imported, _) = try await sim.store(H.province)!.register(ledger, actor: "台账导入", now: now, receivedAtPastMaxDays: 3_660)
        #expect(imported.holder == H.changsha)
        #expect(try await sim.healAndCheck() == [])
    }
}
