import Foundation
import XinfangCore
import XinfangSync

/// The demo's HTTP client for the user API of its nodes, over the project's one `HTTPExchange`.
struct DemoClient: Sendable {
    let exchange = HTTPExchange(timeoutSeconds: 10)
    let urls: [NodeID: String]
    /// An API token per node (the demo's leader accounts).
    var tokens: [NodeID: String] = [:]

    struct Reply {
        var status: Int
        var json: [String: Any]
    }

    func send(_ method: String, _ node: NodeID, _ path: String, body: Data? = nil) async -> Reply {
        let reply = await exchange.send(
            method,
            URL(string: urls[node]! + path)!,
            body: body,
            headers: ["Content-Type": body == nil ? nil : "application/json", "Authorization": tokens[node].map { "Bearer \($0)" }]
        )
        let json = (try? JSONSerialization.jsonObject(with: reply.body) as? [String: Any]) ?? [:]
        return Reply(status: reply.status, json: json)
    }

    func register(_ registration: CaseRegistration, at node: NodeID) async throws -> CaseNumber {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let reply = await send("POST", node, "/api/v1/cases", body: try encoder.encode(registration))
        guard reply.status == 201, let number = reply.json["caseNumber"] as? String else {
            throw DemoError("registration at \(node) failed: \(reply.status) \(reply.json)")
        }
        return CaseNumber(rawValue: number)
    }

    /// The officer who handles the demo's cases at each node (经办人).
    static let handlers = [
        "430000": "刘洋", "430100": "陈静", "430102": "周敏", "430104": "吴磊", "431200": "郑红", "431202": "孙强", "431221": "黄丽",
    ]

    @discardableResult
    func act(_ node: NodeID, _ number: CaseNumber, _ fields: [String: Any], actor: String? = nil) async throws -> Reply {
        var body = fields
        body["actor"] = actor ?? Self.handlers[node.rawValue] ?? "周敏"
        let reply = await send("POST", node, "/api/v1/cases/\(number)/actions", body: try JSONSerialization.data(withJSONObject: body))
        guard reply.status == 200 || reply.status == 202 else {
            throw DemoError("\(fields["action"] ?? "?") at \(node) on \(number) failed: \(reply.status) \(reply.json["detail"] ?? "")")
        }
        return reply
    }

    /// Waits until the case at `node` has `status` (and `holder`, if given); 10 s at most.
    func waitFor(_ node: NodeID, _ number: CaseNumber, status: String, holder: NodeID? = nil) async throws {
        for _ in 0..<1000 {
            let reply = await send("GET", node, "/api/v1/cases/\(number)")
            if reply.json["status"] as? String == status, holder == nil || reply.json["holder"] as? String == holder?.rawValue { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw DemoError("case \(number) did not reach \(status) at \(node)")
    }
}

struct DemoError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
