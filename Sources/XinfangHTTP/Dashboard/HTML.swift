import Foundation
import Hummingbird
import NIOCore
import XinfangCore

/// Server-rendered HTML's small parts: the responses, formats of times and rates, the stylesheet,
/// and escaping for the charts (the pages are `Templates`). Every page is one self-contained
/// document (inline CSS, server-made SVG, no script, no external asset), because the dashboard
/// runs on intranets without internet access.
enum HTML {
    /// The person a page is rendered for (set by the authentication middleware), shown in the header.
    @TaskLocal static var viewer: String?
    /// What that person may do: the navigation and the forms offer nothing else.
    @TaskLocal static var permissions: Set<Permission> = []
    /// Whether that person's role signs in with an authenticator (the set-up page is theirs).
    @TaskLocal static var secondFactor = false
    /// The node's name, for pages made outside a controller (errors).
    @TaskLocal static var nodeName = ""

    /// The navigation for `permissions`: only the pages the role may open.
    static func navigation(_ permissions: Set<Permission>, secondFactor: Bool) -> [Link] {
        var links: [Link] = []
        if permissions.contains(.readSupervision) { links.append(Link(href: "/", text: "首页")) }
        if permissions.contains(.register) { links.append(Link(href: "/ui/register", text: "登记")) }
        if permissions.contains(.readCases) {
            links.append(Link(href: "/ui/cases?light=red&sort=due&order=asc", text: "超期件"))
            links.append(Link(href: "/ui/cases", text: "全部信访件"))
        }
        if permissions.contains(.readSupervision) {
            links.append(Link(href: "/ui/flags", text: "对账预警"))
            links.append(Link(href: "/ui/stats", text: "考核指标"))
        }
        if secondFactor { links.append(Link(href: "/ui/totp", text: "动态口令")) }
        return links
    }

    /// Escapes text for an element's content or a quoted attribute.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    /// Percent-encodes a query value.
    static func query(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }

    /// A 200 HTML response.
    static func response(_ html: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A 303 redirect after a form post.
    static func redirect(_ location: String) -> Response {
        var headers = HTTPFields()
        headers[.location] = location
        return Response(status: .seeOther, headers: headers)
    }

    /// A time as people read it: `2026-11-25 09:30`, China Standard Time.
    static func time(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: APIJSON.outputOffsetSeconds)
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: date)
    }

    /// A node's short name for charts: the bureau's suffix left off (长沙市人力资源和社会保障局 → 长沙市).
    static func shortName(_ name: String) -> String {
        for suffix in ["人力资源和社会保障局", "人力资源和社会保障厅", "人社局", "人社厅"] where name.hasSuffix(suffix) && name.count > suffix.count {
            return String(name.dropLast(suffix.count))
        }
        return name
    }

    /// A rate as a percentage, or a dash when there is no population.
    static func percent(_ rate: Double?) -> String {
        guard let rate else { return "—" }
        return String(format: "%.1f%%", rate * 100)
    }

    static let css = """
        *{box-sizing:border-box}body{margin:0;font-family:"Microsoft YaHei","PingFang SC","Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif;
        font-size:14px;color:#1f2937;background:#f3f4f6}header{background:#8b1a1a;color:#fff;padding:10px 24px;display:flex;
        align-items:center;justify-content:space-between;flex-wrap:wrap}.brand{font-size:18px;font-weight:bold}.level{font-size:12px;
        margin-left:8px;padding:2px 6px;border:1px solid #fff;border-radius:3px}nav a{color:#fff;margin-left:18px;text-decoration:none}
        nav a:hover{text-decoration:underline}main{max-width:1280px;margin:0 auto;padding:16px 24px}h1{font-size:20px;margin:8px 0 12px}
        h2{font-size:16px;margin:20px 0 8px;border-left:4px solid #8b1a1a;padding-left:8px}.crumbs{color:#6b7280;margin-bottom:8px}
        .crumbs a{color:#1d4ed8}.cards{display:flex;flex-wrap:wrap;gap:12px}.card{background:#fff;border-radius:6px;padding:12px 16px;
        min-width:150px;box-shadow:0 1px 2px rgba(0,0,0,.08)}.card .v{font-size:26px;font-weight:bold}.card .k{color:#6b7280}
        .card.alert .v{color:#b91c1c}table{border-collapse:collapse;width:100%;background:#fff;box-shadow:0 1px 2px rgba(0,0,0,.08)}
        th,td{padding:6px 8px;border-bottom:1px solid #e5e7eb;text-align:left;vertical-align:top}th{background:#f9fafb;font-weight:600;white-space:nowrap}
        th.n,td.n{text-align:right;font-variant-numeric:tabular-nums}td.alert{color:#b91c1c;font-weight:bold}a{color:#1d4ed8}
        .grid{margin-top:16px;display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:16px}.panel{background:#fff;border-radius:6px;
        padding:12px;box-shadow:0 1px 2px rgba(0,0,0,.08)}.panel h2{margin-top:0}svg text{font-size:12px;fill:#374151}
        .tag{display:inline-block;padding:1px 6px;border-radius:3px;background:#e5e7eb;margin-right:4px;font-size:12px}
        .tag.red{background:#fee2e2;color:#991b1b}.tag.green{background:#dcfce7;color:#166534}.muted{color:#6b7280}
        .timeline{list-style:none;padding:0;margin:0}.timeline li{background:#fff;margin:0 0 6px;padding:8px 12px;border-left:4px solid #9ca3af}
        .timeline li.move{border-left-color:#1d4ed8}.timeline li.cmd{border-left-color:#d97706}.timeline li.conflict{border-left-color:#b91c1c}
        form.act{background:#fff;padding:8px 12px;margin:0 0 8px}form.act label{display:inline-block;margin:4px 12px 4px 0}
        input,select,textarea{font:inherit;padding:3px 5px}textarea{width:100%;height:48px}button{font:inherit;padding:4px 14px;
        background:#8b1a1a;color:#fff;border:0;border-radius:3px;cursor:pointer}.msg{padding:8px 12px;background:#dcfce7;margin-bottom:12px}
        .msg.error{background:#fee2e2}footer{color:#9ca3af;font-size:12px;text-align:center;padding:16px}
        details summary{cursor:pointer;padding:6px 0;font-weight:600}
        a.card{color:inherit;text-decoration:none;display:block}a.card:hover{outline:2px solid #8b1a1a}
        td.n a{color:inherit}tr.total td{font-weight:bold;background:#f9fafb}.scroll{overflow-x:auto;max-width:100%}
        .dot{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:4px;background:#d1d5db}
        .dot.red{background:#dc2626}.dot.yellow{background:#f59e0b}.dot.green{background:#16a34a}
        .tag.yellow{background:#fef3c7;color:#92400e}.pre{white-space:pre-wrap;overflow-wrap:anywhere}
        td{overflow-wrap:anywhere}.qr svg{max-width:100%;height:auto}code.secret{font-size:18px;letter-spacing:1px;word-break:break-all}
        @media (max-width:640px){header{padding:8px 12px}nav a{margin:0 10px 0 0;display:inline-block;padding:4px 0}main{padding:10px}
        .wide{display:none}.card{min-width:0;flex:1 1 40%;padding:8px 10px}.card .v{font-size:20px}
        .grid{grid-template-columns:1fr}th,td{padding:5px 4px}th{white-space:normal}table.facts th{width:5em}
        form.act label{display:block;margin:6px 0}input,select{max-width:100%}.brand{font-size:16px}}
        .gallery{display:flex;flex-wrap:wrap;gap:12px}.file{margin:0;width:180px;background:#fff;border:1px solid #e5e7eb;border-radius:4px;padding:8px}
        .file img{width:100%;height:120px;object-fit:cover;display:block}.file .doc{display:flex;height:120px;align-items:center;justify-content:center;
        background:#f9fafb;color:#8b1a1a;text-decoration:none;font-weight:bold}.file figcaption{font-size:12px;margin-top:6px;word-break:break-all}
        .file.withdrawn{opacity:.55}form.inline{display:inline-block;margin:4px 4px 4px 0}
        """
}
