import Foundation
import Hummingbird
import Testing
import XinfangCore
import XinfangHTTP
import XinfangStore
import XinfangSync
import XinfangTesting

/// Every route refuses an anonymous request and a user of a sibling county; a county user cannot
/// read or act on a case its store replicates but a sibling county or the city now holds.
struct AccessScopeTests {
    typealias H = ExampleHierarchy

    /// Every route the router serves, with its parameters filled in.
    static func routes(caseNumber: String) throws -> [(method: String, path: String)] {
        let node = try TestNode()
        return NodeApplication.router(services: node.services).routes.map { route in
            let path = "\(route.path)".replacingOccurrences(of: "{caseNumber}", with: caseNumber)
                .replacingOccurrences(of: "{commandId}", with: "430102-00000000-0000-0000-0000-000000000000")
                .replacingOccurrences(of: "{node}", with: "430102").replacingOccurrences(of: "{id}", with: "1")
            return ("\(route.method)", path)
        }
    }

    /// Refused: 401 (the login: 400 or 401; the peer endpoints: 403, no node signature), or for a
    /// dashboard page the redirect to the login form (URLSession follows it to that form).
    static func refused(_ reply: ClusterReply, _ method: String, _ path: String) {
        let loginForm = reply.status == 200 && reply.text.contains("<h1>登录</h1>")
        let ok =
            reply.status == 401 || (path == "/api/v1/session" && reply.status == 400) || (path.hasPrefix("/sync/v1/") && reply.status == 403)
            || ((path == "/" || path.hasPrefix("/ui/")) && loginForm)
        #expect(ok, "\(method) \(path) answered \(reply.status): \(reply.text.prefix(200))")
    }

    @Test(arguments: StoreBackend.allCases) func everyRouteRefusesAnonymousRequestsAndSiblingCountyUsers(backend: StoreBackend) async throws {
        try await TestCluster.run(backend: backend) { c in
            let furong = H.furong
            let number = try await c.register(at: furong, region: "430102")
            // A user of the sibling county 岳麓区, with a token of its own node.
            let siblingToken = Credentials.newSecret(prefix: Credentials.tokenPrefix)
            let sibling = try await c.database(H.yuelu).accounts.createUser(
                NewUser(username: "yuelu-leader", displayName: "岳麓区领导", role: .leader, passwordHash: nil, totpSecret: nil),
                by: "test",
                now: Date()
            )
            _ = try await c.database(H.yuelu).accounts.createToken(
                hash: Credentials.digest(siblingToken),
                userID: sibling.id,
                name: "t",
                scope: Role.leader.permissions.sorted(),
                now: Date(),
                expiresAt: Date().addingTimeInterval(86_400)
            )
            let routes = try Self.routes(caseNumber: number.rawValue)
            #expect(routes.count >= 40)
            for (method, path) in routes {
                let body: Data? = method == "GET" || method == "DELETE" ? nil : Data("{}".utf8)
                for auth in ["", "Bearer \(siblingToken)"] {
                    // The login form itself is the one page an anonymous visitor gets: it holds no data.
                    if path == "/ui/login" && method == "GET" {
                        let page = try await c.send(method, c.url(furong, path), body: nil, headers: ["Authorization": auth])
                        #expect(page.status == 200 && !page.text.contains(number.rawValue))
                        continue
                    }
                    // The petitioner's lookup answers anyone: the form, or "not found" without a code.
                    if path.hasPrefix("/lookup") {
                        let page = try await c.send(method, c.url(furong, path), body: nil, headers: ["Authorization": auth])
                        #expect([200, 404].contains(page.status) && !page.text.contains(number.rawValue), "\(method) \(path): \(page.status)")
                        continue
                    }
                    // The probes answer anyone, with their status only (issue 16).
                    if path == "/healthz" || path == "/readyz" {
                        let probe = try await c.send(method, c.url(furong, path), body: nil, headers: ["Authorization": auth])
                        #expect(probe.status == 200 && probe.json["cases"] == nil && probe.json["node"] == nil, "\(path): \(probe.text)")
                        continue
                    }
                    let reply = try await c.send(method, c.url(furong, path), body: body, headers: ["Authorization": auth])
                    Self.refused(reply, method, path)
                    #expect(!reply.text.contains(number.rawValue) || reply.status != 200 && path.contains(number.rawValue), "\(method) \(path)")
                }
            }
            // The sibling's token works at its own node.
            let own = try await c.send("GET", c.url(H.yuelu, "/api/v1/cases"), body: nil, headers: ["Authorization": "Bearer \(siblingToken)"])
            #expect(own.status == 200)
        }
    }

    @Test(arguments: StoreBackend.allCases) func aCountyUserCannotReadOrActOnASiblingsOrTheCitysCase(backend: StoreBackend) async throws {
        try await TestCluster.run(backend: backend) { c in
            let furong = H.furong
            // Transferred to the sibling county, which accepts it; escalated to the city, which accepts it.
            let toSibling = try await c.register(at: furong, region: "430104")
            try await c.act(at: furong, toSibling, ["action": "offer", "to": "430104", "mode": "transfer"])
            try await c.waitFor(H.yuelu, toSibling) { $0.status == .offered }
            try await c.act(at: H.yuelu, toSibling, ["action": "accept"])
            try await c.waitFor(furong, toSibling) { $0.holder == H.yuelu && $0.status != .offered }
            let toCity = try await c.register(at: furong, region: "430102")
            try await c.act(at: furong, toCity, ["action": "escalate", "reason": "跨区欠薪，请求市级协调"])
            try await c.waitFor(H.changsha, toCity) { $0.status == .offered }
            try await c.act(at: H.changsha, toCity, ["action": "accept"])
            try await c.waitFor(furong, toCity) { $0.holder == H.changsha && $0.status != .offered }
            let own = try await c.register(at: furong, region: "430102")
            for number in [toSibling, toCity] {
                // The store has the replica; the county's users do not see it.
                #expect(try await c.database(furong).caseState(number) != nil)
                for path in ["/api/v1/cases/\(number)", "/api/v1/cases/\(number)?unmask=true", "/ui/cases/\(number)"] {
                    #expect(try await c.request("GET", furong, path).status == 404, "\(path)")
                }
                let act = try await c.request("POST", furong, "/api/v1/cases/\(number)/actions", json: ["action": "comment", "text": "x"])
                #expect(act.status == 404)
                let before = try await c.database(furong).allEvents(of: number).count
                let form = try await c.send(
                    "POST",
                    c.url(furong, "/ui/cases/\(number)/actions"),
                    body: Data("action=comment&text=x".utf8),
                    headers: ["Content-Type": "application/x-www-form-urlencoded"]
                )
                // Refused, and redirected to the case page, which is not found for this user.
                #expect(form.status == 404)
                #expect(try await c.database(furong).allEvents(of: number).count == before)
                #expect(try await c.database(furong).pendingCommands(for: number).isEmpty)
            }
            for path in ["/api/v1/cases?limit=200", "/api/v1/cases.csv", "/ui/cases"] {
                let list = try await c.request("GET", furong, path)
                #expect(list.status == 200)
                #expect(list.text.contains(own.rawValue), "\(path) lists the county's own case")
                #expect(!list.text.contains(toSibling.rawValue) && !list.text.contains(toCity.rawValue), "\(path) lists a case held elsewhere")
            }
            // The city holds the escalated case and sees it.
            #expect(try await c.request("GET", H.changsha, "/api/v1/cases/\(toCity)").status == 200)
        }
    }

    @Test(arguments: StoreBackend.allCases) func aComplaintIsNeverHandedToTheOrganisationItNames(backend: StoreBackend) async throws {
        try await TestCluster.run(nodes: [H.province, H.changsha, H.furong], backend: backend) { c in
            // 检举控告 against 芙蓉区, registered at the city: it may not be offered to 芙蓉区.
            let body = Fixtures.registrationJSON().replacingOccurrences(
                of: #""purpose":"request""#,
                with: #""purpose":"accusation","respondentNode":"430102""#
            )
            let created = try await c.send("POST", c.url(H.changsha, "/api/v1/cases"), body: Data(body.utf8))
            let number = CaseNumber(rawValue: try #require(created.json["caseNumber"] as? String))
            let refused = try await c.act(
                at: H.changsha,
                number,
                ["action": "offer", "to": "430102", "mode": "assign", "dueAt": "2026-12-31"],
                expect: 400
            )
            #expect(refused.json["code"] as? String == "respondent-node")
            #expect(try await c.database(H.changsha).caseState(number)?.holder == H.changsha)
        }
    }

    /// A peer's packet whose chain hands a 检举控告 to the organ it names (or a unit below it) is
    /// refused item by item (`respondent-node`), even correctly signed by its origin: the receiver
    /// holds the same rule as the node that made the event.
    @Test(arguments: StoreBackend.allCases) func aReceivedChainHandingAComplaintToTheAccusedIsRefused(backend: StoreBackend) async throws {
        try await TestCluster.run(nodes: [H.province, H.changsha, H.furong], backend: backend) { c in
            let body = Fixtures.registrationJSON().replacingOccurrences(
                of: #""purpose":"request""#,
                with: #""purpose":"accusation","respondentNode":"430100""#
            )
            let created = try await c.send("POST", c.url(H.province, "/api/v1/cases"), body: Data(body.utf8))
            let number = CaseNumber(rawValue: try #require(created.json["caseNumber"] as? String))
            // The province's own store would refuse this offer; a peer running other code signs it anyway.
            let registration = try #require(try await c.database(H.province).events(of: number).first)
            var offer = CaseEvent(
                caseNumber: number,
                epoch: 0,
                seq: 2,
                prevHash: registration.hash,
                origin: H.province,
                time: HLCTimestamp(wallMs: registration.time.wallMs + 1_000, logical: 0),
                actor: "经办人",
                body: .act(.offer(to: H.furong, mode: .transfer, dueAt: nil, note: nil))
            )
            c.keys[H.province]!.sign(&offer)
            let session = try await c.greet(from: H.province, to: H.changsha)
            let packet = Packet(
                from: H.province,
                to: H.changsha,
                number: PacketNumber(session: session, number: 5_000_000),
                sentAt: Date(),
                chains: [[registration, offer]],
                commands: []
            )
            let encoded = packet.encoded()
            let reply = try await c.send(
                "POST",
                c.url(H.changsha, "/sync/v1/packets"),
                body: encoded,
                headers: [PeerHeaders.from: "430000", PeerHeaders.signature: c.keys[H.province]!.sign(encoded)]
            )
            #expect(reply.status == 200, "\(reply.text)")
            let receipts = try CanonicalJSON.decoder.decode(PacketResponse.self, from: reply.body).receipts
            #expect(receipts.first?.status == .rejected && receipts.first?.code == "respondent-node", "\(receipts)")
            #expect(try await c.database(H.changsha).caseState(number) == nil, "nothing of the run was applied")
            #expect(try await c.database(H.furong).caseState(number) == nil)
        }
    }
}
