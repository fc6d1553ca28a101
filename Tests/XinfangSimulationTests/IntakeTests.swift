import Foundation
import Testing
import XinfangCore
import XinfangSimulation
import XinfangStore

/// The intake check across levels (domain rules R40–R43): the same petitioner with the same matter
/// is a repeat (linked, counted, the earlier holder told); a matter already accepted below is a
/// 越级访 (not accepted here, transferred to its handler); a matter already terminated is refused
/// (不再受理) citing the earlier case.
struct IntakeTests {
    static let day = 86_400.0
    static let person = 900

    static func scripted(_ name: String) async throws -> Simulation {
        try await Simulation.scripted(
            directory: FileManager.default.temporaryDirectory
                .appendingPathComponent("xinfang-intake-\(name)-\(UUID().uuidString)")
        )
    }

    static func samePerson(_ r: inout CaseRegistration) { r.petitioners = [Simulation.petitioner(person)] }

    @Test func theSamePersonAndMatterAtTheLevelAboveIsARepeat() async throws {
        let sim = try await Self.scripted("repeat")
        let first = try await sim.register(at: H.furong, region: "430102", Self.samePerson)
        try await sim.settle()
        // Not yet accepted at the county: at the city it is a repeat, not a 越级访.
        let second = try await sim.register(at: H.changsha, region: "430102", Self.samePerson)
        let state = try #require(try await sim.store(H.changsha)!.caseState(second))
        #expect(state.registration.intake == IntakeFinding(kind: .repeatPetition, earlierCase: first, earlierHolder: H.furong))
        #expect(state.status == .registered, "a repeat is registered and handled as usual")
        try await sim.settle()
        // The county, holding the first case, was told (重复信访 on the earlier case).
        #expect(try await sim.store(H.furong)!.caseState(first)?.repeats == [second])
        // Another matter of the same person, and the same matter of another person, are not repeats.
        let otherMatter = try await sim.register(at: H.changsha, region: "430102") {
            Self.samePerson(&$0)
            $0.category = ContentCategory("劳动和社会保障", "城镇职工社会保险", "职工养老保险")
        }
        let otherPerson = try await sim.register(at: H.changsha, region: "430102")
        #expect(try await sim.store(H.changsha)!.caseState(otherMatter)?.registration.intake == nil)
        #expect(try await sim.store(H.changsha)!.caseState(otherPerson)?.registration.intake == nil)
        // Counted as 重复信访 for the city (the unit of the new case) in its indicators.
        let now = await sim.currentTime
        let counts = try await sim.store(H.changsha)!.indicatorCounts(
            from: now.addingTimeInterval(-Self.day),
            to: now.addingTimeInterval(Self.day),
            now: now
        )
        #expect(counts[H.changsha]?.repeats == 1)
        #expect(counts[H.furong]?.repeats == 0)
        #expect(try await sim.healAndCheck() == [])
    }

    @Test func aMatterAcceptedBelowIsASkipLevelPetitionTransferredToItsHandler() async throws {
        let sim = try await Self.scripted("skip")
        let first = try await sim.register(at: H.furong, region: "430102", Self.samePerson)
        try await sim.act(at: H.furong, first, .notify(note: nil))
        try await sim.settle()
        // The petitioner goes to the province about the same matter (two levels up).
        let second = try await sim.register(at: H.province, region: "430102", Self.samePerson)
        let atProvince = try #require(try await sim.store(H.province)!.caseState(second))
        #expect(atProvince.registration.intake == IntakeFinding(kind: .skipLevel, earlierCase: first, earlierHolder: H.furong))
        #expect(atProvince.status == .offered && atProvince.holder == H.furong, "not accepted here: transferred to the handler")
        #expect(atProvince.pendingOffer?.mode == .transfer)
        #expect(atProvince.acceptedAt == nil)
        try await sim.settle()
        #expect(try await sim.store(H.furong)!.caseState(second)?.holder == H.furong)
        #expect(try await sim.store(H.furong)!.caseState(first)?.repeats == [second])
        // Counted as 越级访 (and as a repeat) wherever the case is replicated.
        let now = await sim.currentTime
        for node in [H.province, H.changsha, H.furong] {
            let counts = try await sim.store(node)!.indicatorCounts(
                from: now.addingTimeInterval(-Self.day),
                to: now.addingTimeInterval(Self.day),
                now: now
            )
            let all = IndicatorCounts.sum(counts.values)
            #expect(all.skipLevel == 1, "\(node)")
            #expect(all.repeats == 1, "\(node)")
        }
        // At the city (one level up) the same matter is a 越级访 too: the county accepted it.
        let third = try await sim.register(at: H.changsha, region: "430102", Self.samePerson)
        #expect(try await sim.store(H.changsha)!.caseState(third)?.registration.intake?.kind == .skipLevel)
        // At the county itself it is only a repeat.
        let fourth = try await sim.register(at: H.furong, region: "430102", Self.samePerson)
        #expect(try await sim.store(H.furong)!.caseState(fourth)?.registration.intake?.kind == .repeatPetition)
        #expect(try await sim.healAndCheck() == [])
    }

    @Test func aMatterAlreadyTerminatedIsNotAcceptedAgain() async throws {
        let sim = try await Self.scripted("refuse")
        let first = try await sim.register(at: H.furong, region: "430102", Self.samePerson)
        try await sim.act(at: H.furong, first, .notify(note: nil))
        try await sim.act(at: H.furong, first, .reply(outcome: .notSupported, opinion: "不予支持"))
        try await sim.act(at: H.furong, first, .close(report: nil))
        await sim.wait(seconds: 32 * Self.day)
        try await sim.act(at: H.furong, first, .terminate(reason: "复查期限届满未申请"))
        try await sim.settle()
        // The same petitioner brings the same matter to the city: 不再受理, citing the earlier case.
        let second = try await sim.register(at: H.changsha, region: "430102", Self.samePerson)
        let state = try #require(try await sim.store(H.changsha)!.caseState(second))
        #expect(state.registration.intake == IntakeFinding(kind: .refusedRepeat, earlierCase: first, earlierHolder: H.furong))
        #expect(state.status == .refusedRepeat)
        #expect(state.disposal?.earlierCase == first)
        #expect(state.handler == H.changsha)
        // The terminated case is not reopened or told: nothing is appended to it.
        try await sim.settle()
        #expect(try await sim.store(H.furong)!.caseState(first)?.status == .terminated)
        #expect(try await sim.store(H.furong)!.caseState(first)?.repeats == [])
        #expect(try await sim.healAndCheck() == [])
    }
}

/// A repeat registered at the node that holds the earlier case, or to which it is being offered,
/// is linked there: the node's own command is recorded, never refused as another node's.
struct RepeatAtTheHolderTests {
    @Test func aRepeatRegisteredWhereTheEarlierCaseIsHeldOrOfferedIsLinked() async throws {
        let sim = try await IntakeTests.scripted("repeat-holder")
        // Held: registered and accepted at the county, then the petitioner comes back there.
        let held = try await sim.register(at: H.furong, region: "430102", IntakeTests.samePerson)
        try await sim.act(at: H.furong, held, .notify(note: nil))
        let again = try await sim.register(at: H.furong, region: "430102", IntakeTests.samePerson)
        let county = try #require(await sim.store(H.furong))
        #expect(try await county.caseState(held)?.repeats == [again])
        #expect(try await county.events(of: held).contains { $0.body.kind == CaseEventBody.refusedKind } == false)
        try await sim.settle()

        // Offered: the province hands a case down (转送) and, before the county answers, the same
        // petitioner comes to the county about the same matter.
        let other: @Sendable (inout CaseRegistration) -> Void = { r in
            r.petitioners = [Simulation.petitioner(901)]
            r.category = ContentCategory("劳动和社会保障", "城镇职工社会保险", "职工养老保险")
        }
        let offered = try await sim.register(at: H.province, region: "430102", other)
        try await sim.act(at: H.province, offered, .offer(to: H.changsha, mode: .transfer, dueAt: nil, note: nil))
        try await sim.settle()
        try await sim.act(at: H.changsha, offered, .accept)
        try await sim.act(at: H.changsha, offered, .offer(to: H.furong, mode: .transfer, dueAt: nil, note: nil))
        try await sim.settle()
        #expect(try await county.caseState(offered)?.status == .offered)
        let repeated = try await sim.register(at: H.furong, region: "430102", other)
        #expect(try await county.caseState(repeated)?.registration.intake?.earlierCase == offered)
        #expect(try await county.caseState(offered)?.repeats == [repeated], "linked, not refused")
        #expect(try await county.events(of: offered).contains { $0.body.kind == CaseEventBody.refusedKind } == false)
        try await sim.settle()
        #expect(try await sim.store(H.province)!.caseState(offered)?.repeats == [repeated], "every level sees the link")
        #expect(try await sim.healAndCheck() == [])
    }
}
