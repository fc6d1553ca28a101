import Foundation
import XinfangCore

/// Seeds the demo hierarchy and plays the flows the users name, through the user API of the
/// running nodes, so what a person then sees was made by the real system.
struct DemoStory {
    let client: DemoClient
    let topology: Topology

    static let province = NodeID("430000")
    static let changsha = NodeID("430100")
    static let furong = NodeID("430102")
    static let yuelu = NodeID("430104")
    static let huaihua = NodeID("431200")
    static let hecheng = NodeID("431202")
    static let zhongfang = NodeID("431221")

    /// The file, in the demo's folder, that says the story was played to its end there.
    static let doneFile = "story.done"

    /// Plays the story on an empty hierarchy and marks the folder; returns what it did (nothing
    /// when the folder's story was played before). A folder with cases but no mark was left
    /// partly seeded (a run stopped mid-story): it is refused with how to start fresh, rather
    /// than seeded twice or shown half-told.
    func play(in folder: URL) async throws -> [String] {
        let mark = folder.appendingPathComponent(Self.doneFile)
        if FileManager.default.fileExists(atPath: mark.path) { return [] }
        var seeded: [String] = []
        for node in topology.nodes {
            let ready = await client.send("GET", node.id, "/readyz")
            if let cases = ready.json["cases"] as? Int, cases > 0 { seeded.append("\(node.id) (\(cases) cases)") }
        }
        guard seeded.isEmpty else {
            throw DemoError(
                """
                the demo folder \(folder.path) is partly seeded: an earlier run stopped before the story \
                ended (cases at \(seeded.joined(separator: ", "))), so it would show half of it.
                Start fresh: stop the demo, then `rm -rf \(folder.path)` and run it again \
                (or give another folder with --dir).
                """
            )
        }
        let story = try await playOnEmptyHierarchy()
        try Data(story.joined(separator: "\n").utf8).write(to: mark)
        return story
    }

    /// The story itself, on nodes that hold no case.
    func playOnEmptyHierarchy() async throws -> [String] {
        var seeder = DemoSeeder(now: Date())
        var story: [String] = []
        let due = ISO8601DateFormatter().string(from: Date().addingTimeInterval(30 * 86_400))

        // Everyday registrations at every county and city.
        var index = 0
        for node in topology.nodes where node.level != .province {
            for _ in 0..<(node.level == .county ? 5 : 2) {
                let region = node.level == .county ? node.id.rawValue : topology.children(of: node.id).first?.rawValue ?? node.id.rawValue
                let number = try await client.register(seeder.registration(index: index, region: region, registrar: "李娜"), at: node.id)
                if node.level == .county && index % 2 == 0 { try await client.act(node.id, number, ["action": "notify"]) }
                index += 1
            }
        }
        story.append("registered \(index) petitions at the 6 cities and counties")

        // 1–2. A skip-level visit at the province, assigned to 芙蓉区, closed there and verified.
        let assigned = try await client.register(seeder.registration(index: 2, region: "430102", registrar: "王芳"), at: Self.province)
        try await client.act(Self.province, assigned, ["action": "offer", "to": "430102", "mode": "assign", "dueAt": due])
        try await client.waitFor(Self.furong, assigned, status: "offered")
        for fields: [String: Any] in [
            ["action": "accept"], ["action": "notify"],
            ["action": "reply", "outcome": "supported", "opinion": "经核查，责令用人单位十日内支付拖欠工资。"],
            ["action": "close", "report": "处理意见书已送达，工资已支付。"],
        ] { try await client.act(Self.furong, assigned, fields) }
        try await client.waitFor(Self.province, assigned, status: "closed", holder: Self.province)
        try await client.act(Self.province, assigned, ["action": "verifyClosure", "note": "认定办结"])
        story.append("\(assigned): 越级访 registered at the province, 交办 to 芙蓉区, closed and verified (审核认定办结)")

        // 3. An escalation from 中方县 that 怀化市 accepts.
        let escalated = try await client.register(seeder.registration(index: 13, region: "431221", registrar: "李娜"), at: Self.zhongfang)
        try await client.act(Self.zhongfang, escalated, ["action": "notify"])
        try await client.act(Self.zhongfang, escalated, ["action": "escalate", "reason": "总包单位在市区，县级无法协调"])
        try await client.waitFor(Self.huaihua, escalated, status: "offered")
        try await client.act(Self.huaihua, escalated, ["action": "accept"])
        story.append("\(escalated): 上报 by 中方县, accepted by 怀化市")

        // 4. A wrong-county assignment declined and re-routed through the province.
        let rerouted = try await client.register(seeder.registration(index: 9, region: "430104", registrar: "王芳"), at: Self.province)
        try await client.act(Self.province, rerouted, ["action": "offer", "to": "430102", "mode": "assign", "dueAt": due])
        try await client.waitFor(Self.furong, rerouted, status: "offered")
        try await client.act(Self.furong, rerouted, ["action": "decline", "reason": "问题属地在岳麓区，不属本区管辖"])
        try await client.waitFor(Self.province, rerouted, status: "declined")
        try await client.act(Self.province, rerouted, ["action": "offer", "to": "430104", "mode": "assign", "dueAt": due])
        try await client.waitFor(Self.yuelu, rerouted, status: "offered")
        try await client.act(Self.yuelu, rerouted, ["action": "accept"])
        story.append("\(rerouted): assigned to 芙蓉区, declined (wrong county), re-assigned to 岳麓区 and accepted")

        // 5. A review at 怀化市 of a 鹤城区 reply.
        let reviewed = try await client.register(seeder.registration(index: 7, region: "431202", registrar: "李娜"), at: Self.hecheng)
        for fields: [String: Any] in [
            ["action": "notify"], ["action": "reply", "outcome": "notSupported", "opinion": "不符合提前退休条件。"], ["action": "close"],
        ] { try await client.act(Self.hecheng, reviewed, fields) }
        try await client.waitFor(Self.huaihua, reviewed, status: "closed")
        try await client.act(Self.huaihua, reviewed, ["action": "requestReview", "reason": "信访人不服处理意见"])
        try await client.waitFor(Self.huaihua, reviewed, status: "reviewRequested", holder: Self.huaihua)
        story.append("\(reviewed): replied by 鹤城区, 复查 requested at 怀化市, which now holds it")

        // A 督办 from the province on a 芙蓉区 case.
        let pressed = try await client.register(seeder.registration(index: 0, region: "430102", registrar: "李娜"), at: Self.furong)
        try await client.act(Self.furong, pressed, ["action": "notify"])
        try await client.waitFor(Self.province, pressed, status: "accepted")
        try await client.act(Self.province, pressed, ["action": "supervise", "dueAt": due, "note": "请于30日内书面反馈办理情况"])
        story.append("\(pressed): 督办 by the province, applied at 芙蓉区")
        return story
    }
}
