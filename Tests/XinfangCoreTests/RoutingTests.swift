import Foundation
import Testing
import XinfangCore
import XinfangTesting

/// The tree, hop-by-hop routing, replication targets, who may command what, and signatures.
struct RoutingTests {
    typealias H = ExampleHierarchy
    let topology = ExampleHierarchy.topology(baseURL: { "http://127.0.0.1/\($0)" }).0

    @Test func theTreeAndItsHops() throws {
        #expect(try topology.validated() == topology)
        #expect(topology.ancestors(of: H.furong) == [H.changsha, H.province])
        #expect(topology.nextHop(from: H.province, to: H.furong) == H.changsha)
        #expect(topology.nextHop(from: H.changsha, to: H.furong) == H.furong)
        #expect(topology.nextHop(from: H.furong, to: H.hecheng) == H.changsha, "sideways goes up first")
        #expect(topology.nextHop(from: H.huaihua, to: H.hecheng) == H.hecheng)
        #expect(topology.nextHop(from: H.furong, to: H.furong) == nil)
        #expect(topology.areAdjacent(H.province, H.changsha) && !topology.areAdjacent(H.province, H.furong))
        #expect(topology.ancestor(of: H.furong, levelsUp: 2) == H.province)
        #expect(topology.node(at: .county, containing: RegionCode(rawValue: "430104"))?.id == H.yuelu)
        var cyclic = topology
        cyclic.nodes[0].parent = H.furong
        #expect(throws: ValidationFailure.self) { try cyclic.validated() }
    }

    @Test func eventsGoUpAlwaysAndDownOnlyTowardsParticipants() throws {
        var b = try ChainBuilder(node: H.province, now: Fixtures.instant("2026-11-20T09:00:00+08:00"))
        #expect(Routing.replicationPeers(for: b.state, at: H.province, topology: topology, receivedFrom: nil).isEmpty)
        try b.act(.offer(to: H.furong, mode: .transfer, dueAt: nil, note: nil))
        #expect(Routing.replicationPeers(for: b.state, at: H.province, topology: topology, receivedFrom: nil) == [H.changsha])
        #expect(Routing.replicationPeers(for: b.state, at: H.changsha, topology: topology, receivedFrom: H.province) == [H.furong])
        #expect(Routing.replicationPeers(for: b.state, at: H.furong, topology: topology, receivedFrom: H.changsha).isEmpty)
        #expect(Routing.replicationPeers(for: b.state, at: H.furong, topology: topology, receivedFrom: nil) == [H.changsha])
        #expect(Routing.commandNextHop(holder: nil, at: H.furong, topology: topology) == H.changsha)
    }

    @Test(arguments: ActionName.allCases)
    func whoMayCommandWhat(_ name: ActionName) {
        let fromAncestor = CommandPolicy.mayRequest(name, from: H.province, holder: H.furong, topology: topology)
        let fromSibling = CommandPolicy.mayRequest(name, from: H.yuelu, holder: H.furong, topology: topology)
        let fromChild = CommandPolicy.mayRequest(name, from: H.furong, holder: H.changsha, topology: topology)
        switch name {
        case .comment, .repeatPetition: #expect(fromAncestor && fromSibling && fromChild)
        case .recall, .supervise, .offer, .requestReview, .requestReReview: #expect(fromAncestor && !fromSibling && !fromChild)
        default: #expect(!fromAncestor && !fromSibling && !fromChild, "\(name) is the holder's only")
        }
    }

    @Test func signaturesBindTheSignerAndTheContent() throws {
        let key = NodeKey()
        var b = try ChainBuilder(now: Fixtures.instant("2026-11-20T09:00:00+08:00"))
        try b.act(.notify(note: nil))
        var event = b.events[1]
        key.sign(&event)
        #expect(Signatures.verify(event, publicKey: key.publicKeyBase64))
        #expect(!Signatures.verify(event, publicKey: NodeKey().publicKeyBase64))
        event.actor = "他人"
        event.hash = event.computedHash()
        #expect(!Signatures.verify(event, publicKey: key.publicKeyBase64), "a re-hashed change loses the signature")
        var command = CaseCommand(
            id: "c-1",
            caseNumber: b.state.caseNumber,
            origin: H.province,
            actor: "督查组",
            action: .comment(text: "请加快"),
            createdAt: Date()
        )
        key.sign(&command)
        #expect(Signatures.verify(command, publicKey: key.publicKeyBase64))
        command.hops += 3
        #expect(Signatures.verify(command, publicKey: key.publicKeyBase64), "relays count hops without breaking the signature")
        command.action = .comment(text: "改过")
        #expect(!Signatures.verify(command, publicKey: key.publicKeyBase64))
        #expect(try NodeKey(privateKeyBase64: key.privateKeyBase64).publicKeyBase64 == key.publicKeyBase64)
        #expect(throws: ValidationFailure.self) { try NodeKey(privateKeyBase64: "bm90IGEga2V5") }
    }
}
