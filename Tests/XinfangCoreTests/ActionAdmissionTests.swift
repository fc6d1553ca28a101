import Foundation
import Testing
import XinfangCore
import XinfangTesting

/// Action admission (issue 14): what a node makes of a user's request before the lifecycle sees
/// it — its own parameters filled in, the client's word for them dropped, actions that need the
/// tree refused without one, the role's permission, and whether the action is appended here or
/// sent to the holder as a command.
struct ActionAdmissionTests {
    static let province = Fixtures.province
    static let city = Fixtures.city
    static let county = Fixtures.county
    static let sibling = Fixtures.otherCounty
    static let keys = [province: NodeKey(), city: NodeKey(), county: NodeKey(), sibling: NodeKey()]
    static let topology = Topology(
        nodes: [(province, nil as NodeID?), (city, province), (county, city), (sibling, city)].map { id, parent in
            TopologyNode(
                id: id,
                name: id.rawValue,
                level: parent == nil ? .province : parent == province ? .city : .county,
                parent: parent,
                baseURL: "http://\(id).invalid",
                publicKey: keys[id]!.publicKeyBase64
            )
        }
    )
    static func hierarchy(_ node: NodeID) -> Hierarchy { Hierarchy(topology: topology, key: keys[node]!) }

    static func fields(_ values: [String: String]) -> ActionFields {
        var f = ActionFields(action: values["action"])
        f.to = values["to"]
        f.by = values["by"]
        f.reviewer = values["reviewer"]
        f.routing = values["routing"]
        f.reason = values["reason"]
        f.mode = values["mode"]
        f.text = values["text"]
        return f
    }

    enum Expected: Equatable, Sendable {
        case action(CaseAction)
        case refused(PolicyRefusal.Reason)
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var node: NodeID
        var hierarchy: Bool = true
        var request: [String: String]
        /// The action the node makes of it, or the refusal's reason.
        var expected: Expected
        var testDescription: String { name }
    }

    static let rows: [Row] = [
        Row(
            name: "an escalation goes to this node's parent, whatever the client says",
            node: county,
            request: ["action": "escalate", "to": "430000", "reason": "需上级协调"],
            expected: .action(.escalate(to: city, reason: "需上级协调"))
        ),
        Row(name: "no escalation from the root", node: province, request: ["action": "escalate", "reason": "r"], expected: .refused(.noParent)),
        Row(
            name: "a recall is signed by this node, not by the client's `by`",
            node: city,
            request: ["action": "recall", "by": "430000", "reason": "提办"],
            expected: .action(.recall(by: city, reason: "提办"))
        ),
        Row(
            name: "a takeover is signed by this node",
            node: province,
            request: ["action": "takeOver", "by": "430100", "reason": "长期无响应"],
            expected: .action(.takeOver(by: province, reason: "长期无响应"))
        ),
        Row(
            name: "the reviewer is the node's to name",
            node: county,
            request: ["action": "requestReview", "reviewer": "430000", "reason": "不服"],
            expected: .action(.requestReview(reason: "不服", reviewer: nil))
        ),
        Row(
            name: "why a route passed an organ over is the node's to say",
            node: county,
            request: ["action": "comment", "text": "备注", "routing": "客户端的说法"],
            expected: .action(.comment(text: "备注"))
        ),
        Row(
            name: "a repeat petition is only made by registration",
            node: county,
            request: ["action": "repeatPetition"],
            expected: .refused(.holderOnly)
        ),
        Row(
            name: "an escalation needs the tree",
            node: county,
            hierarchy: false,
            request: ["action": "escalate", "reason": "r"],
            expected: .refused(.needsHierarchy)
        ),
        Row(
            name: "an offer to a node outside the tree",
            node: city,
            request: ["action": "offer", "to": "440100", "mode": "transfer"],
            expected: .refused(.unknownNode)
        ),
        Row(
            name: "an offer without the tree",
            node: county,
            hierarchy: false,
            request: ["action": "offer", "to": "430104", "mode": "transfer"],
            expected: .refused(.unknownNode)
        ),
    ]

    @Test(arguments: rows)
    func theNodeMakesItsOwnParametersAndRefusesWhatItMayNot(_ row: Row) throws {
        let hierarchy = row.hierarchy ? Self.hierarchy(row.node) : nil
        do {
            let action = try ActionAdmission.action(from: Self.fields(row.request), node: row.node, hierarchy: hierarchy)
            #expect(Expected.action(action) == row.expected)
        } catch let refusal as PolicyRefusal {
            #expect(Expected.refused(refusal.reason) == row.expected, "\(refusal)")
        }
    }

    @Test func aRoleWithoutThePermissionIsRefused() throws {
        let verify = CaseAction.verifyClosure(note: nil)
        #expect(throws: PolicyRefusal.self) { try ActionAdmission.permit(verify, permissions: [.readCases, .act], roleLabel: "承办人") }
        try ActionAdmission.permit(verify, permissions: [.readCases, .act, .approve], roleLabel: "领导")
    }

    /// A case the county holds, seen from each node.
    @Test func theHolderAppendsAnAncestorCommandsASiblingIsRefused() throws {
        let builder = try ChainBuilder(node: Self.county, now: Fixtures.instant("2026-11-02T09:00:00+08:00"))
        let state = builder.state
        let comment = CaseAction.comment(text: "备注")
        #expect(try ActionAdmission.route(comment, on: state, node: Self.county, hierarchy: Self.hierarchy(Self.county)) == .append)
        #expect(
            try ActionAdmission.route(
                .recall(by: Self.province, reason: "提办"),
                on: state,
                node: Self.province,
                hierarchy: Self.hierarchy(Self.province)
            )
                == .command(holder: Self.county, nextHop: Self.city)
        )
        #expect(
            try ActionAdmission.route(.takeOver(by: Self.city, reason: "r"), on: state, node: Self.city, hierarchy: Self.hierarchy(Self.city))
                == .append,
            "a takeover is appended at the ancestor's own node"
        )
        #expect(throws: PolicyRefusal.self) {
            try ActionAdmission.route(.recall(by: Self.sibling, reason: "r"), on: state, node: Self.sibling, hierarchy: Self.hierarchy(Self.sibling))
        }
        #expect(throws: LifecycleError.self, "a status that does not allow it is refused before anything is sent") {
            try ActionAdmission.route(
                .requestReview(reason: "不服", reviewer: nil),
                on: state,
                node: Self.city,
                hierarchy: Self.hierarchy(Self.city)
            )
        }
    }
}
