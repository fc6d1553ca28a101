import Foundation
import Testing
import XinfangCore
import XinfangStore
import XinfangSync
import XinfangTesting

/// A packet's size is bounded by what its receiver accepts (`PeerLimits.packetBytesMax`), not
/// only by its items and events: a registration may carry 20,000 characters of text, so a queue
/// of such cases made packets the receiver refused as too large at every attempt, until their
/// items went dead. On both backends, the sender's store choosing the items.
struct PacketBytesTests {
    static let now = NodeSyncTests.now

    /// The body the dispatcher sends for `batch` (`PeerDispatcher.ready`).
    static func body(of batch: OutboxBatch, from: NodeID, to: NodeID) throws -> Data {
        let number = try #require(batch.number)
        return Packet(from: from, to: to, number: number, sentAt: now, chains: [], commands: batch.commands)
            .encoded(wireChains: batch.runs.map(\.events))
    }

    /// Sends every due item of `sender` to `receiver`, one batch at a time; each batch's body
    /// passes `check` before it is received.
    static func drain(
        _ sender: NodeDatabase,
        to receiver: NodeDatabase,
        bytesMax: Int = DeliveryPolicy.packetContentBytesMax,
        check: (OutboxBatch, Data) throws -> Void
    ) async throws -> Int {
        try await sender.startSending(to: receiver.node, session: try await receiver.openReceiving(from: sender.node, now: now))
        var packets = 0
        while let batch = try await sender.nextBatch(for: receiver.node, now: now, bytesMax: bytesMax) {
            try check(batch, try body(of: batch, from: sender.node, to: receiver.node))
            var receipts = try await receiver.receivePacket(
                from: sender.node,
                number: try #require(batch.number),
                chains: try batch.chains(),
                now: now
            )
            for command in batch.commands { receipts.append(try await receiver.receiveCommand(command, from: sender.node, now: now)) }
            // A chain is applied, a command taken by its holder.
            let taken = receipts.filter { $0.status == ($0.kind == .command ? .accepted : .applied) }
            #expect(taken.count == receipts.count, "\(receipts)")
            try await sender.recordDelivery(batch, receipts: receipts, now: now, jitter: 0)
            packets += 1
            try #require(packets < 10_000, "the queue never drains")
        }
        return packets
    }

    @Test(arguments: StoreBackend.allCases)
    func casesWithTheLongestTextsGoInPacketsTheReceiverAccepts(_ backend: StoreBackend) async throws {
        let (topology, keys) = NodeSyncTests.hierarchy()
        let county = try NodeDatabase.inMemory(node: Fixtures.county, hierarchy: Hierarchy(topology: topology, key: keys[Fixtures.county]!))
        try await backend.withNode(Fixtures.city, hierarchy: Hierarchy(topology: topology, key: keys[Fixtures.city]!)) { city in
            // 150 items, under the 200 a packet may hold, of some 60 KB each: 9 MB of events.
            let cases = 150
            let numbers = try await NodeSyncTests.transferred(
                cases,
                from: city,
                text: String(repeating: "欠", count: RegistrationLimits.textLengthMax)
            )
            var largest = 0
            let packets = try await Self.drain(city, to: county) { batch, body in
                #expect(body.count <= PeerLimits.packetBytesMax)
                #expect(!batch.runs.isEmpty)
                largest = max(largest, body.count)
            }
            #expect(packets >= 2)
            // Packets are cut by bytes, not into crumbs.
            #expect(largest > DeliveryPolicy.packetContentBytesMax / 2)
            #expect(try await county.counts() == (cases: cases, events: 2 * cases))
            for number in numbers { #expect(try await county.caseState(number) == (try await city.caseState(number))) }
        }
    }

    /// A chain longer than a packet's bytes is cut between its events: the first events go, the
    /// rest with the next packet, in order; an item that does not fit waits; a packet with nothing
    /// else takes an event larger than the bound alone. Commands count against the bound as well.
    @Test(arguments: StoreBackend.allCases)
    func aChainIsCutBetweenItsEventsAndArrivesWhole(_ backend: StoreBackend) async throws {
        let (topology, keys) = NodeSyncTests.hierarchy()
        for bytesMax in [6_000, 100] {
            let city = try NodeDatabase.inMemory(node: Fixtures.city, hierarchy: Hierarchy(topology: topology, key: keys[Fixtures.city]!))
            try await backend.withNode(Fixtures.county, hierarchy: Hierarchy(topology: topology, key: keys[Fixtures.county]!)) { county in
                var numbers: [CaseNumber] = []
                for i in 0..<3 {
                    let (state, _) = try await county.register(
                        Fixtures.registration(receivedAt: Self.now, summary: "反映拖欠工资 \(i)"),
                        actor: "登记员",
                        now: Self.now
                    )
                    for j in 0..<(i == 1 ? 6 : 1) {
                        _ = try await county.act(
                            on: state.caseNumber,
                            action: .comment(text: String(repeating: "备注\(j)", count: 300)),
                            actor: "承办人",
                            now: Self.now
                        )
                    }
                    numbers.append(state.caseNumber)
                }
                let events = try await county.counts().events
                var heads: [CaseNumber: Int] = [:]
                for number in numbers { heads[number] = try #require(try await county.caseState(number)).headSeq }
                var cut = false
                var sentEvents = 0
                let packets = try await Self.drain(county, to: city, bytesMax: bytesMax) { batch, _ in
                    let content = batch.runs.reduce(0) { total, run in total + run.events.reduce(3) { $0 + $1.count + 1 } }
                    let events = batch.runs.reduce(0) { $0 + $1.events.count }
                    // Within the bound, or a single event alone.
                    #expect(content <= bytesMax || (batch.runs.count == 1 && events == 1 && batch.commands.isEmpty))
                    sentEvents += events
                    if batch.runs.contains(where: { $0.lastSeq < heads[$0.caseNumber, default: 0] }) { cut = true }
                }
                #expect(cut)
                #expect(sentEvents == events, "every event sent once")
                #expect(packets >= (bytesMax == 100 ? events : 3))
                #expect(try await city.counts() == (try await county.counts()))
                for number in numbers { #expect(try await city.caseState(number) == (try await county.caseState(number))) }

                // Commands the city sends to the holder take their share of the bound too.
                var commandBytes: [Int] = []
                for number in numbers {
                    let command = try await city.submitCommand(
                        caseNumber: number,
                        action: .comment(text: String(repeating: "市局意见", count: 300)),
                        actor: "督办人",
                        now: Self.now
                    )
                    commandBytes.append(try CanonicalJSON.encoder.encode(command).count)
                }
                try #require(commandBytes.allSatisfy { $0 > bytesMax / 2 })
                var commandPackets = 0
                _ = try await Self.drain(city, to: county, bytesMax: bytesMax) { batch, _ in
                    guard !batch.commands.isEmpty else { return }
                    let content = try batch.commands.reduce(0) { $0 + (try CanonicalJSON.encoder.encode($1).count) + 1 }
                    #expect(content <= bytesMax || (batch.commands.count == 1 && batch.runs.isEmpty))
                    #expect(batch.commands.count == 1, "two of them never fit")
                    commandPackets += 1
                }
                #expect(commandPackets == numbers.count)
                for number in numbers {
                    #expect(try await county.caseState(number)?.headSeq == heads[number].map { $0 + 1 })
                }
            }
        }
    }
}
