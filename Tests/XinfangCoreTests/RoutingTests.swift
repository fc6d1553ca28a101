import Foundation
import Testing
import XinfangCore
import XinfangTesting

/// The tree, hop-by-hop routing, replication targets, who may command what, and signatures.
struct RoutingTests {
    typealias H = ExampleHierarchy
    let topology = ExampleHierarchy.topology(baseURL: { "http://127.0.0.1/\($0)" }).0

    /// A node with two or more servers lists the others beside its base URL: each an http(s) URL,
    /// at most `otherURLsMax` of them; the peers try them in order.
    @Test func aNodesOtherServersAreCheckedURLs() throws {
        var two = topology
        two.nodes[0].otherURLs = ["http://127.0.0.1:2"]
        #expect(try two.validated().nodes[0].serverURLs == [topology.nodes[0].baseURL, "http://127.0.0.1:2"])
        #expect(topology.nodes[0].serverURLs == [topology.nodes[0].baseURL])
        var bad = topology
        bad.nodes[1].otherURLs = ["http://127.0.0.1:2", "ftp://127.0.0.1:3"]
        #expect(throws: ValidationFailure.invalid("nodes.1.otherURLs.1", "otherURLs 中的地址必须以 http:// 或 https:// 开头。")) {
            try bad.validated()
        }
        var many = topology
        many.nodes[0].otherURLs = (0...Topology.otherURLsMax).map { "http://127.0.0.1:\(1000 + $0)" }
        #expect(throws: ValidationFailure.self) { try many.validated() }
    }

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

    /// The one table of who may take which action, as a matrix: for a case held by 芙蓉区 (assigned
    /// by the province), what each kind of node may do.
    @Test(arguments: ActionName.allCases)
    func whoMayTakeWhichAction(_ name: ActionName) {
        func may(_ node: NodeID, holder: NodeID = H.furong, assigner: NodeID? = H.province) -> Bool {
            CommandPolicy.may(name, node: node, holder: holder, assigner: assigner, topology: topology)
        }
        let holder = may(H.furong)
        let assignerHolding = may(H.province, holder: H.province, assigner: H.province)
        let holderNotAssigner = may(H.changsha, holder: H.changsha, assigner: H.province)
        let parent = may(H.changsha)
        let grandparent = may(H.province)
        let sibling = may(H.yuelu)
        let child = may(H.furong, holder: H.changsha)
        let row = [holder, assignerHolding, holderNotAssigner, parent, grandparent, sibling, child]
        switch CommandPolicy.authority(of: name) {
        case .holder:
            #expect(row == [true, true, true, false, false, false, false], "\(name): the holder only")
        case .assigner:
            #expect(row == [false, true, false, false, false, false, false], "\(name): the assigner, holding the closure report")
        case .anyAncestor:
            #expect(row == [false, false, false, true, true, false, false], "\(name): any ancestor, never the holder")
        case .parentOnly:
            #expect(row == [true, true, true, true, false, false, false], "\(name): the holder itself, or its parent by command")
        case .reviewer:
            #expect(row == [true, true, true, true, false, false, false], "\(name): the holder itself, or its parent by command (no reviewer named)")
            // The reviewer the policy names may ask too, even when it is not the holder's parent
            // (a 交办 closure verified by the province is reviewed by the handling county's city).
            #expect(CommandPolicy.may(name, node: H.changsha, holder: H.province, assigner: H.province, reviewer: H.changsha, topology: topology))
            #expect(!CommandPolicy.may(name, node: H.yuelu, holder: H.province, assigner: H.province, reviewer: H.changsha, topology: topology))
        case .anyNode:
            #expect(row[3...] == [true, true, true, true], "\(name): any node")
        case .holderOrAncestor:
            #expect(row == [true, true, true, true, true, false, false], "\(name): the holder, or any ancestor by command")
        }
        // The table itself, so a change to it is a visible decision.
        let expected: [ActionName: CommandPolicy.Authority] = [
            .comment: .anyNode, .repeatPetition: .anyNode, .recall: .anyAncestor, .supervise: .anyAncestor, .takeOver: .anyAncestor,
            .offer: .parentOnly, .requestReview: .reviewer, .requestReReview: .reviewer, .verifyClosure: .assigner, .returnClosure: .assigner,
            .attach: .holderOrAncestor, .withdrawAttachment: .holderOrAncestor, .issueNotice: .holderOrAncestor,
            // A petitioner rates and asks for a new 查询码 at whichever level they reach (issue 18).
            .evaluate: .anyNode, .reissueLookupCode: .anyNode,
        ]
        #expect(CommandPolicy.authority(of: name) == expected[name] ?? .holder)
        #expect(!CommandPolicy.mayRequest(.takeOver, from: H.province, holder: H.furong, topology: topology), "a takeover is never a command")
        #expect(CommandPolicy.mayTakeOver(node: H.province, holder: H.furong, topology: topology))
        #expect(!CommandPolicy.mayTakeOver(node: H.yuelu, holder: H.furong, topology: topology))
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

/// Whom a node asks for a blob it lacks, and when again.
struct BlobFetchPolicyTests {
    @Test func theSenderFirstThenEveryNeighbourInTurn() {
        let (topology, _) = ExampleHierarchy.topology(baseURL: { "http://127.0.0.1/\($0)" })
        let city = ExampleHierarchy.changsha
        let asked = (0..<4).compactMap { BlobFetchPolicy.source(attempts: $0, sender: ExampleHierarchy.furong, at: city, topology: topology) }
        #expect(asked == [ExampleHierarchy.furong, ExampleHierarchy.province, ExampleHierarchy.yuelu, ExampleHierarchy.furong])
        #expect(BlobFetchPolicy.source(attempts: 0, sender: nil, at: ExampleHierarchy.furong, topology: topology) == city)
    }

    @Test func retriesDoubleToFiveMinutes() {
        #expect(BlobFetchPolicy.retryDelay(afterAttempts: 1, jitter: 0) == 1)
        #expect(BlobFetchPolicy.retryDelay(afterAttempts: 4, jitter: 0) == 8)
        #expect(BlobFetchPolicy.retryDelay(afterAttempts: 40, jitter: 0) == 300)
        #expect(BlobFetchPolicy.retryDelay(afterAttempts: 40, jitter: 0.999) < 375.01)
    }
}

extension BlobFetchPolicyTests {
    @Test func aNeighbourStillFetchingIsAskedAgainWithinTenSeconds() {
        #expect(BlobFetchPolicy.retryDelay(afterAttempts: 2, jitter: 0, notYetThere: true) == 2)
        #expect(BlobFetchPolicy.retryDelay(afterAttempts: 12, jitter: 0, notYetThere: true) == 10)
        #expect(BlobFetchPolicy.retryDelay(afterAttempts: 12, jitter: 0) == 300)
    }
}
