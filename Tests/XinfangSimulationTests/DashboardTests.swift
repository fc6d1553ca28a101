import Foundation
import HTTPTypes
import Testing
import XinfangCore
import XinfangHTTP
import XinfangSimulation
import XinfangStore
import XinfangTesting

/// The dashboard at the province of the simulated hierarchy: the figures on the landing page are
/// the API's, and a person reaches any case from it in at most three clicks.
struct DashboardTests {
    /// The number in `<td class="n NAME">` of the row `<tr id="ROW">`.
    static func cell(_ html: String, row: String, _ name: String) -> Int? {
        guard let start = html.range(of: "<tr id=\"\(row)\">"), let end = html[start.upperBound...].range(of: "</tr>") else { return nil }
        let tr = html[start.upperBound..<end.lowerBound]
        guard let cell = tr.range(of: "class=\"n \(name)") else { return nil }
        let rest = tr[cell.upperBound...]
        guard let gt = rest.firstIndex(of: ">"), let lt = rest[gt...].firstIndex(of: "<") else { return nil }
        return Int(rest[rest.index(after: gt)..<lt])
    }

    /// Every `href` on a page that starts with `prefix`.
    static func links(_ html: String, _ prefix: String) -> [String] {
        html.components(separatedBy: "href=\"").dropFirst().compactMap { part in
            let href = String(part.prefix { $0 != "\"" })
            return href.hasPrefix(prefix) ? href : nil
        }
    }

    @Test func theProvincePageShowsTheAPIsFiguresAndReachesEveryCaseInThreeClicks() async throws {
        let sim = try await Simulation.scripted(
            directory: FileManager.default.temporaryDirectory
                .appendingPathComponent("xinfang-dashboard-\(UUID().uuidString)")
        )
        let (p, q, r, now) = try await BacklogTests.play(sim)
        let services = NodeServices(
            identity: NodeIdentity(id: H.province, name: "湖南省人社厅", level: .province),
            database: await sim.store(H.province)!,
            clock: ManualClock(now)
        )
        try await services.withAPI { api in
            let page = try await api.request(.get, "/")
            #expect(page.status == 200)
            #expect(page.contentType == "text/html; charset=utf-8")
            let html = page.text
            #expect(!html.contains("<script"), "no script")
            #expect(!html.contains("src=\"http"), "no external asset")
            let backlog = try await api.request(.get, "/api/v1/backlog").json
            let subtree = try #require(backlog["subtree"] as? [String: any Sendable])
            for figure in ["open", "overdue", "stuck", "flags", "awaitingClosureReport", "awaitingSupervisionFeedback", "supervisionFeedbackOverdue"]
            {
                #expect(html.contains("data-figure=\"\(figure)\">\(subtree[figure] as? Int ?? -1)<"), "\(figure)")
            }
            #expect(subtree["open"] as? Int == 3)
            // Each county's row on the province's page carries the API's numbers for that node.
            let nodes = try #require(backlog["nodes"] as? [[String: any Sendable]])
            for entry in nodes {
                let id = try #require((entry["node"] as? [String: any Sendable])?["id"] as? String)
                let counts = try #require(entry["counts"] as? [String: any Sendable])
                for name in ["open", "overdue", "stuck", "flags", "awaitingClosureReport", "awaitingSupervisionFeedback"] {
                    #expect(Self.cell(html, row: "nodes-\(id)", name) == counts[name] as? Int, "\(id) \(name)")
                }
            }
            #expect(Self.cell(html, row: "children-430100", "open") == 3)
            #expect(Self.cell(html, row: "nodes-430102", "overdue") == 1)

            // Three clicks: the province page → the county's page → the case.
            for (node, number) in [(H.furong, q), (H.furong, p), (H.changsha, r)] {
                let nodeLink = try #require(Self.links(html, "/ui/nodes/\(node)").first, "click 1 to \(node)")
                let nodePage = try await api.request(.get, nodeLink)
                #expect(nodePage.status == 200)
                let caseLink = try #require(Self.links(nodePage.text, "/ui/cases/\(number)").first, "click 2 to \(number)")
                let casePage = try await api.request(.get, caseLink)
                #expect(casePage.status == 200)
                #expect(casePage.text.contains("信访件 \(number)"))
                #expect(casePage.text.contains("流转轨迹"))
            }
            // R's page shows its path: up to the city, back down, up again.
            let rPage = try await api.request(.get, "/ui/cases/\(r)").text
            #expect(rPage.components(separatedBy: "持有节点 → ").count - 1 == 3)
            // A node outside the subtree, or a malformed one, is refused.
            #expect(try await api.request(.get, "/ui/nodes/12345").status == 400)
            let indicators = try await api.request(.get, "/ui/stats")
            #expect(indicators.status == 200 && indicators.text.contains("及时受理率"))
            #expect(try await api.request(.get, "/ui/flags").status == 200)
        }
    }
}
