import Foundation
import Testing
import XinfangCore
import XinfangStore
import XinfangSync
import XinfangTesting

/// Packets that must be refused: each with its code, nothing applied, the refusal counted, and
/// the sender's real traffic unaffected (nothing lost).
struct RefusedPacketTests {
    /// A packet from the city to 芙蓉区 carrying a case the province registered and offered.
    func validPacket(_ c: TestCluster, seq: Int = 1_000_000) async throws -> (Packet, CaseNumber) {
        let (packet, number, _) = try await validPacketAndSession(c, seq: seq)
        return (packet, number)
    }

    /// The same, with the session the test's greeting opened at 芙蓉区 for the city's packets.
    func validPacketAndSession(_ c: TestCluster, seq: Int = 1_000_000) async throws -> (Packet, CaseNumber, String) {
        let number = try await c.register(at: H.province, region: "430102")
        try await c.act(at: H.province, number, ["action": "offer", "to": "430102", "mode": "transfer"])
        try await c.waitFor(H.changsha, number) { $0.status == .offered }
        // Wait for the real delivery too, then build our own packet from the city's copy.
        try await c.waitFor(H.furong, number) { $0.status == .offered }
        let events = try await c.database(H.changsha).events(of: number)
        let session = try await c.greet(from: H.changsha, to: H.furong)
        let packet = Packet(
            from: H.changsha,
            to: H.furong,
            number: PacketNumber(session: session, number: seq),
            sentAt: Date(),
            chains: [events],
            commands: []
        )
        return (packet, number, session)
    }

    /// A number for packets refused before their number is looked at.
    static let anyNumber = PacketNumber(session: "0123456789abcdef", number: 1)

    func post(_ c: TestCluster, to node: NodeID = H.furong, body: Data, from: String, signature: String) async throws -> ClusterReply {
        try await c.send(
            "POST",
            c.url(node, "/sync/v1/packets"),
            body: body,
            headers: [PeerHeaders.from: from, PeerHeaders.signature: signature]
        )
    }

    func refusals(_ c: TestCluster, _ node: NodeID, from peer: String) async throws -> [String: Int] {
        try await c.database(node).outboxSummary().first { $0.peer == peer }?.refusals ?? [:]
    }

    /// Packets from 40 made-up senders are each refused and counted, under one name: a stranger
    /// cannot grow the refusals table or the outbox view's list of peers (issue 15).
    @Test(arguments: StoreBackend.allCases) func strangersAreCountedUnderOneNameAndCannotGrowTheStore(backend: StoreBackend) async throws {
        try await TestCluster.run(nodes: [H.changsha, H.furong], backend: backend) { c in
            for i in 0..<40 {
                let body = Data(#"{"from":"9\#(i)"}"#.utf8)
                let reply = try await post(c, body: body, from: String(format: "99%04d", i), signature: "AAAA")
                #expect(reply.status >= 400 && reply.status < 500, "\(reply.status)")
            }
            let summary = try await c.database(H.furong).outboxSummary()
            let known = Set(c.topology.nodes.map(\.id.rawValue) + [NodeDatabase.unknownSender])
            #expect(summary.allSatisfy { known.contains($0.peer) }, "\(summary.map(\.peer))")
            let strangers = try #require(summary.first { $0.peer == NodeDatabase.unknownSender })
            #expect(strangers.refusals.values.reduce(0, +) == 40, "each refusal is counted: \(strangers.refusals)")
        }
    }

    /// Several paths send to one neighbour, so packets arrive out of order: a lower number that
    /// arrives after a higher one is taken; only a number seen before is a replay (issue 15).
    @Test(arguments: StoreBackend.allCases) func aGenuinePacketArrivingOutOfOrderIsTakenAndOnlyARealReplayRefused(backend: StoreBackend) async throws
    {
        try await TestCluster.run(nodes: [H.province, H.changsha, H.furong], backend: backend) { c in
            let (later, _) = try await validPacket(c, seq: 2_000_001)
            var earlier = later
            earlier.packetSeq = 2_000_000
            func send(_ packet: Packet) async throws -> ClusterReply {
                let body = packet.encoded()
                return try await post(c, body: body, from: "430100", signature: c.keys[H.changsha]!.sign(body))
            }
            #expect(try await send(later).status == 200)
            #expect(try await send(earlier).status == 200, "the lower number came second, and is genuine")
            let replay = try await send(earlier)
            #expect(replay.status == 409 && replay.json["code"] as? String == "replayed-packet")
        }
    }

    @Test(arguments: StoreBackend.allCases) func aForgedPacketSignatureIsRefused(backend: StoreBackend) async throws {
        try await TestCluster.run(nodes: [H.province, H.changsha, H.furong], backend: backend) { c in
            let (packet, _) = try await validPacket(c)
            let before = try await c.database(H.furong).counts()
            let body = packet.encoded()
            let reply = try await post(c, body: body, from: "430100", signature: NodeKey().sign(body))
            #expect(reply.status == 401)
            #expect(reply.json["code"] as? String == "bad-packet-signature")
            #expect(try await c.database(H.furong).counts() == before)
            #expect(try await refusals(c, H.furong, from: "430100")["bad-packet-signature"] == 1)
        }
    }

    /// Found by the fuzzer: a signed packet whose event had `seq` = Int.max crashed the receiver
    /// (an arithmetic overflow while checking the links). Now the packet is refused and the node lives.
    @Test(arguments: StoreBackend.allCases) func outOfRangeNumbersInASignedPacketAreRefusedNotACrash(backend: StoreBackend) async throws {
        try await TestCluster.run(nodes: [H.province, H.changsha, H.furong], backend: backend) { c in
            let (packet, _) = try await validPacket(c)
            let mutations: [@Sendable (inout CaseEvent) -> Void] = [{ $0.seq = Int.max }, { $0.epoch = -1 }, { $0.time.logical = Int32.max }]
            for i in mutations.indices {
                var bad = packet
                bad.packetSeq += i
                mutations[i](&bad.chains[0][0])
                let body = bad.encoded()
                let reply = try await post(c, body: body, from: "430100", signature: c.keys[H.changsha]!.sign(body))
                #expect(reply.status == 400 && reply.json["code"] as? String == "malformed-packet", "\(reply.text)")
            }
            #expect(try await c.request("GET", H.furong, "/readyz").status == 200, "the node still serves")
        }
    }

    @Test(arguments: StoreBackend.allCases) func anAlteredEventIsRefusedEvenInAProperlySignedPacket(backend: StoreBackend) async throws {
        try await TestCluster.run(nodes: [H.province, H.changsha, H.furong], backend: backend) { c in
            // Offered to 岳麓区 (not running): the city holds a copy that 芙蓉区 never had.
            let fresh = try await c.register(at: H.province, region: "430104")
            try await c.act(at: H.province, fresh, ["action": "offer", "to": "430104", "mode": "transfer"])
            try await c.waitFor(H.changsha, fresh) { _ in true }
            var events = try await c.database(H.changsha).events(of: fresh)
            #expect(events.count == 2)
            // A relay edits the province's registration; with the old hash it no longer matches…
            guard case .register(var registration) = events[0].body else {
                Issue.record("no registration")
                return
            }
            registration.summary = "被篡改的摘要"
            events[0].body = .register(registration)
            let session = try await c.greet(from: H.changsha, to: H.furong)
            var packet = Packet(
                from: H.changsha,
                to: H.furong,
                number: PacketNumber(session: session, number: 2_000_000),
                sentAt: Date(),
                chains: [events],
                commands: []
            )
            var body = packet.encoded()
            let reply = try await post(c, body: body, from: "430100", signature: c.keys[H.changsha]!.sign(body))
            #expect(reply.status == 200)
            let receipts = try CanonicalJSON.decoder.decode(PacketResponse.self, from: reply.body).receipts
            #expect(receipts.map(\.status) == [.rejected])
            #expect(receipts.first?.code == "invalid-chain")
            // …with a recomputed hash, the next event's link breaks; and an altered head event with a
            // recomputed hash no longer carries its origin's signature.
            events[0].hash = events[0].computedHash()
            var relinked = packet
            relinked.packetSeq = 2_000_002
            relinked.chains = [events]
            let relinkedBody = relinked.encoded()
            let broken = try await post(c, body: relinkedBody, from: "430100", signature: c.keys[H.changsha]!.sign(relinkedBody))
            #expect(try CanonicalJSON.decoder.decode(PacketResponse.self, from: broken.body).receipts.first?.code == "invalid-chain")
            events = try await c.database(H.changsha).events(of: fresh)
            events[1].body = .act(.offer(to: H.furong, mode: .transfer, dueAt: nil, note: "改送芙蓉区"))
            events[1].hash = events[1].computedHash()
            packet.packetSeq = 2_000_003
            packet.chains = [events]
            body = packet.encoded()
            let rehashed = try await post(c, body: body, from: "430100", signature: c.keys[H.changsha]!.sign(body))
            let second = try CanonicalJSON.decoder.decode(PacketResponse.self, from: rehashed.body).receipts
            #expect(second.first?.code == "bad-signature")
            #expect(try await c.database(H.furong).caseState(fresh) == nil, "nothing applied")
        }
    }

    @Test(arguments: StoreBackend.allCases) func aReplayedPacketIsRefused(backend: StoreBackend) async throws {
        try await TestCluster.run(nodes: [H.province, H.changsha, H.furong], backend: backend) { c in
            let (packet, _) = try await validPacket(c)
            let body = packet.encoded()
            let signature = c.keys[H.changsha]!.sign(body)
            let first = try await post(c, body: body, from: "430100", signature: signature)
            #expect(first.status == 200, "a new packet number is taken (its items are duplicates)")
            let again = try await post(c, body: body, from: "430100", signature: signature)
            #expect(again.status == 409)
            #expect(again.json["code"] as? String == "replayed-packet")
            var old = packet
            old.packetSeq = 1
            let oldBody = old.encoded()
            let replayed = try await post(c, body: oldBody, from: "430100", signature: c.keys[H.changsha]!.sign(oldBody))
            #expect(replayed.json["code"] as? String == "replayed-packet")
            #expect(try await refusals(c, H.furong, from: "430100")["replayed-packet"] == 2)
        }
    }

    @Test(arguments: StoreBackend.allCases) func aPacketFromANonAdjacentNodeIsRefused(backend: StoreBackend) async throws {
        try await TestCluster.run(nodes: [H.province, H.changsha, H.furong], backend: backend) { c in
            let number = try await c.register(at: H.province, region: "430102")
            let events = try await c.database(H.province).events(of: number)
            let packet = Packet(from: H.province, to: H.furong, number: Self.anyNumber, sentAt: Date(), chains: [events], commands: [])
            let body = packet.encoded()
            let reply = try await post(c, body: body, from: "430000", signature: c.keys[H.province]!.sign(body))
            #expect(reply.status == 403)
            #expect(reply.json["code"] as? String == "not-adjacent")
            let stranger = try await post(c, body: body, from: "440000", signature: NodeKey().sign(body))
            #expect(stranger.json["code"] as? String == "unknown-peer")
            #expect(try await c.database(H.furong).caseState(number) == nil)
        }
    }

    @Test(arguments: StoreBackend.allCases) func oversizedMalformedAndUnknownVersionPacketsAreRefused(backend: StoreBackend) async throws {
        try await TestCluster.run(nodes: [H.province, H.changsha, H.furong], backend: backend) { c in
            let key = c.keys[H.changsha]!
            let big = Data(repeating: 0x20, count: PeerLimits.packetBytesMax + 1)
            let oversized = try await post(c, body: big, from: "430100", signature: key.sign(big))
            #expect(oversized.status == 413 && oversized.json["code"] as? String == "body-too-large")
            let garbage = Data("{\"version\":1, chains".utf8)
            let malformed = try await post(c, body: garbage, from: "430100", signature: key.sign(garbage))
            #expect(malformed.status == 400 && malformed.json["code"] as? String == "malformed-json")
            var packet = Packet(from: H.changsha, to: H.furong, number: Self.anyNumber, sentAt: Date(), chains: [], commands: [])
            packet.version = Packet.currentVersion + 1
            let next = packet.encoded()
            let future = try await post(c, body: next, from: "430100", signature: key.sign(next))
            #expect(future.status == 400 && future.json["code"] as? String == "unsupported-version")
            // A later version whose packet this build cannot parse is refused for its version too,
            // and a packet in this version that does not parse as malformed.
            let reshaped = Data("{\"version\":\(Packet.currentVersion + 1),\"chains\":{\"a\":\"new shape\"}}".utf8)
            let later = try await post(c, body: reshaped, from: "430100", signature: key.sign(reshaped))
            #expect(later.status == 400 && later.json["code"] as? String == "unsupported-version", "\(later.json)")
            let incomplete = Data("{\"version\":\(Packet.currentVersion),\"chains\":[]}".utf8)
            let broken = try await post(c, body: incomplete, from: "430100", signature: key.sign(incomplete))
            #expect(broken.status == 400 && broken.json["code"] as? String == "malformed-packet", "\(broken.json)")
            let counted = try await refusals(c, H.furong, from: "430100")
            #expect(
                counted["body-too-large"] == 1 && counted["malformed-json"] == 1 && counted["unsupported-version"] == 2
                    && counted["malformed-packet"] == 1,
                "\(counted)"
            )
            // The real link still works afterwards: nothing was lost.
            let number = try await c.register(at: H.province, region: "430102")
            try await c.act(at: H.province, number, ["action": "offer", "to": "430102", "mode": "transfer"])
            try await c.waitFor(H.furong, number) { $0.status == .offered }
        }
    }

    @Test(arguments: StoreBackend.allCases) func aCommandWithABadSignatureIsRefusedPerItem(backend: StoreBackend) async throws {
        try await TestCluster.run(nodes: [H.province, H.changsha, H.furong], backend: backend) { c in
            let number = try await c.register(at: H.furong, region: "430102")
            try await c.waitFor(H.changsha, number) { _ in true }
            var command = CaseCommand(
                id: "forged-1",
                caseNumber: number,
                origin: H.province,
                actor: "冒充者",
                action: .recall(by: H.province, reason: "x"),
                createdAt: Date()
            )
            NodeKey().sign(&command)
            let session = try await c.greet(from: H.changsha, to: H.furong)
            let packet = Packet(
                from: H.changsha,
                to: H.furong,
                number: PacketNumber(session: session, number: 9_000_000),
                sentAt: Date(),
                chains: [],
                commands: [command]
            )
            let body = packet.encoded()
            let reply = try await post(c, body: body, from: "430100", signature: c.keys[H.changsha]!.sign(body))
            let receipts = try CanonicalJSON.decoder.decode(PacketResponse.self, from: reply.body).receipts
            #expect(receipts.first?.status == .rejected && receipts.first?.code == "bad-signature")
            #expect(try await c.database(H.furong).caseState(number)?.holder == H.furong)
        }
    }
}

/// The bounds on what a peer's events may carry, whatever their hashes and signatures.
struct ReceivedBoundsTests {
    @Test func numbersOutOfRangeRefuseThePacket() throws {
        var b = try ChainBuilder(now: Date())
        try b.act(.notify(note: nil))
        let packet = { (events: [CaseEvent]) in
            Packet(from: H.changsha, to: H.furong, number: RefusedPacketTests.anyNumber, sentAt: Date(), chains: [events], commands: [])
        }
        #expect(ReceivedBounds.problem(in: packet(b.events)) == nil)
        var events = b.events
        events[1].time = HLCTimestamp(wallMs: -5, logical: 0)
        #expect(ReceivedBounds.problem(in: packet(events)) != nil)
        events = b.events
        events[1].seq = Int.max
        #expect(ReceivedBounds.problem(in: packet(events)) != nil)
    }

    /// What an event says is bounded by Core's rules, the same that bound this node's own events.
    @Test func countsAndDaysOutOfRangeBreakABound() throws {
        var b = try ChainBuilder(now: Date())
        try b.act(.notify(note: nil))
        #expect(b.events.allSatisfy { $0.body.boundsFailure == nil })
        guard case .register(var r) = b.events[0].body else { return }
        r.collective = CollectiveVisit(batches: 1, personVisits: Int.max)
        #expect(CaseEventBody.register(r).boundsFailure?.field == "collective.personVisits")
        r.collective = nil
        r.petitioners = (0..<6).map { Fixtures.petitioner(name: "代表\($0)", lead: true, person: $0) }
        r.channel = .visit
        r.collective = CollectiveVisit(batches: 1, personVisits: 30)
        #expect(CaseEventBody.register(r).boundsFailure?.code == "too-many-representatives")
        #expect(CaseEventBody.act(.extend(days: 31, approver: "局长", reason: "复杂")).boundsFailure?.field == "days")
        #expect(CaseEventBody.act(.extend(days: 30, approver: " 局长", reason: "复杂")).boundsFailure != nil, "not in its stored form")
        #expect(
            CaseEventBody.act(.comment(text: String(repeating: "长", count: ActionLimits.opinionLengthMax + 1))).boundsFailure?.code
                == "field-too-long"
        )
    }
}
