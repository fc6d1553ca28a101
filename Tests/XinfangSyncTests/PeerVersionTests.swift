import Foundation
import Logging
import Synchronization
import Testing
import XinfangCore
import XinfangSimulation
import XinfangStore
import XinfangSync
import XinfangTesting

/// Rolling upgrades on the peer protocol (issue 20): a node takes its own version and the one
/// before and refuses any other naming both; a sender writes to each neighbour the newest version
/// that neighbour stated when greeted, the oldest it speaks when it stated none; a neighbour
/// upgraded or rolled back under a session is greeted again, and nothing dies of it.
struct PeerVersionTests {
    typealias H = ExampleHierarchy
    static let t0 = Fixtures.instant("2026-11-02T09:00:00+08:00")

    /// Hands packets to the city's real receiver, speaking what `speaks` says at the moment.
    final class CityTransport: PacketTransport {
        let city: NodeDatabase
        let clock: ManualClock
        let speaks: Mutex<PeerProtocol>
        let versions = Mutex<[Int]>([])
        init(city: NodeDatabase, clock: ManualClock, speaks: PeerProtocol) {
            self.city = city
            self.clock = clock
            self.speaks = Mutex(speaks)
        }

        func send(_ body: Data, signature: String, from: NodeID, to peer: TopologyNode) async -> TransportResult {
            if let packet = try? CanonicalJSON.decoder.decode(Packet.self, from: body), !packet.isGreeting {
                versions.withLock { $0.append(packet.version) }
            }
            return await PacketReceiver(database: city, clock: clock, speaks: speaks.withLock { $0 })
                .transportResult(body: body, from: from, signature: signature)
        }
    }

    @Test func aNodeTakesItsVersionAndThePreviousOneAndNamesBothWhenItRefuses() {
        #expect(PeerProtocol.build.refusal(of: 3) == nil && PeerProtocol.build.refusal(of: 2) == nil)
        #expect(
            PeerProtocol.build.refusal(of: 1)
                == "this node takes peer protocol versions 2–3 (it writes 3); the packet is version 1: upgrade the sender"
        )
        #expect(PeerProtocol.build.refusal(of: nil)?.contains("the packet is version none") == true)
        #expect(
            PeerProtocol.previousRelease.refusal(of: 3)
                == "this node takes peer protocol versions 2 (it writes 2); the packet is version 3: upgrade this node"
        )
        #expect(PeerProtocol.build.version(forPeerStating: nil) == 2, "a neighbour that stated nothing is one release behind at most")
        #expect(PeerProtocol.build.version(forPeerStating: 3) == 3 && PeerProtocol.build.version(forPeerStating: 9) == 3)
        #expect(PeerProtocol.previousRelease.version(forPeerStating: 3) == 2)
    }

    @Test func theSenderWritesWhatTheNeighbourStatedThroughAnUpgradeAndARollback() async throws {
        var (topology, keys) = ExampleHierarchy.topology(baseURL: { "http://\($0).invalid" })
        topology.formats = nil  // a hierarchy with a node behind writes the previous formats
        let clock = ManualClock(Self.t0)
        let county = try NodeDatabase.inMemory(node: H.furong, hierarchy: Hierarchy(topology: topology, key: keys[H.furong]!))
        let city = try NodeDatabase.inMemory(node: H.changsha, hierarchy: Hierarchy(topology: topology, key: keys[H.changsha]!))
        let transport = CityTransport(city: city, clock: clock, speaks: .previousRelease)
        let dispatcher = PeerDispatcher(
            database: county,
            transport: transport,
            clock: clock,
            peer: topology.node(H.changsha)!,
            logger: Logger(label: "test")
        )
        func register() async throws -> CaseNumber {
            try await county.register(Fixtures.registration(receivedAt: clock.now()), actor: "李娜", now: clock.now()).state.caseNumber
        }
        func held(_ number: CaseNumber) async throws -> Bool { try await city.caseState(number) != nil }

        // The city runs the release before: greeted in version 2, it states nothing; packets go in 2.
        #expect(await dispatcher.perform(.greet, jitter: 0.5) == .greeted)
        let first = try await register()
        #expect(await dispatcher.perform(.attempt, jitter: 0.5) == .delivered)
        let delivered = try await held(first)
        #expect(delivered && transport.versions.withLock { $0 } == [2])

        // The city is upgraded under the session: it takes version 2 still. Greeted again (the
        // county restarts, which ends its sending sessions), it states 3, and packets go in 3.
        transport.speaks.withLock { $0 = .build }
        let second = try await register()
        #expect(await dispatcher.perform(.attempt, jitter: 0.5) == .delivered)
        #expect(await dispatcher.perform(.greet, jitter: 0.5) == .greeted)
        try await county.resetInFlight(now: clock.now())
        #expect(await dispatcher.perform(.greet, jitter: 0.5) == .greeted)
        let third = try await register()
        #expect(await dispatcher.perform(.attempt, jitter: 0.5) == .delivered)
        let both = try await held(second)
        let andThird = try await held(third)
        #expect(both && andThird && transport.versions.withLock { $0 } == [2, 2, 3])

        // The city is rolled back: the version-3 packet is refused, the session dropped, and the
        // next attempt greets, learns nothing and sends version 2. The item waited; it did not die.
        transport.speaks.withLock { $0 = .previousRelease }
        let fourth = try await register()
        #expect(await dispatcher.perform(.attempt, jitter: 0.5) != .delivered)
        #expect(try await county.sendingLink(to: H.changsha).session == nil, "the refusal dropped the session")
        clock.advance(seconds: 60)
        #expect(await dispatcher.perform(.greet, jitter: 0.5) == .greeted)
        #expect(await dispatcher.perform(.attempt, jitter: 0.5) == .delivered)
        let arrived = try await held(fourth)
        #expect(arrived && transport.versions.withLock { $0 } == [2, 2, 3, 3, 2])
        let counts = try await county.outboxSummary().first { $0.peer == H.changsha.rawValue }?.counts ?? [:]
        #expect(counts["dead"] == 0 && counts["acknowledged"] == 4, "\(counts)")
    }

    /// A node writes the formats its topology names; a neighbour one release behind refuses a
    /// packet with an event it cannot read as it refuses a version, naming both, and takes it
    /// once upgraded. Nothing dies in between; the upgraded city stores the event as written.
    @Test func eventsOfANewFormatWaitForTheNeighbourThatCannotReadThem() async throws {
        var (topology, keys) = ExampleHierarchy.topology(baseURL: { "http://\($0).invalid" })
        let clock = ManualClock(Self.t0)
        // Until the hierarchy raises its formats, a node writes the previous ones.
        topology.formats = nil
        let before = try NodeDatabase.inMemory(node: H.furong, hierarchy: Hierarchy(topology: topology, key: keys[H.furong]!))
        let old = try await before.register(Fixtures.registration(receivedAt: clock.now()), actor: "李娜", now: clock.now()).state.caseNumber
        #expect(try await before.events(of: old).map(\.format) == [1])

        topology.formats = .newest
        let county = try NodeDatabase.inMemory(node: H.furong, hierarchy: Hierarchy(topology: topology, key: keys[H.furong]!))
        let city = try NodeDatabase.inMemory(node: H.changsha, hierarchy: Hierarchy(topology: topology, key: keys[H.changsha]!))
        let transport = CityTransport(city: city, clock: clock, speaks: .previousRelease)
        let dispatcher = PeerDispatcher(
            database: county,
            transport: transport,
            clock: clock,
            peer: topology.node(H.changsha)!,
            logger: Logger(label: "test")
        )
        let number = try await county.register(Fixtures.registration(receivedAt: clock.now()), actor: "李娜", now: clock.now()).state.caseNumber
        #expect(try await county.events(of: number).map(\.format) == [2])
        #expect(await dispatcher.perform(.greet, jitter: 0.5) == .greeted)
        #expect(await dispatcher.perform(.attempt, jitter: 0.5) != .delivered)
        // The sender's link names the refusal; the city counted it under the version's code.
        let link = try await county.outboxSummary().first { $0.peer == H.changsha.rawValue }
        #expect(
            link?.lastError?.contains("this node reads event formats 1; event \(number) is format 2: upgrade this node") == true,
            "\(String(describing: link))"
        )
        let counted = try await city.outboxSummary().first { $0.peer == H.furong.rawValue }?.refusals ?? [:]
        #expect(counted[DeliveryFailure.unsupportedVersion] == 1, "\(counted)")
        #expect(try await city.caseState(number) == nil)

        transport.speaks.withLock { $0 = .build }
        clock.advance(seconds: 60)
        #expect(await dispatcher.perform(.greet, jitter: 0.5) == .greeted)
        #expect(await dispatcher.perform(.attempt, jitter: 0.5) == .delivered)
        let stored = try await city.events(of: number)
        let written = try await county.events(of: number)
        #expect(stored.map(\.format) == [2] && stored.map(\.hash) == written.map(\.hash))
        let counts = try await county.outboxSummary().first { $0.peer == H.changsha.rawValue }?.counts ?? [:]
        #expect(counts["dead"] == 0 && counts["acknowledged"] == 1, "\(counts)")
    }
}
