import Foundation
import Testing
import XinfangCore
import XinfangSimulation
import XinfangStore
import XinfangSync

/// What a parent hands a child rebuilding its lost store (`xinfang bootstrap --from-parent`):
/// every case the child replicates, in bounded pages that cover each once; only to that child,
/// by its signature; and the child takes the chains as a packet's, refusing one that was altered.
/// (The whole bootstrap on processes: `BootstrapProcessTests`.)
struct SubtreeExportTests {
    struct At: NodeClock {
        let date: Date
        func now() -> Date { date }
    }

    @Test func pagesCoverTheChildsCasesOnceAndOnlyTheChildMayAsk() async throws {
        let sim = try await Simulation.scripted(
            directory: FileManager.default.temporaryDirectory.appendingPathComponent("xinfang-subtree-\(UUID().uuidString)")
        )
        var numbers: Set<String> = []
        for _ in 0..<450 { numbers.insert(try await sim.register(at: H.furong, region: "430102").rawValue) }
        _ = try await sim.register(at: H.yuelu, region: "430104")
        for _ in 0..<5 { try await sim.settle() }
        let city = try #require(await sim.store(H.changsha))
        let county = try #require(await sim.store(H.furong))

        var pages: [SubtreeExport] = []
        var after: String?
        repeat {
            let page = try await city.subtreeExport(for: H.furong, after: after)
            pages.append(page)
            after = page.next
        } while after != nil && pages.count < 10
        #expect(pages.map(\.chains.count) == [200, 200, 50])
        #expect(pages.allSatisfy { $0.total == 450 })
        #expect(pages[0].heldByChildCount == 450 && pages[0].heldByChild?.count == 450 && pages[1].heldByChild == nil)
        let chains = pages.flatMap(\.chains)
        #expect(Set(chains.compactMap { $0.first?.caseNumber.rawValue }) == numbers && chains.count == numbers.count, "each case once")
        for chain in chains.prefix(20) {
            #expect(try await county.events(of: chain[0].caseNumber).map(\.hash) == chain.map(\.hash), "the whole chain")
        }
        #expect(try await city.subtreeExport(for: H.yuelu, after: nil).chains.count == 1, "another child's own")

        // Only a child, by its own signature, addressed here, on time, in shape.
        let now = await sim.clockTime(at: H.changsha)
        let server = SubtreeServer(database: city, clock: At(date: now))
        func ask(_ from: NodeID, key: NodeID, to: NodeID = H.changsha, sentAt: Date? = nil, after: String? = nil) async -> String {
            let body = try! CanonicalJSON.encoder.encode(SubtreeRequest(from: from, to: to, sentAt: sentAt ?? now, after: after))
            let signer = await sim.store(key)!.hierarchy!.key
            do {
                let page = try await server.answer(body: body, from: from.rawValue, signature: signer.sign(body))
                return "ok \(page.chains.count)"
            } catch let refusal as PacketRefusal {
                return "\(refusal.status) \(refusal.code)"
            } catch {
                return "\(error)"
            }
        }
        #expect(await ask(H.furong, key: H.furong) == "ok 200")
        #expect(await ask(H.furong, key: H.furong, after: pages[1].next) == "ok 50")
        #expect(await ask(H.province, key: H.province) == "403 not-a-child")
        #expect(await ask(H.furong, key: H.yuelu) == "401 bad-packet-signature")
        #expect(await ask(H.furong, key: H.furong, to: H.province) == "400 misaddressed")
        #expect(await ask(H.furong, key: H.furong, sentAt: now.addingTimeInterval(-3_600)) == "409 stale-packet")
        #expect(await ask(H.furong, key: H.furong, after: "../x") == "400 malformed-subtree-request")

        // A fresh store for the county takes the pages; an altered chain is refused alone.
        let fresh = try NodeDatabase.inMemory(node: H.furong, hierarchy: county.hierarchy)
        var first = pages[0].chains
        first[0][0].actor = "篡改者"
        let receipts = try await fresh.receiveReplicas(from: H.changsha, chains: first, now: now)
        #expect(receipts[0].status == .rejected && receipts.dropFirst().allSatisfy { $0.status == .applied })
        for page in pages.dropFirst() { _ = try await fresh.receiveReplicas(from: H.changsha, chains: page.chains, now: now) }
        #expect(try await fresh.counts().cases == 449)
        #expect(try await fresh.verifyIntegrity().ok)
    }
}
