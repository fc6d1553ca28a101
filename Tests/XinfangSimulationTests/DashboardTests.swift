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
    /// The `<td class="n NAME">` of the row `<tr id="ROW">`: its number and the link it carries.
    static func cellLink(_ html: String, row: String, _ name: String) -> (value: Int, href: String)? {
        guard let start = html.range(of: "<tr id=\"\(row)\""), let end = html[start.upperBound...].range(of: "</tr>") else { return nil }
        let tr = html[start.upperBound..<end.lowerBound]
        guard let cell = tr.range(of: "class=\"n \(name)"), let close = tr[cell.upperBound...].range(of: "</td>") else { return nil }
        let td = String(tr[cell.upperBound..<close.lowerBound])
        let text = td.replacingOccurrences(of: "<[^>]*>", with: "", options: .regularExpression)
            .replacingOccurrences(of: "^[^>]*>", with: "", options: .regularExpression)
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)), let href = links(td, "/").first else { return nil }
        return (value, href.replacingOccurrences(of: "&amp;", with: "&"))
    }

    static func cell(_ html: String, row: String, _ name: String) -> Int? { cellLink(html, row: row, name)?.value }

    /// The ids of the rows of table `table` (the total last).
    static func rowIDs(_ html: String, table: String) -> [String] {
        guard let start = html.range(of: "<table id=\"\(table)\">"), let end = html[start.upperBound...].range(of: "</table>") else { return [] }
        return html[start.upperBound..<end.lowerBound].components(separatedBy: "<tr id=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
    }

    /// The total a list page says it holds (`共 N 件`).
    static func listTotal(_ html: String) -> Int? {
        guard let range = html.range(of: "共 "), let end = html[range.upperBound...].range(of: " 件") else { return nil }
        return Int(html[range.upperBound..<end.lowerBound])
    }

    /// Every `href` on a page that starts with `prefix`.
    static func links(_ html: String, _ prefix: String) -> [String] {
        html.components(separatedBy: "href=\"").dropFirst().compactMap { part in
            let href = String(part.prefix { $0 != "\"" })
            return href.hasPrefix(prefix) ? href : nil
        }
    }

    /// The province's services after the backlog story (`BacklogTests.play`), and the story's cases.
    static func province(_ name: String) async throws -> (services: NodeServices, p: CaseNumber, q: CaseNumber, r: CaseNumber) {
        let sim = try await Simulation.scripted(
            directory: FileManager.default.temporaryDirectory.appendingPathComponent("xinfang-\(name)-\(UUID().uuidString)")
        )
        let (p, q, r, now) = try await BacklogTests.play(sim)
        let services = NodeServices(
            identity: NodeIdentity(id: H.province, name: "湖南省人社厅", level: .province),
            database: await sim.store(H.province)!,
            clock: ManualClock(now)
        )
        return (services, p, q, r)
    }

    @Test func theProvincePageShowsTheAPIsFiguresAndReachesEveryCaseInThreeClicks() async throws {
        let (services, p, q, r) = try await Self.province("dashboard")
        try await services.withAPI { api in
            let page = try await api.request(.get, "/")
            #expect(page.status == 200)
            #expect(page.contentType == "text/html; charset=utf-8")
            let html = page.text
            #expect(!html.contains("<script"), "no script")
            #expect(!html.contains("src=\"http"), "no external asset")
            let backlog = try await api.request(.get, "/api/v1/backlog").json
            let subtree = try #require(backlog["subtree"] as? [String: any Sendable])
            for figure in [
                "open", "overdue", "dueSoon", "onTime", "stuck", "flags", "awaitingClosureReport", "awaitingSupervisionFeedback",
                "supervisionFeedbackOverdue",
            ] {
                #expect(html.contains("data-figure=\"\(figure)\">\(subtree[figure] as? Int ?? -1)<"), "\(figure)")
            }
            #expect(subtree["open"] as? Int == 3)
            // Each county's row on the province's page carries the API's numbers for that node.
            let nodes = try #require(backlog["nodes"] as? [[String: any Sendable]])
            for entry in nodes {
                let id = try #require((entry["node"] as? [String: any Sendable])?["id"] as? String)
                let counts = try #require(entry["counts"] as? [String: any Sendable])
                for name in ["open", "overdue", "dueSoon", "stuck", "flags", "awaitingClosureReport", "awaitingSupervisionFeedback"] {
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
            #expect(rPage.components(separatedBy: "办理机关 → ").count - 1 == 3)
            // A node outside the subtree, or a malformed one, is refused.
            #expect(try await api.request(.get, "/ui/nodes/12345").status == 400)
            let indicators = try await api.request(.get, "/ui/stats")
            #expect(indicators.status == 200 && indicators.text.contains("及时受理率"))
            #expect(try await api.request(.get, "/ui/flags").status == 200)
        }
    }
}

/// Every figure of the supervision board is a list of the cases behind it, and its tables add up.
struct DashboardFigureTests {
    typealias D = DashboardTests

    @Test func everyFigureLinksToTheListOfItsCasesAndTheTotalsAddUp() async throws {
        let services = try await D.province("figures").services
        try await services.withAPI { api in
            for start in ["/", "/ui/nodes/\(H.changsha)"] {
                let html = try await api.request(.get, start).text
                // Each card: its list holds as many cases as the card says, in the page and the API.
                let cards = html.components(separatedBy: "<a class=\"card").dropFirst()
                #expect(cards.count == 9)
                for card in cards {
                    let href = try #require(D.links(card, "/").first).replacingOccurrences(of: "&amp;", with: "&")
                    let value = try #require(
                        Int(card.components(separatedBy: "data-figure=\"").dropFirst().first?.split(separator: ">")[1].prefix { $0.isNumber } ?? "")
                    )
                    if href.hasPrefix("/ui/cases") {
                        let list = try await api.request(.get, href)
                        #expect(list.status == 200)
                        #expect(D.listTotal(list.text) == value, "\(start) \(href)")
                        let json = try await api.request(.get, href.replacingOccurrences(of: "/ui/cases", with: "/api/v1/cases")).json
                        #expect(json["total"] as? Int == value, "\(start) API \(href)")
                    } else {
                        #expect(href.hasPrefix("/ui/flags?node="))
                    }
                }
                // Each cell of both tables lists its cases, and the last row (合计) is the sum of the others.
                for table in ["children", "nodes"] {
                    let ids = D.rowIDs(html, table: table)
                    if table == "children", start == "/" { #expect(ids.first == "children-own-\(H.province)") }
                    guard let total = ids.last else { continue }
                    #expect(total == "\(table)-total")
                    for name in ["open", "overdue", "dueSoon", "awaitingClosureReport", "awaitingSupervisionFeedback", "over90", "flags"] {
                        var sum = 0
                        for id in ids {
                            let (value, href) = try #require(D.cellLink(html, row: id, name), "\(id) \(name)")
                            if id != total { sum += value }
                            if href.hasPrefix("/ui/cases") {
                                #expect(D.listTotal(try await api.request(.get, href).text) == value, "\(id) \(name) \(href)")
                            }
                        }
                        #expect(D.cell(html, row: total, name) == sum, "\(start) \(table) \(name) adds up")
                    }
                }
                // The ageing bars list their cases too.
                let root = start == "/" ? H.province : H.changsha
                let ageLinks = Set(D.links(html, "/ui/cases?within=\(root)&amp;open=true&amp;ageFrom="))
                #expect(ageLinks.count == AgeBucket.allCases.count)
                var aged = 0
                for link in ageLinks {
                    aged += D.listTotal(try await api.request(.get, link.replacingOccurrences(of: "&amp;", with: "&")).text) ?? -1
                }
                #expect(aged == D.cell(html, row: D.rowIDs(html, table: "nodes").last ?? "", "open"))
            }
            // Lists sort by any column and keep their total; a cursor of another order is refused.
            let byDue = try await api.request(.get, "/api/v1/cases?open=true&sort=due&order=asc").json
            let items = try #require(byDue["items"] as? [[String: any Sendable]])
            let overdue = items.map { $0["daysOverdue"] as? Int ?? -1 }
            #expect(overdue == overdue.sorted(by: >), "most overdue first")
            #expect(byDue["total"] as? Int == items.count)
            let page1 = try await api.request(.get, "/api/v1/cases?sort=number&order=asc&limit=1").json
            let cursor = try #require(page1["nextCursor"] as? String)
            let page2 = try await api.request(.get, "/api/v1/cases?sort=number&order=asc&limit=1&cursor=\(cursor)").json
            let first = (page1["items"] as? [[String: any Sendable]])?.first?["caseNumber"] as? String ?? ""
            let second = (page2["items"] as? [[String: any Sendable]])?.first?["caseNumber"] as? String ?? ""
            #expect(first < second)
            #expect(try await api.request(.get, "/api/v1/cases?sort=status&cursor=\(cursor)").status == 400)
            for bad in ["light=amber", "ageFrom=-1", "ageFrom=9&ageTo=3", "receivedFrom=2026-13-01", "sort=summary", "order=up", "within=999999"] {
                let status = try await api.request(.get, "/api/v1/cases?\(bad)").status
                #expect(status == 400 || status == 404, "\(bad) refused")
            }
        }
    }

    @Test func theBoardSpeaksToOfficersAndAnswersErrorsWithPages() async throws {
        let (services, _, q, r) = try await D.province("words")
        try await services.withAPI { api in
            for path in ["/", "/ui/cases", "/ui/cases/\(q)", "/ui/cases/\(r)", "/ui/stats"] {
                let html = try await api.request(.get, path).text
                let visible = html.replacingOccurrences(of: "<style>[\\s\\S]*?</style>", with: "", options: .regularExpression)
                    .replacingOccurrences(of: "<[^>]*>", with: " ", options: .regularExpression)
                for word in ["纪元", "节点", "epoch", "supported", "holder-only", "null", "T00:", "+08:00"] {
                    #expect(!visible.contains(word), "\(path) shows \(word)")
                }
                // Node codes only inside case numbers (430102-2026-…), never alone.
                let code = visible.range(of: "(?<![0-9-])43[0-9]{4}(?![0-9-])", options: .regularExpression)
                let around = code.map { String(visible[..<$0.upperBound].suffix(40)) } ?? ""
                #expect(code == nil, "\(path) shows a node code: \(around)")
                #expect(html.contains("name=\"viewport\""))
            }
            let casePage = try await api.request(.get, "/ui/cases/\(q)").text
            #expect(casePage.contains("收件日期"))
            #expect(casePage.contains("class=\"dot red\""), "Q's missed notice is red")
            #expect(casePage.contains("超期 "))
            // Unknown addresses, unknown cases and refusals under the dashboard are pages with a way back.
            let unknown = String(q.rawValue.dropLast(5)) + "99999"
            for (path, status) in [("/ui/nowhere", 404), ("/ui/cases/\(unknown)", 404), ("/ui/nodes/12345", 400)] {
                let answer = try await api.request(.get, path)
                #expect(answer.status == status, "\(path)")
                #expect(answer.contentType == "text/html; charset=utf-8", "\(path)")
                #expect(answer.text.contains("返回首页"))
            }
            // The API still answers problems as JSON.
            #expect(try await api.request(.get, "/api/v1/nowhere").contentType?.hasPrefix("application/problem+json") == true)
        }
    }
}
