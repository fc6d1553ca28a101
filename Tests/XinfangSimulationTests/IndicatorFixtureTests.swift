import Foundation
import Testing
import XinfangCore
import XinfangSimulation
import XinfangStore

@testable import XinfangHTTP

/// The indicators of domain rules §3 on a hand-made fixture of seven cases in the example
/// hierarchy, played on the simulator (real stores, real sync) over 120 simulated days. Every
/// expected value below is worked out by hand from the story in `play`.
struct IndicatorFixtureTests {
    static let day = 86_400.0

    /// The story (day 0 = the simulation's start; every case is about 劳动和社会保障):
    ///
    /// | case | registered at | channel, facts | what happens | unit |
    /// |---|---|---|---|---|
    /// | A | 芙蓉区 | online | notify d2, reply d10, close d11, evaluated d12: office 满意, unit 基本满意 | 芙蓉区 |
    /// | B | 芙蓉区 | visit, 集体访 2 批 30 人次 | notify d20 (late), reply+close d100 (handling due ≈ d80: late) | 芙蓉区 |
    /// | C | 芙蓉区 | letter, 联名信, repeat of A | never decided | 芙蓉区 |
    /// | D | 岳麓区 | online | notify d1, reply+close d5, never evaluated | 岳麓区 |
    /// | E | 岳麓区 | phone, 涉法涉诉 | notify d1, then nothing | 岳麓区 |
    /// | F | province (越级访) | online | 交办 to 岳麓区 due d30; accept+notify d3, reply+close d40 (late), verified, evaluated d41: office 不满意, unit 满意 | 岳麓区 |
    /// | G | 长沙市 (its own matter) | visit | notify d1, reply+close d30 (handling due ≈ d61: on time), never evaluated | 长沙市 |
    ///
    /// Now is day 120; the period runs from the day before day 0 to day 200, so every population
    /// falls in it.
    static func play(_ sim: Simulation) async throws -> (start: Date, now: Date) {
        let start = await sim.currentTime
        func at(_ d: Double) async {
            let target = start.addingTimeInterval(d * day)
            let current = await sim.currentTime
            if target > current { await sim.wait(seconds: target.timeIntervalSince(current)) }
        }
        let a = try await sim.register(at: H.furong, region: "430102") { $0.channel = .online }
        let b = try await sim.register(at: H.furong, region: "430102") {
            $0.channel = .visit
            $0.collective = CollectiveVisit(batches: 2, personVisits: 30)
        }
        _ = try await sim.register(at: H.furong, region: "430102") {
            $0.channel = .letter
            $0.jointLetter = true
            $0.linkedCases = [a]
        }
        let d = try await sim.register(at: H.yuelu, region: "430104") { $0.channel = .online }
        let e = try await sim.register(at: H.yuelu, region: "430104") {
            $0.channel = .phone
            $0.lawRelated = true
        }
        let f = try await sim.register(at: H.province, region: "430104") { $0.channel = .online }
        try await sim.act(at: H.province, f, .offer(to: H.yuelu, mode: .assign, dueAt: start.addingTimeInterval(30 * day), note: nil))
        let g = try await sim.register(at: H.changsha, region: "430100") { $0.channel = .visit }
        try await sim.settle()

        await at(1)
        try await sim.act(at: H.yuelu, d, .notify(note: nil))
        try await sim.act(at: H.yuelu, e, .notify(note: nil))
        try await sim.act(at: H.changsha, g, .notify(note: nil))
        await at(2)
        try await sim.act(at: H.furong, a, .notify(note: nil))
        await at(3)
        try await sim.act(at: H.yuelu, f, .accept)
        try await sim.act(at: H.yuelu, f, .notify(note: nil))
        await at(5)
        try await sim.act(at: H.yuelu, d, .reply(outcome: .supported, opinion: "已责令支付"))
        try await sim.act(at: H.yuelu, d, .close(report: nil))
        await at(10)
        try await sim.act(at: H.furong, a, .reply(outcome: .supported, opinion: "已责令支付"))
        await at(11)
        try await sim.act(at: H.furong, a, .close(report: nil))
        await at(12)
        try await sim.act(at: H.furong, a, .evaluate(office: .satisfied, unit: .basicallySatisfied, comment: nil))
        await at(20)
        try await sim.act(at: H.furong, b, .notify(note: nil))
        await at(30)
        try await sim.act(at: H.changsha, g, .reply(outcome: .explained, opinion: "解释说明"))
        try await sim.act(at: H.changsha, g, .close(report: nil))
        await at(40)
        try await sim.act(at: H.yuelu, f, .reply(outcome: .supported, opinion: "已责令支付"))
        try await sim.act(at: H.yuelu, f, .close(report: "办结报告"))
        try await sim.settle()
        try await sim.act(at: H.province, f, .verifyClosure(note: nil))
        await at(41)
        try await sim.act(at: H.province, f, .evaluate(office: .dissatisfied, unit: .satisfied, comment: "处理太慢"))
        await at(100)
        try await sim.act(at: H.furong, b, .reply(outcome: .supported, opinion: "已责令支付"))
        try await sim.act(at: H.furong, b, .close(report: nil))
        try await sim.settle()
        await at(120)
        return (start, await sim.currentTime)
    }

    /// 芙蓉区: A, B, C. Acceptance: A on time (d2), B late (d20), C never and overdue. Closure
    /// population A (due ≈ d62, closed d11) and B (due ≈ d80, closed d100); C has no handling
    /// period. One evaluation (A); B's window ends d130, after now.
    static var furong: IndicatorCounts {
        var c = IndicatorCounts()
        c.registered = 3
        c.online = 1
        c.repeats = 1
        c.jointLetters = 1
        c.collectiveCases = 1
        c.collectiveBatches = 2
        c.collectivePersons = 30
        c.byChannel = ["online": 1, "visit": 1, "letter": 1]
        c.byCategory = ["劳动和社会保障": 3]
        c.acceptDue = 3
        c.acceptedOnTime = 1
        c.acceptedLate = 1
        c.notAcceptedOverdue = 1
        c.closeDue = 2
        c.closedOnTime = 1
        c.closedLate = 1
        c.evaluated = 1
        c.officeRatings = ["satisfied": 1]
        c.unitRatings = ["basicallySatisfied": 1]
        return c
    }

    /// 岳麓区: D, E, F (F registered at the province is a 越级访 and counts for its handler). E is
    /// 涉法涉诉, so it is left out of every rate's population. Acceptance D (d1), F (d3): both on
    /// time. Closure D (closed d5, due ≈ d61) on time; F (交办 due d30, closed d40) late.
    /// Evaluated: F; D's window ended d35 without one.
    static var yuelu: IndicatorCounts {
        var c = IndicatorCounts()
        c.registered = 3
        c.online = 2
        c.skipLevel = 1
        c.byChannel = ["online": 2, "phone": 1]
        c.byCategory = ["劳动和社会保障": 3]
        c.acceptDue = 2
        c.acceptedOnTime = 2
        c.closeDue = 2
        c.closedOnTime = 1
        c.closedLate = 1
        c.evaluated = 1
        c.evaluationOverdue = 1
        c.officeRatings = ["dissatisfied": 1]
        c.unitRatings = ["satisfied": 1]
        return c
    }

    /// 长沙市: G, decided d1, closed d30 within its period (≈ d61), window ended d60 unused.
    static var changsha: IndicatorCounts {
        var c = IndicatorCounts()
        c.registered = 1
        c.byChannel = ["visit": 1]
        c.byCategory = ["劳动和社会保障": 1]
        c.acceptDue = 1
        c.acceptedOnTime = 1
        c.closeDue = 1
        c.closedOnTime = 1
        c.evaluationOverdue = 1
        return c
    }

    @Test func indicatorsOfAHandMadeFixture() async throws {
        let sim = try await Simulation.scripted(
            directory: FileManager.default.temporaryDirectory
                .appendingPathComponent("xinfang-indicators-\(UUID().uuidString)")
        )
        let (start, now) = try await Self.play(sim)
        let from = start.addingTimeInterval(-Self.day)
        let to = start.addingTimeInterval(200 * Self.day)

        // The province holds a replica of every case and counts each for its unit.
        let atProvince = try await sim.store(H.province)!.indicatorCounts(from: from, to: to, now: now)
        #expect(atProvince[H.furong] == Self.furong)
        #expect(atProvince[H.yuelu] == Self.yuelu)
        #expect(atProvince[H.changsha] == Self.changsha)
        #expect(atProvince[H.province] == nil, "the province handled nothing itself")
        #expect(Set(atProvince.keys) == [H.furong, H.yuelu, H.changsha])

        // Every level sees the same history, so a unit's counts are the same wherever computed.
        let atCity = try await sim.store(H.changsha)!.indicatorCounts(from: from, to: to, now: now)
        let atFurong = try await sim.store(H.furong)!.indicatorCounts(from: from, to: to, now: now)
        #expect(atCity[H.furong] == Self.furong)
        #expect(atCity[H.yuelu] == Self.yuelu)
        #expect(atFurong[H.furong] == Self.furong)

        // The rates, from the sums: 及时受理 (1 + 2 + 1) / (3 + 2 + 1); 按期办结 (1 + 1 + 1) / (2 + 2 + 1);
        // 参评 2 / (2 + 2); office 满意 (A 满意) / 2 evaluated; unit 满意 (A 基本满意, F 满意) / 2;
        // 重复 1 / 7 (C); 网信 3 / 7 (A, D, F).
        let all = Indicators(IndicatorCounts.sum([Self.furong, Self.yuelu, Self.changsha]))
        #expect(all.timelyAcceptanceRate == 4.0 / 6.0)
        #expect(all.onTimeClosureRate == 3.0 / 5.0)
        #expect(all.evaluationRate == 0.5)
        #expect(all.officeSatisfactionRate == 0.5)
        #expect(all.unitSatisfactionRate == 1.0)
        #expect(all.repeatRate == 1.0 / 7.0)
        #expect(all.onlineShare == 3.0 / 7.0)
        // A unit with nothing in a population has no rate, not 0 %.
        #expect(Indicators(Self.changsha).officeSatisfactionRate == nil)
        #expect(Indicators(IndicatorCounts()).timelyAcceptanceRate == nil)

        // The API's report: a subtree equals its own counts plus its children's subtrees.
        let services = { (node: NodeID) async in
            NodeServices(
                identity: NodeIdentity(
                    id: node,
                    name: node.rawValue,
                    level: node == H.province ? .province : [H.changsha, H.huaihua].contains(node) ? .city : .county
                ),
                database: await sim.store(node)!
            )
        }
        let calendar = DeadlineCalendar.standard
        let province = try SupervisionScope(services: await services(H.province), node: nil)
        let report = try await StatsReport(
            scope: province,
            database: sim.store(H.province)!,
            from: calendar.civilDate(of: from),
            to: calendar.civilDate(of: to),
            now: now
        )
        var sum = report.own.counts
        for child in report.children { sum.add(child.stats.counts) }
        #expect(report.subtree.counts == sum)
        #expect(report.subtree.indicators == all)
        #expect(report.children.map(\.node.id) == [H.changsha, H.huaihua])
        #expect(report.children[1].stats.counts == IndicatorCounts(), "怀化市 had no case")
        let city = try SupervisionScope(services: await services(H.province), node: H.changsha)
        let cityReport = try await StatsReport(
            scope: city,
            database: sim.store(H.province)!,
            from: calendar.civilDate(of: from),
            to: calendar.civilDate(of: to),
            now: now
        )
        #expect(cityReport.own.counts == Self.changsha)
        #expect(cityReport.children.map(\.stats.counts) == [Self.furong, Self.yuelu])
        #expect(cityReport.subtree.counts == report.subtree.counts)

        // A county cannot look at its parent's or its sibling's subtree.
        let furong = await services(H.furong)
        for outside in [H.yuelu, H.changsha, H.province] {
            #expect(throws: ValidationFailure.self) { try SupervisionScope(services: furong, node: outside) }
        }
    }
}
