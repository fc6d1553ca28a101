import Foundation
import Testing
import XinfangCore
import XinfangTesting

/// Chain intake (issue 14): what a node decides about a run of events from a neighbour, as a
/// table over one signed chain of six events (registered at the county, offered to the city,
/// accepted, notified, replied, closed).
struct ChainIntakeTests {
    static let county = Fixtures.county
    static let city = Fixtures.city
    static let keys = [county: NodeKey(), city: NodeKey()]
    static let topology = Topology(nodes: [
        TopologyNode(id: city, name: "市", level: .city, parent: nil, baseURL: "http://c.invalid", publicKey: keys[city]!.publicKeyBase64),
        TopologyNode(id: county, name: "区", level: .county, parent: city, baseURL: "http://k.invalid", publicKey: keys[county]!.publicKeyBase64),
    ])

    /// The chain, each event signed by its origin.
    static let chain: [CaseEvent] = {
        var builder = try! ChainBuilder(node: county, now: Fixtures.instant("2026-11-02T09:00:00+08:00"))
        try! builder.act(.notify(note: nil))
        try! builder.act(.reply(outcome: .supported, opinion: "支持"))
        try! builder.act(.comment(text: "备注一"))
        try! builder.act(.comment(text: "备注二"))
        try! builder.act(.comment(text: "备注三"))
        return builder.events.map { event in
            var signed = event
            keys[event.origin]!.sign(&signed)
            return signed
        }
    }()

    /// Another branch: a different fourth event after the third.
    static let branch: [CaseEvent] = {
        var event = chain[3]
        event.body = .act(.comment(text: "另一分支"))
        event.hash = event.computedHash()
        keys[county]!.sign(&event)
        return [event]
    }()

    static func local(_ n: Int) -> ChainIntake.Local? {
        n == 0 ? nil : ChainIntake.Local(headSeq: n, headHash: chain[n - 1].hash)
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var run: [CaseEvent]
        /// Events known here: the first `held` of the chain; the local head is the last of them.
        var held: Int
        var expected: ChainIntake.Decision
        var testDescription: String { name }
    }

    static var rows: [Row] {
        let c = chain
        var unlinked = c[2]
        unlinked.prevHash = c[0].hash
        var tampered = c[5]
        tampered.body = .act(.comment(text: "被篡改"))
        tampered.hash = tampered.computedHash()
        var otherRegistration = c[0]
        otherRegistration.actor = "另一登记员"
        otherRegistration.hash = otherRegistration.computedHash()
        keys[county]!.sign(&otherRegistration)
        return [
            Row(name: "nothing new", run: Array(c[0..<3]), held: 3, expected: .duplicate),
            Row(name: "the next events", run: Array(c[3..<6]), held: 3, expected: .extend(Array(c[3..<6]))),
            Row(name: "a resend overlapping what is held: only the suffix is new", run: Array(c[1..<5]), held: 3, expected: .extend(Array(c[3..<5]))),
            Row(name: "a new case from its registration", run: Array(c[0..<2]), held: 0, expected: .extend(Array(c[0..<2]))),
            Row(name: "events after a gap", run: Array(c[4..<6]), held: 2, expected: .gap(head: 2, detail: "events after 2 are missing")),
            Row(name: "a branch off the third event", run: branch, held: 5, expected: .fork(branch)),
            Row(name: "an empty run", run: [], held: 3, expected: .malformed(code: .emptyChain, detail: "no events")),
            Row(
                name: "events that do not link",
                run: [c[1], unlinked],
                held: 1,
                expected: .malformed(code: .invalidChain, detail: "a chain item holds consecutive, linked events of one case")
            ),
            Row(
                name: "an altered head event",
                run: [c[3], c[4], tampered],
                held: 3,
                expected: .refuse(code: .badSignature, detail: "the head event's signature does not verify against its origin's key")
            ),
            Row(
                name: "another registration under a held number",
                run: [otherRegistration],
                held: 3,
                expected: .refuse(code: .diverged, detail: "a different registration of this case number is stored here")
            ),
        ]
    }

    @Test(arguments: rows)
    func theDecisionFollowsFromTheRunAndWhatIsHeld(_ row: Row) {
        let known = Set(Self.chain.prefix(row.held).map(\.hash))
        let decision = ChainIntake.decide(row.run, local: Self.local(row.held), isKnown: { known.contains($0) }, topology: Self.topology)
        #expect(decision == row.expected)
    }

    @Test func anUnsignedHeadIsRefusedUnlessItsSignatureWasCheckedAlready() {
        var unsigned = Self.chain[3]
        unsigned.signature = ""
        let known = Set(Self.chain.prefix(3).map(\.hash))
        let refused = ChainIntake.decide([unsigned], local: Self.local(3), isKnown: { known.contains($0) }, topology: Self.topology)
        #expect(refused == .refuse(code: .badSignature, detail: "the head event's signature does not verify against its origin's key"))
        let checked = ChainIntake.decide(
            [unsigned],
            local: Self.local(3),
            isKnown: { known.contains($0) },
            topology: Self.topology,
            verifiedHeads: [unsigned.hash]
        )
        #expect(checked == .extend([unsigned]))
    }

    @Test func anOriginOutsideTheTreeIsRefused() {
        let stranger = Topology(nodes: Self.topology.nodes.filter { $0.id != Self.county })
        let known = Set(Self.chain.prefix(3).map(\.hash))
        let decision = ChainIntake.decide(Array(Self.chain[3..<4]), local: Self.local(3), isKnown: { known.contains($0) }, topology: stranger)
        guard case .refuse(let code, _) = decision else {
            Issue.record("expected a refusal, got \(decision)")
            return
        }
        #expect(code == .badSignature, "a signer the tree does not know cannot be verified")
    }
}
