import Foundation
import Testing
import XinfangCore
import XinfangSimulation
import XinfangStore
import XinfangSync

/// One test per flag kind of the reconciliation job (DESIGN §5), driven by the simulated clock on
/// the simulated hierarchy: raised when the limit passes, with since-when from the data, visible at
/// the ancestors, cleared when the condition ends.
struct FlagTests {
    static let day = 86_400.0
    static let due = Date(timeIntervalSince1970: 1_796_000_000)

    static func scripted(_ name: String) async throws -> Simulation {
        try await Simulation.scripted(
            directory: FileManager.default.temporaryDirectory.appendingPathComponent("xinfang-flags-\(name)-\(UUID().uuidString)")
        )
    }

    func flags(_ sim: Simulation, at node: NodeID, _ kind: FlagKind, _ subject: String? = nil) async throws -> [Flag] {
        try await sim.openFlags(at: node).filter { $0.kind == kind && (subject == nil || $0.subject == subject) }
    }

    @Test func offerStuckIsRaisedAfterTheLimitAndClearedByTheAnswer() async throws {
        let sim = try await Self.scripted("offer")
        let number = try await sim.register(at: H.changsha, region: "430102")
        let offered = try await sim.act(at: H.changsha, number, .offer(to: H.furong, mode: .transfer, dueAt: nil, note: nil))
        try await sim.settle()
        await sim.wait(seconds: 2 * Self.day)
        try await sim.reconcile(at: H.changsha)
        #expect(try await flags(sim, at: H.changsha, .offerStuck).isEmpty, "within the limit")
        await sim.wait(seconds: 1.5 * Self.day)
        try await sim.reconcile(at: H.changsha)
        try await sim.reconcile(at: H.province)
        for node in [H.changsha, H.province] {
            let flag = try #require(try await flags(sim, at: node, .offerStuck, number.rawValue).first, "raised at \(node)")
            #expect(flag.node == H.furong && flag.since == offered.lastEventAt.addingTimeInterval(3 * Self.day))
        }
        try await sim.act(at: H.furong, number, .accept)
        try await sim.settle()
        try await sim.reconcile(at: H.changsha)
        #expect(try await flags(sim, at: H.changsha, .offerStuck).isEmpty, "cleared once answered")
        var query = FlagQuery()
        query.open = false
        #expect(try await sim.store(H.changsha)!.flags(matching: query).contains { $0.flag.kind == .offerStuck }, "kept as history")
    }

    @Test func declinedAndNotRerouted() async throws {
        let sim = try await Self.scripted("decline")
        let number = try await sim.register(at: H.changsha, region: "430102")
        try await sim.act(at: H.changsha, number, .offer(to: H.furong, mode: .transfer, dueAt: nil, note: nil))
        try await sim.settle()
        try await sim.act(at: H.furong, number, .decline(reason: "不属本区"))
        try await sim.settle()
        await sim.wait(seconds: 3.5 * Self.day)
        try await sim.reconcile(at: H.changsha)
        #expect(try await flags(sim, at: H.changsha, .declinedNotRerouted, number.rawValue).first?.node == H.changsha)
        try await sim.act(at: H.changsha, number, .offer(to: H.yuelu, mode: .transfer, dueAt: nil, note: nil))
        try await sim.reconcile(at: H.changsha)
        #expect(try await flags(sim, at: H.changsha, .declinedNotRerouted).isEmpty)
    }

    @Test func commandUndeliveredTravelsUpAndClears() async throws {
        let sim = try await Self.scripted("command")
        let number = try await sim.register(at: H.furong, region: "430102")
        try await sim.settle()
        await sim.cut(H.changsha, H.furong)
        let command = try await sim.command(at: H.changsha, number, .supervise(by: H.changsha, dueAt: Self.due, note: "请加快"))
        await sim.wait(seconds: 1.2 * Self.day)
        try await sim.reconcile(at: H.changsha)
        let flag = try #require(try await flags(sim, at: H.changsha, .commandUndelivered, command.id).first)
        #expect(flag.caseNumber == number && flag.node == H.furong)
        // The city's report carries it up: the province sees it without having made it.
        try await sim.reconcile(at: H.province)
        #expect(try await flags(sim, at: H.province, .commandUndelivered, command.id).first?.raisedBy == H.changsha)
        await sim.mend(H.changsha, H.furong)
        try await sim.settle()
        try await sim.reconcile(at: H.changsha)
        #expect(try await flags(sim, at: H.changsha, .commandUndelivered).isEmpty)
        #expect(try await flags(sim, at: H.province, .commandUndelivered).isEmpty, "the next report clears it above")
    }

    @Test func closureAwaitingVerification() async throws {
        let sim = try await Self.scripted("closure")
        let number = try await sim.register(at: H.changsha, region: "430102")
        try await sim.act(at: H.changsha, number, .offer(to: H.furong, mode: .assign, dueAt: Self.due, note: nil))
        try await sim.settle()
        for action: CaseAction in [.accept, .notify(note: nil), .reply(outcome: .supported, opinion: "意见"), .close(report: "报告")] {
            try await sim.act(at: H.furong, number, action)
        }
        try await sim.settle()
        await sim.wait(seconds: 16 * Self.day)
        for node in [H.province, H.changsha, H.furong] { try await sim.reconcile(at: node) }
        for node in [H.province, H.changsha, H.furong] {
            #expect(try await flags(sim, at: node, .closureAwaitingVerification, number.rawValue).first?.node == H.changsha, "\(node)")
        }
        try await sim.act(at: H.changsha, number, .verifyClosure(note: nil))
        try await sim.reconcile(at: H.changsha)
        #expect(try await flags(sim, at: H.changsha, .closureAwaitingVerification).isEmpty)
    }

    @Test func conflictUntilAPersonResolvesIt() async throws {
        let sim = try await Self.scripted("conflict")
        let number = try await sim.register(at: H.changsha, region: "430102")
        try await sim.act(at: H.changsha, number, .offer(to: H.furong, mode: .transfer, dueAt: nil, note: nil))
        try await sim.settle()
        await sim.cut(H.changsha, H.furong)
        try await sim.act(at: H.furong, number, .accept)
        try await sim.forceTakeOver(at: H.changsha, number)
        await sim.mend(H.changsha, H.furong)
        try await sim.settle()
        for node in [H.changsha, H.furong, H.province] { try await sim.reconcile(at: node) }
        for node in [H.changsha, H.furong, H.province] {
            #expect(try await flags(sim, at: node, .conflict, number.rawValue).count == 1, "both sides and above: \(node)")
        }
        let branch = try #require(try await sim.store(H.changsha)!.conflicts(of: number).first?.branch)
        try await sim.act(at: H.changsha, number, .resolveConflict(branch: branch, decision: .dismiss, reason: "以市级接管为准"))
        try await sim.settle()
        for node in [H.changsha, H.furong] {
            try await sim.reconcile(at: node)
            #expect(try await flags(sim, at: node, .conflict).isEmpty)
        }
    }

    @Test func replicaBehindAndDivergedWhenAnAntiEntropyRepairDoesNotGetThrough() async throws {
        let sim = try await Self.scripted("replica")
        let behind = try await sim.register(at: H.furong, region: "430102")
        let forked = try await sim.register(at: H.furong, region: "430102")
        try await sim.settle()
        // The link loses every packet with items; digests still pass.
        await sim.blockItems(H.changsha, H.furong)
        try await sim.act(at: H.furong, behind, .notify(note: nil))
        try await sim.act(at: H.furong, forked, .notify(note: nil))
        try await sim.forceTakeOver(at: H.changsha, forked)
        let first = try await sim.reconcile(at: H.furong)
        #expect(first.antiEntropy?.differingTops == 2 && first.antiEntropy?.resent == 2)
        #expect(try await flags(sim, at: H.furong, .replicaBehind).isEmpty, "not yet past the limit")
        await sim.wait(seconds: 3_700)
        try await sim.reconcile(at: H.furong)
        #expect(try await flags(sim, at: H.furong, .replicaBehind, behind.rawValue).first?.node == H.changsha)
        #expect(try await flags(sim, at: H.furong, .replicaDiverged, forked.rawValue).count == 1, "same event count, different heads")
        try await sim.reconcile(at: H.changsha)
        #expect(try await flags(sim, at: H.changsha, .replicaBehind, behind.rawValue).first?.raisedBy == H.changsha)
        // The link heals: the resent chains arrive, the next exchange finds nothing different.
        await sim.unblockItems(H.changsha, H.furong)
        try await sim.settle()
        let healed = try await sim.reconcile(at: H.furong)
        #expect(healed.antiEntropy?.differingTops == 0)
        try await sim.reconcile(at: H.furong)
        #expect(try await flags(sim, at: H.furong, .replicaBehind).isEmpty)
        #expect(try await flags(sim, at: H.furong, .replicaDiverged).isEmpty)
    }

    @Test func peerUnreachableAndDeadItems() async throws {
        let sim = try await Self.scripted("peer")
        await sim.stop(H.changsha)
        let number = try await sim.register(at: H.furong, region: "430102")
        try await sim.settle()
        await sim.wait(seconds: 3_700)
        try await sim.settle()
        try await sim.reconcile(at: H.furong)
        let unreachable = try #require(try await flags(sim, at: H.furong, .peerUnreachable, H.changsha.rawValue).first)
        #expect(unreachable.node == H.changsha)
        try await sim.start(H.changsha)
        try await sim.settle()
        try await sim.reconcile(at: H.furong)
        #expect(try await flags(sim, at: H.furong, .peerUnreachable).isEmpty)
        #expect(try await sim.store(H.changsha)!.caseState(number) != nil)
        // A parent whose clock is an hour off refuses every packet as stale: after 8 refusals the
        // items are dead, and flagged for a person.
        await sim.skewClock(H.changsha, seconds: 3_600)
        let second = try await sim.register(at: H.furong, region: "430102")
        for _ in 0..<10 { try await sim.settle() }  // each round one refused attempt, backing off
        try await sim.reconcile(at: H.furong)
        let dead = try #require(try await flags(sim, at: H.furong, .deadItems, H.changsha.rawValue).first)
        #expect(dead.detail.contains("1"))
        #expect(dead.kind.remedy.contains("POST /api/v1/sync/outbox/redeliver"), "the remedy names the command that exists")
        #expect(try await sim.store(H.changsha)!.caseState(second) == nil)

        // The clock is put right and the operator sends the dead items again: they go through,
        // and the flag clears at the next round. Only dead items move, only the peer's.
        await sim.skewClock(H.changsha, seconds: 0)
        let county = try #require(await sim.store(H.furong))
        #expect(try await county.redeliverDead(peer: H.province, now: await sim.clockTime(at: H.furong)) == 0, "none is dead for another peer")
        let items = try await county.outboxSummary().first { $0.peer == H.changsha.rawValue }?.items ?? []
        let deadIDs = items.filter { $0.state == "dead" }.map(\.id)
        #expect(!deadIDs.isEmpty)
        #expect(try await county.redeliverDead(peer: H.changsha, ids: [deadIDs[0] + 1_000_000], now: await sim.clockTime(at: H.furong)) == 0)
        #expect(try await county.redeliverDead(peer: H.changsha, now: await sim.clockTime(at: H.furong)) == deadIDs.count)
        #expect(try await county.redeliverDead(peer: nil, now: await sim.clockTime(at: H.furong)) == 0, "nothing is dead any more")
        for _ in 0..<3 { try await sim.settle() }
        #expect(try await sim.store(H.changsha)!.caseState(second) != nil, "the redelivered case reached the city")
        try await sim.reconcile(at: H.furong)
        #expect(try await flags(sim, at: H.furong, .deadItems).isEmpty)
    }

    @Test func overdueForEachDeadlineAndSupervisionFeedback() async throws {
        let sim = try await Self.scripted("overdue")
        let number = try await sim.register(at: H.furong, region: "430102")
        try await sim.settle()
        try await sim.command(
            at: H.changsha,
            number,
            .supervise(by: H.changsha, dueAt: Date(timeIntervalSince1970: 1_793_581_200 + 5 * 86_400), note: "限期反馈")
        )
        try await sim.settle()
        await sim.wait(seconds: 16 * Self.day)
        for node in [H.furong, H.changsha, H.province] { try await sim.reconcile(at: node) }
        for node in [H.furong, H.changsha, H.province] {
            let overdue = try await flags(sim, at: node, .overdue, number.rawValue)
            #expect(Set(overdue.map(\.detailKey)) == ["notice", "supervisionFeedback"], "\(node): \(overdue.map(\.detailKey))")
        }
        try await sim.act(at: H.furong, number, .notify(note: nil))
        try await sim.act(at: H.furong, number, .supervisionFeedback(text: "已受理"))
        try await sim.reconcile(at: H.furong)
        #expect(try await flags(sim, at: H.furong, .overdue).isEmpty, "met, even if late")
        // Accepted on 2026-11-18: 60 days end on Sunday 2027-01-17, so on Monday 2027-01-18.
        await sim.wait(seconds: 61 * Self.day)
        try await sim.reconcile(at: H.furong)
        #expect(try await flags(sim, at: H.furong, .overdue, number.rawValue).isEmpty, "the period ends on the Monday")
        await sim.wait(seconds: Self.day)
        try await sim.reconcile(at: H.furong)
        #expect(try await flags(sim, at: H.furong, .overdue, number.rawValue).map(\.detailKey) == ["handling"])
    }

    @Test func policyFlagsAMatterHandledAtTheWrongLevel() async throws {
        let sim = try await Self.scripted("policy")
        let number = try await sim.register(at: H.changsha, region: "430102")
        try await sim.act(at: H.changsha, number, .notify(note: nil))
        try await sim.reconcile(at: H.changsha)
        let flag = try #require(try await flags(sim, at: H.changsha, .policy, number.rawValue).first)
        #expect(flag.detail.contains("县级") && flag.node == H.changsha)
        let proper = try await sim.register(at: H.furong, region: "430102")
        try await sim.act(at: H.furong, proper, .notify(note: nil))
        try await sim.reconcile(at: H.furong)
        #expect(try await flags(sim, at: H.furong, .policy).isEmpty, "a county handling its own matter is as the policy says")
    }

    @Test func aRunAfterAWeekWithoutRunsCatchesUp() async throws {
        let sim = try await Self.scripted("catchup")
        let start = await sim.currentTime
        let stuck = try await sim.register(at: H.changsha, region: "430102")
        try await sim.act(at: H.changsha, stuck, .offer(to: H.furong, mode: .transfer, dueAt: nil, note: nil))
        let idle = try await sim.register(at: H.furong, region: "430104")
        try await sim.settle()
        try await sim.reconcile(at: H.changsha)
        #expect(try await sim.openFlags(at: H.changsha).isEmpty)
        // No run for eight days (the node was down, the job did not run).
        await sim.wait(seconds: 8 * Self.day)
        let round = try await sim.reconcile(at: H.changsha)
        #expect(round.reconcile.previousRunAt.map { round.reconcile.ranAt.timeIntervalSince($0) } ?? 0 >= 8 * Self.day)
        let open = try await sim.openFlags(at: H.changsha)
        let offer = try #require(open.first { $0.kind == .offerStuck && $0.subject == stuck.rawValue })
        #expect(offer.since.timeIntervalSince(start) < 3 * Self.day + 120, "since the limit passed, not since the late run")
        #expect(open.contains { $0.kind == .overdue && $0.subject == idle.rawValue && $0.detailKey == "notice" } == false, "15 days not yet")
        await sim.wait(seconds: 8 * Self.day)
        try await sim.reconcile(at: H.changsha)
        #expect(try await sim.openFlags(at: H.changsha).contains { $0.kind == .overdue && $0.subject == idle.rawValue && $0.detailKey == "notice" })
    }

    /// Issue 17: a file whose bytes a node has lacked longer than the limit is flagged there (and
    /// reported up); the flag clears once the bytes are in; a blob file lost from the folder is
    /// wanted again by the next run (anti-entropy for blobs).
    @Test func aMissingBlobIsFlaggedAfterTheLimitAndClearedWhenItArrives() async throws {
        let sim = try await Self.scripted("blob")
        let number = try await sim.register(at: H.furong, region: "430102")
        let county = try #require(await sim.store(H.furong))
        let city = try #require(await sim.store(H.changsha))
        let bytes = Data("%PDF-1.7\n来信".utf8)
        let stored = try county.blobs.put(bytes)
        let ref = AttachmentRef(sha256: stored.sha256, size: bytes.count, mediaType: .pdf, fileName: "来信.pdf", stage: .registration)
        // As an upload records it (the action API takes no file without its bytes).
        _ = try await county.act(on: number, action: .attach(ref), actor: "李娜", now: await sim.currentTime)
        try await sim.settle()  // the simulator's transport carries events only
        #expect(try await county.blobWants().isEmpty, "the county has the bytes")
        let want = try #require(try await city.blobWants().first)
        #expect(want.sha256 == stored.sha256 && want.sender == H.furong && want.caseNumber == number)
        await sim.wait(seconds: 1_800)
        try await sim.reconcile(at: H.changsha)
        #expect(try await flags(sim, at: H.changsha, .blobMissing).isEmpty, "within the limit")
        await sim.wait(seconds: 1_900)
        try await sim.reconcile(at: H.changsha)
        let flag = try #require(try await flags(sim, at: H.changsha, .blobMissing, stored.sha256).first)
        #expect(flag.caseNumber == number && flag.since == want.wantedSince.addingTimeInterval(3_600))
        try await sim.reconcile(at: H.province)
        #expect(try await flags(sim, at: H.province, .blobMissing, stored.sha256).contains { $0.raisedBy == H.changsha }, "reported up")

        // The bytes arrive: cleared.
        _ = try city.blobs.put(bytes)
        try await city.blobArrived(stored.sha256)
        try await sim.reconcile(at: H.changsha)
        #expect(try await flags(sim, at: H.changsha, .blobMissing).isEmpty)

        // An operator loses the file: the next run wants it again.
        try FileManager.default.removeItem(
            at: city.blobs.directory.appendingPathComponent(String(stored.sha256.prefix(2))).appendingPathComponent(stored.sha256)
        )
        try await sim.reconcile(at: H.changsha)
        #expect(try await city.blobWants().map(\.sha256) == [stored.sha256])
    }
}
