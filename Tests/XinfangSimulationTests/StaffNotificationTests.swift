import Foundation
import Testing
import XinfangCore
import XinfangSimulation
import XinfangStore

/// Staff messages where the event concerns them (issue 18), on the scripted simulator with real
/// sync: a case offered to 芙蓉区 queues 待接收 at 芙蓉区 (not at the province that made the
/// event), a 督办 from the city queues 督办提醒 at the holder, and the petitioner's messages are
/// queued once, by the node that made their event, never by a replica.
struct StaffNotificationTests {
    @Test func staffMessagesAreQueuedWhereTheEventConcernsThem() async throws {
        let sim = try await Simulation.scripted(
            directory: FileManager.default.temporaryDirectory.appendingPathComponent("xinfang-staff-notify-\(UUID().uuidString)")
        )
        let nodes = [H.province, H.changsha, H.furong]
        for node in nodes { try #require(await sim.store(node)).notifications.set(audiences: [.petitioner, .staff], callbackSystems: []) }
        let number = try await sim.register(at: H.province, region: "430102")
        let due = await sim.currentTime.addingTimeInterval(30 * 86_400)
        try await sim.act(at: H.province, number, .offer(to: H.furong, mode: .assign, dueAt: due, note: nil))
        try await sim.settle()
        try await sim.act(at: H.furong, number, .accept)
        _ = try await sim.command(at: H.changsha, number, .supervise(by: H.changsha, dueAt: due, note: "请加快办理"))
        try await sim.settle()

        var kinds: [NodeID: [NotificationKind]] = [:]
        for node in nodes { kinds[node] = try await sim.store(node)!.notificationRows(limit: 100).map(\.kind).sorted { $0.rawValue < $1.rawValue } }
        #expect(kinds[H.province] == [.lookupCode], "the registering node's 查询码, and nothing for the offer it made")
        #expect(kinds[H.furong] == [.offerWaiting, .supervisionReceived])
        #expect(kinds[H.changsha] == [], "a replica queues nothing")
        let supervision = try #require(try await sim.store(H.furong)!.notificationRows(limit: 100).first { $0.kind == .supervisionReceived })
        #expect(supervision.params["by"] == H.changsha.rawValue && supervision.caseNumber == number)
    }
}
