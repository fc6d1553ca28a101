import Foundation
import Testing
import XinfangCore
import XinfangSimulation

@testable import XinfangStore

typealias H = ExampleHierarchy

/// The conflict scenarios of issue 4, each scripted on the simulator (real stores, real packet
/// receiver, simulated network): each ends with one holder on every replica, the conflict shown
/// on both sides, and nothing lost (the simulator's invariants hold).
struct ConflictScenarioTests {
    static func directory(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("xinfang-scenario-\(name)-\(UUID().uuidString)")
    }

    static let due = Date(timeIntervalSince1970: 1_796_000_000)

    /// A case the province assigned to 芙蓉区 through 长沙市, accepted and in handling there.
    static func caseInHandlingAtFurong(_ sim: Simulation) async throws -> CaseNumber {
        let number = try await sim.register(at: H.province, region: "430102")
        try await sim.act(at: H.province, number, .offer(to: H.furong, mode: .assign, dueAt: due, note: nil))
        try await sim.settle()
        try await sim.act(at: H.furong, number, .accept)
        try await sim.act(at: H.furong, number, .notify(note: nil))
        try await sim.settle()
        return number
    }

    func holders(_ sim: Simulation, _ number: CaseNumber, at nodes: [NodeID]) async throws -> Set<NodeID> {
        var result: Set<NodeID> = []
        for node in nodes { if let state = try await sim.store(node)!.caseState(number) { result.insert(state.holder) } }
        return result
    }

    func expectConflictShown(_ sim: Simulation, _ number: CaseNumber, at nodes: [NodeID], loser: NodeID) async throws {
        for node in nodes {
            let conflicts = try await sim.store(node)!.conflicts(of: number)
            #expect(conflicts.count == 1, "\(node) shows the conflict")
            #expect(conflicts.first?.loserOrigin == loser, "\(node) names the losing side")
        }
    }

    @Test func recallRacingAClosure() async throws {
        let sim = try await Simulation.scripted(directory: Self.directory("recall"))
        let number = try await Self.caseInHandlingAtFurong(sim)
        try await sim.act(at: H.furong, number, .reply(outcome: .supported, opinion: "责令支付"))
        // The recall is sent while the county closes: the holder applies what reaches it first, so
        // the recall, arriving after the closure, is refused and the refusal is in the chain.
        let recall = try await sim.command(at: H.changsha, number, .recall(by: H.changsha, reason: "提办"))
        try await sim.act(at: H.furong, number, .close(report: "办结"))
        try await sim.settle()
        let status = try await sim.store(H.changsha)!.commandStatus(recall.id)
        #expect(status?.status == .refused, "the city learns its recall came too late")
        let chain = try await sim.store(H.changsha)!.events(of: number)
        #expect(chain.contains { $0.body.kind == "commandRefused" && $0.command?.id == recall.id })
        // The same race with the county cut off: the city cannot reach it and takes the case over.
        let second = try await Self.caseInHandlingAtFurong(sim)
        try await sim.act(at: H.furong, second, .reply(outcome: .supported, opinion: "责令支付"))
        await sim.cut(H.changsha, H.furong)
        try await sim.act(at: H.furong, second, .close(report: "办结"))
        try await sim.forceTakeOver(at: H.changsha, second)
        try await sim.settle()
        await sim.mend(H.changsha, H.furong)
        try await sim.settle()
        #expect(try await holders(sim, second, at: [H.province, H.changsha, H.furong]) == [H.changsha], "the takeover's epoch wins")
        try await expectConflictShown(sim, second, at: [H.furong, H.changsha, H.province], loser: H.furong)
        let closure = try await sim.store(H.changsha)!.allEvents(of: second).filter { $0.body.kind == "close" }
        #expect(closure.count == 1, "the county's closure is kept on the losing branch")
        #expect(try await sim.healAndCheck() == [])
    }

    @Test func twoAncestorsTakingOverAtOnce() async throws {
        let sim = try await Simulation.scripted(directory: Self.directory("two"))
        let number = try await Self.caseInHandlingAtFurong(sim)
        await sim.cut(H.changsha, H.furong)
        await sim.cut(H.province, H.changsha)
        let city = try await sim.forceTakeOver(at: H.changsha, number)
        let province = try await sim.forceTakeOver(at: H.province, number)
        #expect(city.epoch == 1 && province.epoch == 1 && city.headSeq == province.headSeq, "the same epoch at the same position")
        await sim.mend(H.province, H.changsha)
        try await sim.settle()
        // A tie in epoch goes to the higher level.
        #expect(try await holders(sim, number, at: [H.province, H.changsha]) == [H.province])
        try await expectConflictShown(sim, number, at: [H.province, H.changsha], loser: H.changsha)
        await sim.mend(H.changsha, H.furong)
        try await sim.settle()
        #expect(try await holders(sim, number, at: [H.province, H.changsha, H.furong]) == [H.province])
        try await expectConflictShown(sim, number, at: [H.furong], loser: H.changsha)
        #expect(try await sim.healAndCheck() == [])
    }

    /// Two cases in handling at 芙蓉区; the first forked at 长沙市 (the city and the province each
    /// took it over while cut off), the second linear.
    static func twoCasesOneForkedAtTheCity(_ sim: Simulation) async throws -> (forked: CaseNumber, linear: CaseNumber) {
        let forked = try await caseInHandlingAtFurong(sim)
        let linear = try await caseInHandlingAtFurong(sim)
        await sim.cut(H.changsha, H.furong)
        await sim.cut(H.province, H.changsha)
        _ = try await sim.forceTakeOver(at: H.changsha, forked)
        _ = try await sim.forceTakeOver(at: H.province, forked)
        await sim.mend(H.province, H.changsha)
        try await sim.settle()
        return (forked, linear)
    }

    /// The sender asks which of a packet's cases have a fork once for the whole packet: a case
    /// whose replica holds two branches is named, a linear one and an unknown one are not, and
    /// the forked case's run follows its winning chain.
    @Test func theForkCheckOfAWholePacket() async throws {
        let sim = try await Simulation.scripted(directory: Self.directory("fork-check"))
        let (forked, linear) = try await Self.twoCasesOneForkedAtTheCity(sim)
        let city = try #require(await sim.store(H.changsha))
        let numbers = [forked.rawValue, linear.rawValue, "不存在的件"]
        let answer = try await city.read { db in try NodeDatabase.forkedCases(db, numbers) }
        #expect(answer == [forked.rawValue])
        let runs = try await city.read { db in
            (
                try NodeDatabase.chainRun(db, forked, after: 0, limit: 100, forked: true),
                try NodeDatabase.chainRun(db, linear, after: 0, limit: 100, forked: false)
            )
        }
        let winning = try await city.events(of: forked)
        #expect(runs.0?.events.count == winning.count && runs.0?.lastSeq == winning.last?.seq, "the winning chain, not the stored rows in order")
        #expect(runs.1?.events.count == (try await city.events(of: linear)).count)
        #expect(try await sim.healAndCheck() == [])
    }

    /// Events are found under their case (`Migration021EventsByCase`): every stored event of a
    /// forked case, both branches, is known under it and under no other case; a run whose
    /// predecessor is another case's event does not find it stored; and an event stored again is
    /// refused by the case's unique index, as the hash's primary key refused it before.
    @Test func eventsAreFoundUnderTheirCase() async throws {
        let sim = try await Simulation.scripted(directory: Self.directory("events-by-case"))
        let (forked, other) = try await Self.twoCasesOneForkedAtTheCity(sim)
        let city = try #require(await sim.store(H.changsha))
        let (all, others) = try await city.read { db in
            (try NodeDatabase.loadAllEvents(db, forked), try NodeDatabase.loadAllEvents(db, other))
        }
        #expect(all.count > (try await city.events(of: forked)).count, "both branches stored")
        let hashes = Set(all.map(\.hash))
        // A run of `other` whose first event names the forked case's head as its predecessor.
        var borrowing = others[0]
        borrowing.prevHash = all.last?.hash
        let borrowingRun = [[borrowing]]
        let (found, foundElsewhere, stored, borrowed) = try await city.read { db in
            (
                try all.allSatisfy { try NodeDatabase.hasEvent(db, hash: $0.hash, of: forked.rawValue) },
                try all.contains { try NodeDatabase.hasEvent(db, hash: $0.hash, of: other.rawValue) },
                try NodeDatabase.storedHashes(db, of: [all]),
                try NodeDatabase.storedHashes(db, of: borrowingRun)
            )
        }
        #expect(found && !foundElsewhere)
        #expect(stored == hashes)
        #expect(borrowed == [others[0].hash], "another case's event is not a predecessor here")
        await #expect(throws: (any Error).self, "an event stored twice") {
            try await city.write { db in try city.insert(db, all[0]) }
        }
        #expect(try await city.read { db in try NodeDatabase.loadAllEvents(db, forked) } == all)
        #expect(try await sim.healAndCheck() == [])
    }

    @Test func aTakeoverDuringAPartitionThenHealAndAdopt() async throws {
        let sim = try await Simulation.scripted(directory: Self.directory("partition"))
        let number = try await Self.caseInHandlingAtFurong(sim)
        await sim.cut(H.changsha, H.furong)
        // The county keeps working, unheard; the city takes over at the head it knows.
        try await sim.act(at: H.furong, number, .extend(days: 20, approver: "局长", reason: "情况复杂"))
        try await sim.act(at: H.furong, number, .comment(text: "已约谈企业"))
        let taken = try await sim.forceTakeOver(at: H.changsha, number)
        await sim.mend(H.changsha, H.furong)
        try await sim.settle()
        #expect(try await holders(sim, number, at: [H.province, H.changsha, H.furong]) == [H.changsha])
        try await expectConflictShown(sim, number, at: [H.furong, H.changsha, H.province], loser: H.furong)
        // A person at the city adopts what the county did: its actions become new events.
        let conflict = try #require(try await sim.store(H.changsha)!.conflicts(of: number).first)
        #expect(conflict.forkSeq == taken.headSeq && conflict.loserEvents == 2)
        let after = try await sim.act(at: H.changsha, number, .resolveConflict(branch: conflict.branch, decision: .adopt, reason: "采纳县级办理"))
        #expect(after.status == .extended && after.extension_?.days == 20 && after.comments == 1, "the losing actions re-applied")
        try await sim.settle()
        for node in [H.furong, H.changsha, H.province] {
            #expect(try await sim.store(node)!.conflicts(of: number).first?.decision == .adopt, "\(node) sees the conflict settled")
        }
        #expect(try await sim.healAndCheck() == [])
    }

    @Test func aDeclineRacingAReassignment() async throws {
        let sim = try await Simulation.scripted(directory: Self.directory("decline"))
        let number = try await sim.register(at: H.province, region: "430102")
        try await sim.act(at: H.province, number, .offer(to: H.changsha, mode: .transfer, dueAt: nil, note: nil))
        try await sim.settle()
        try await sim.act(at: H.changsha, number, .accept)
        try await sim.act(at: H.changsha, number, .offer(to: H.furong, mode: .transfer, dueAt: nil, note: nil))
        try await sim.settle()
        await sim.cut(H.changsha, H.furong)
        // The county declines; unheard, the city reassigns: it takes the token back and offers 岳麓区.
        try await sim.act(at: H.furong, number, .decline(reason: "不属本区"))
        try await sim.forceTakeOver(at: H.changsha, number)
        try await sim.act(at: H.changsha, number, .offer(to: H.yuelu, mode: .transfer, dueAt: nil, note: nil))
        try await sim.settle()
        await sim.mend(H.changsha, H.furong)
        try await sim.settle()
        #expect(try await holders(sim, number, at: [H.province, H.changsha, H.furong, H.yuelu]) == [H.yuelu])
        try await expectConflictShown(sim, number, at: [H.furong, H.changsha, H.yuelu, H.province], loser: H.furong)
        try await sim.act(at: H.yuelu, number, .accept)
        let declines = try await sim.store(H.province)!.allEvents(of: number).filter { $0.body.kind == "decline" }
        #expect(declines.count == 1, "the decline is kept")
        #expect(try await sim.healAndCheck() == [])
    }
}
