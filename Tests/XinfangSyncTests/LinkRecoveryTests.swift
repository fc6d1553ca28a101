import Foundation
import Logging
import Testing
import XinfangCore
import XinfangHTTP
import XinfangStore
import XinfangSync
import XinfangTesting

/// A link between two real nodes over HTTP recovers by itself from whatever its packet numbers
/// meet (issue 15): a signed packet with the highest number, a sender whose counter went back (a
/// restore from a backup), packets of several senders at once. Recovery costs one refused packet,
/// one greeting and the items' next retry (at most `DeliveryPolicy.retryDelayMaxSeconds` × 1.2),
/// and no item dies of it.
struct LinkRecoveryTests {
    /// A case offered by the province to 芙蓉区, through the city: it is at 芙蓉区 after `timeout`.
    @discardableResult
    func offerThrough(_ c: TestCluster, timeout: Double = 15) async throws -> Double {
        let started = Date()
        let number = try await c.register(at: H.province, region: "430102")
        try await c.act(at: H.province, number, ["action": "offer", "to": "430102", "mode": "transfer"])
        try await c.waitFor(H.furong, number, timeout: timeout) { $0.status == .offered }
        return Date().timeIntervalSince(started)
    }

    func refusals(_ c: TestCluster, at node: NodeID, from peer: NodeID) async throws -> [String: Int] {
        try await c.database(node).outboxSummary().first { $0.peer == peer.rawValue }?.refusals ?? [:]
    }

    func dead(_ c: TestCluster, at node: NodeID, to peer: NodeID) async throws -> Int {
        try await c.database(node).outboxSummary().first { $0.peer == peer.rawValue }?.counts["dead"] ?? 0
    }

    /// The reported attack: a correctly signed packet with the highest number, in the very
    /// session the city uses. It is taken (it is genuine as far as 芙蓉区 can tell), the city's
    /// next packet is refused as a replay, the city greets again, and the link carries on.
    @Test(arguments: StoreBackend.allCases) func aPoisonedNumberCostsOneGreetingAndNothingIsLost(backend: StoreBackend) async throws {
        try await TestCluster.run(nodes: [H.province, H.changsha, H.furong], backend: backend) { c in
            try await offerThrough(c)
            let baseline = try await offerThrough(c)
            let session = try #require(try await c.database(H.changsha).sendingLink(to: H.furong).session)
            let poison = Packet(
                from: H.changsha,
                to: H.furong,
                number: PacketNumber(session: session, number: LinkSession.numberMax),
                sentAt: Date(),
                chains: [],
                commands: []
            )
            #expect(try await c.post(poison).status == 200)
            var beyond = poison
            beyond.packetSeq = Int.max
            let refused = try await c.post(beyond)
            #expect(refused.status == 400 && refused.json["code"] as? String == "malformed-packet", "numbers are bounded: \(refused.text)")
            let seconds = try await offerThrough(c)
            #expect(try await refusals(c, at: H.furong, from: H.changsha)["replayed-packet"] ?? 0 >= 1, "the city's next packet was refused")
            #expect(try await c.database(H.changsha).sendingLink(to: H.furong).session != session, "the city greeted again")
            #expect(try await dead(c, at: H.changsha, to: H.furong) == 0)
            print(
                "link recovery after a poisoned packet number: a case took \(String(format: "%.2f", seconds)) s to reach 芙蓉区 "
                    + "(the same path without the poison, just before: \(String(format: "%.2f", baseline)) s)"
            )
        }
    }

    /// A sender whose counter went back (as after a restore from an older backup, or a store
    /// rebuilt): its next numbers were all seen. The refusal makes it greet again.
    @Test(arguments: StoreBackend.allCases) func aCounterThatWentBackCostsOneGreeting(backend: StoreBackend) async throws {
        try await TestCluster.run(nodes: [H.province, H.changsha, H.furong], backend: backend) { c in
            for _ in 0..<3 { try await offerThrough(c) }
            let city = c.database(H.changsha)
            let link = try await city.sendingLink(to: H.furong)
            let session = try #require(link.session)
            #expect(link.last >= 3)
            try await city.overwriteSending(to: H.furong, SendingLink(session: session, last: 0))
            try await offerThrough(c)
            #expect(try await refusals(c, at: H.furong, from: H.changsha)["replayed-packet"] ?? 0 >= 1)
            #expect(try await dead(c, at: H.changsha, to: H.furong) == 0)
        }
    }

    /// A sender whose clock was set back (within the 15-minute skew limit): packet numbers do not
    /// depend on time, so its packets are taken as before.
    @Test(arguments: StoreBackend.allCases) func aClockSetBackDoesNotStopTheLink(backend: StoreBackend) async throws {
        try await TestCluster.run(nodes: [H.province, H.changsha, H.furong], backend: backend) { c in
            try await offerThrough(c)
            let session = try await c.greet(from: H.changsha, to: H.furong)
            for (number, offset) in [(1, 0.0), (2, -600.0), (3, -300.0)] {
                let packet = Packet(
                    from: H.changsha,
                    to: H.furong,
                    number: PacketNumber(session: session, number: number),
                    sentAt: Date().addingTimeInterval(offset),
                    chains: [],
                    commands: []
                )
                let reply = try await c.post(packet)
                #expect(reply.status == 200, "packet \(number), sent \(offset) s from now: \(reply.text)")
            }
            // The city's own session was replaced by the test's: it greets again, and carries on.
            try await offerThrough(c)
            #expect(try await dead(c, at: H.changsha, to: H.furong) == 0)
        }
    }

    /// A session the receiver never opened, or no longer knows (it was restored from a backup,
    /// or someone else's greeting replaced it): refused `unknown-session`, then a greeting.
    @Test(arguments: StoreBackend.allCases) func aSessionTheReceiverDoesNotKnowCostsOneGreeting(backend: StoreBackend) async throws {
        try await TestCluster.run(nodes: [H.province, H.changsha, H.furong], backend: backend) { c in
            try await offerThrough(c)
            try await c.database(H.changsha).overwriteSending(to: H.furong, SendingLink(session: LinkSession.newID()))
            try await offerThrough(c)
            #expect(try await refusals(c, at: H.furong, from: H.changsha)["unknown-session"] ?? 0 >= 1)
            #expect(try await dead(c, at: H.changsha, to: H.furong) == 0)
        }
    }

    /// The sync loop and the reconciliation job send to the parent at the same time, each
    /// numbering its packets in the link's one session: none is refused, whatever the order in
    /// which they arrive.
    @Test(arguments: StoreBackend.allCases) func concurrentPacketsOnOneLinkAreAllTaken(backend: StoreBackend) async throws {
        try await TestCluster.run(nodes: [H.changsha, H.furong], backend: backend) { c in
            let first = try await c.register(at: H.furong, region: "430102")
            try await c.waitFor(H.changsha, first) { _ in true }
            let numbers = try await withThrowingTaskGroup(of: CaseNumber?.self) { group in
                // The county's reconciliation job, as its service runs it, beside its sync loop.
                let job = ReconciliationService(
                    database: c.database(H.furong),
                    transport: c.transport,
                    clock: SystemClock(),
                    limits: ReconciliationLimits(),
                    logger: Logger(label: "test")
                )
                // A few of each: the point is several senders on one link, not the machine's load.
                for i in 0..<15 {
                    group.addTask {
                        if i % 3 == 0 {
                            let round = try await job.runOnce()
                            // On a loaded machine a round may time out (its packets then go again
                            // under new numbers); a refusal of a number never happens.
                            let error = round.error ?? ""
                            #expect(!error.contains("replayed-packet") && !error.contains("unknown-session"), "\(error)")
                            return nil
                        }
                        return try await c.register(at: H.furong, region: "430102")
                    }
                }
                return try await group.reduce(into: [CaseNumber]()) { if let n = $1 { $0.append(n) } }
            }
            for number in numbers { try await c.waitFor(H.changsha, number) { _ in true } }
            let refused = try await refusals(c, at: H.changsha, from: H.furong)
            #expect(refused["replayed-packet"] == nil && refused["unknown-session"] == nil, "\(refused)")
            #expect(try await c.database(H.furong).sendingLink(to: H.changsha).last >= 10, "every packet numbered in one session")
        }
    }

    /// A greeting opens a session and carries nothing; a packet's session must have its form.
    @Test(arguments: StoreBackend.allCases) func aGreetingCarriesNothingAndASessionHasItsForm(backend: StoreBackend) async throws {
        try await TestCluster.run(nodes: [H.province, H.changsha, H.furong], backend: backend) { c in
            let number = try await c.register(at: H.province, region: "430102")
            let events = try await c.database(H.province).events(of: number)
            var greeting = Packet.greeting(from: H.changsha, to: H.furong, sentAt: Date())
            greeting.chains = [events]
            let loaded = try await c.post(greeting)
            #expect(loaded.status == 400 && loaded.json["code"] as? String == "malformed-packet", "\(loaded.text)")
            for session in ["", "ABCDEF0123456789", String(repeating: "a", count: 1_000)] {
                let packet = Packet(
                    from: H.changsha,
                    to: H.furong,
                    number: PacketNumber(session: session, number: 1),
                    sentAt: Date(),
                    chains: [],
                    commands: []
                )
                let reply = try await c.post(packet)
                #expect(reply.status == 400 && reply.json["code"] as? String == "malformed-packet", "\(session.prefix(20)): \(reply.text)")
            }
            let session = try await c.greet(from: H.changsha, to: H.furong)
            #expect(LinkSession.isWellFormed(session))
            #expect(try await c.database(H.furong).caseState(number) == nil)
        }
    }
}
