import Foundation
import Testing
import XinfangCore
import XinfangSimulation
import XinfangStore

@testable import XinfangHTTP

/// The cross-level backlog on the simulator: who holds what, for how long, what is overdue, what
/// is owed to an assigner or a 督办, and the drill-down from the province to a county.
struct BacklogTests {
    static let day = 86_400.0

    /// P: the province assigns (交办) a matter to 芙蓉区 (due day 30), accepted there on day 1 and
    /// pressed by a 督办 (feedback due day 10). Q: registered at 芙蓉区 and left alone. R: 岳麓区
    /// escalates to 长沙市, which declines, then escalates again and the city accepts (day 2).
    /// Returns the case numbers and now (day 20, after a reconciliation round at the province).
    static func play(_ sim: Simulation) async throws -> (p: CaseNumber, q: CaseNumber, r: CaseNumber, now: Date) {
        let start = await sim.currentTime
        func at(_ d: Double) async {
            let target = start.addingTimeInterval(d * Self.day)
            let current = await sim.currentTime
            if target > current { await sim.wait(seconds: target.timeIntervalSince(current)) }
        }
        let p = try await sim.register(at: H.province, region: "430102")
        try await sim.act(at: H.province, p, .offer(to: H.furong, mode: .assign, dueAt: start.addingTimeInterval(30 * Self.day), note: nil))
        let q = try await sim.register(at: H.furong, region: "430102")
        let r = try await sim.register(at: H.yuelu, region: "430104")
        try await sim.settle()
        await at(1)
        try await sim.act(at: H.furong, p, .accept)
        try await sim.act(at: H.furong, p, .notify(note: nil))
        try await sim.act(at: H.yuelu, r, .escalate(to: H.changsha, reason: "重大疑难"))
        try await sim.settle()
        try await sim.act(at: H.changsha, r, .decline(reason: "应由区级办理"))
        try await sim.settle()
        await at(2)
        try await sim.act(at: H.yuelu, r, .escalate(to: H.changsha, reason: "再次上报"))
        try await sim.settle()
        try await sim.act(at: H.changsha, r, .accept)
        _ = try await sim.command(at: H.province, p, .supervise(by: H.province, dueAt: start.addingTimeInterval(10 * Self.day), note: "请反馈"))
        try await sim.settle()
        await at(20)
        try await sim.reconcile(at: H.province)
        return (p, q, r, await sim.currentTime)
    }

    @Test func theProvinceSeesTheOpenWorkOfEveryLevelBelowIt() async throws {
        let sim = try await Simulation.scripted(
            directory: FileManager.default.temporaryDirectory
                .appendingPathComponent("xinfang-backlog-\(UUID().uuidString)")
        )
        let (_, _, r, now) = try await Self.play(sim)

        let store = await sim.store(H.province)!
        let perNode = try await store.backlog(now: now, lights: DueLightRule(now: now, workingDays: 3, calendar: store.calendar))
        let furong = try #require(perNode[H.furong])
        // P (accepted, held since the offer on day 0) and Q (registered day 0): both 20 days old.
        #expect(furong.open == 2)
        #expect(furong.byStatus == ["accepted": 1, "registered": 1])
        #expect(furong.byPhase == ["handling": 1, "intake": 1])
        #expect(furong.byAge == ["16-30": 2])
        // Q's notice period ended on day 15; P's next obligation is the 交办 due date, day 30.
        #expect(furong.overdue == 1)
        #expect(furong.overdueByKind == ["notice": 1])
        #expect(furong.awaitingClosureReport == 1)
        #expect(furong.awaitingSupervisionFeedback == 1)
        #expect(furong.supervisionFeedbackOverdue == 1)
        // R: held by the city since day 2; its notice period from that handoff ended on day 17.
        let changsha = try #require(perNode[H.changsha])
        #expect(changsha.open == 1)
        #expect(changsha.byStatus == ["received": 1])
        #expect(changsha.byAge == ["16-30": 1])
        #expect(changsha.overdueByKind == ["notice": 1])
        #expect(perNode[H.yuelu]?.open ?? 0 == 0)
        #expect(perNode[H.province]?.open ?? 0 == 0)

        // The flags counted per node are the open flags the flag list shows for that node.
        var query = FlagQuery()
        query.within = H.furong
        query.limit = FlagQuery.limitMax
        let furongFlags = try await store.flags(matching: query).filter { $0.flag.node == H.furong }
        #expect(furong.flags == Set(furongFlags.map { "\($0.flag.kind)|\($0.flag.subject)|\($0.flag.detailKey)" }).count)
        #expect((furong.flagsByKind["overdue"] ?? 0) >= 1, "Q's missed notice is flagged")

        // The report: the subtree, each child subtree for the drill-down, per node and per level.
        let services = NodeServices(identity: NodeIdentity(id: H.province, name: "湖南省", level: .province), database: store)
        let report = try await BacklogReport(scope: SupervisionScope(services: services, node: nil), services: services, now: now)
        #expect(report.subtree.counts.open == 3)
        #expect(report.children.map(\.node.id) == [H.changsha, H.huaihua])
        #expect(report.children.map(\.counts.counts.open) == [3, 0])
        #expect(report.byLevel["county"]?.counts.open == 2)
        #expect(report.byLevel["city"]?.counts.open == 1)
        #expect(report.nodes.first?.node.id == H.province)
        #expect(report.nodes.count == 7)
        // R moved three times (up, back down, up again); P once.
        #expect(report.movedMost.map(\.caseNumber) == [r])
        #expect(report.movedMost.first?.moves == 3)
        let city = try await BacklogReport(scope: SupervisionScope(services: services, node: H.changsha), services: services, now: now)
        #expect(city.own.counts.open == 1)
        #expect(city.children.map(\.node.id) == [H.furong, H.yuelu])
        #expect(city.children.map(\.counts.counts.open) == [2, 0])
        let county = try await BacklogReport(scope: SupervisionScope(services: services, node: H.furong), services: services, now: now)
        #expect(county.children.isEmpty)
        #expect(county.subtree.counts == furong)
    }
}
