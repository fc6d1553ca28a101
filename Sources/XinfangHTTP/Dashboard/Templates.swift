import Mustache

/// The dashboard's pages as Mustache templates, compiled into the binary (a node is one file).
/// `{{name}}` escapes for HTML by default; the only triple mustaches are the stylesheet and the
/// charts, both made by the server from escaped parts (`SVGChart`), never from input.
enum Templates {
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, text) in all.merging(LookupTemplates.all, uniquingKeysWith: { a, _ in a }) {
            do { try library.register(text, named: name) } catch { preconditionFailure("template \(name) does not parse: \(error)") }
        }
        return library
    }()

    /// Renders `model` with the template `name`.
    static func render(_ model: Any, _ name: String) -> String {
        guard let html = library.render(model, withTemplate: name) else { preconditionFailure("no template \(name)") }
        return html
    }

    static let all: [String: String] = [
        "frame": frame, "bare": bare, "cases": cases, "backlog": backlog, "flags": flags, "panel": panel,
        "overview": overview, "role": role, "caseList": caseList, "case": casePage, "register": register,
        "flagList": flagList, "stats": stats, "login": login, "password": password, "field": field, "error": error, "totp": totp,
    ]

    /// The page of every signed-in view: the node in the header, the navigation, the body.
    static let frame = """
        <!DOCTYPE html>
        <html lang="zh-CN">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        {{#frame}}<title>{{title}} · {{node}}</title>
        <style>{{{css}}}</style>
        </head>
        <body>
        <header><div class="brand">信访督查 · {{node}}<span class="level">{{level}}</span></div>
        <nav>{{#nav}}<a href="{{href}}">{{text}}</a>{{/nav}}</nav>{{#viewer}}<form class="who" method="post" action="/ui/logout">{{.}} <button>退出</button></form>{{/viewer}}</header>{{/frame}}
        <main>
        {{$body}}{{/body}}
        </main>
        <footer>xinfang · 数据来自本级存储（含下级全部副本）· 生成于 {{frame.generatedAt}}</footer>
        </body>
        </html>
        """

    /// The page before signing in: the node's name only.
    static let bare = """
        <!DOCTYPE html>
        <html lang="zh-CN">
        <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{frame.title}} · {{frame.node}}</title><style>{{{frame.css}}}</style></head>
        <body><header><div class="brand">信访督查 · {{frame.node}}</div></header>
        <main>{{$body}}{{/body}}</main></body></html>
        """

    static let cases = """
        <div class="scroll"><table class="cases"><tr>{{#headers}}<th class="{{cls}}">{{#href}}<a href="{{.}}">{{label}}{{mark}}</a>{{/href}}{{^href}}{{label}}{{/href}}</th>{{/headers}}</tr>
        {{#rows}}<tr class="light-{{light}}"><td><span class="dot {{light}}" title="{{lightLabel}}"></span>{{lightLabel}}</td><td><a href="/ui/cases/{{number}}">{{number}}</a></td><td>{{summary}}</td><td class="wide">{{status}}</td><td class="wide">{{holder}}</td><td class="wide">{{received}}</td><td class="wide n">{{age}} 天</td><td>{{#due}}{{.}}{{/due}}{{^due}}—{{/due}}</td><td class="n">{{#daysOverdue}}<span class="tag red">{{.}} 天</span>{{/daysOverdue}}</td></tr>
        {{/rows}}</table></div>
        """

    static let backlog = """
        <div class="scroll"><table id="{{tableID}}"><tr><th>辖区/单位</th><th class="wide">层级</th><th class="n">在办</th><th class="n">超期（红）</th><th class="n">临期（黄）</th><th class="n wide">滞留/冲突预警</th><th class="n wide">全部预警</th><th class="n">交办待报结</th><th class="n">督办待反馈</th><th class="n wide">收件超90天</th></tr>
        {{#rows}}<tr id="{{rowID}}"{{#isTotal}} class="total"{{/isTotal}}><td>{{#href}}<a href="{{.}}">{{name}}</a>{{/href}}{{^href}}{{name}}{{/href}}</td><td class="wide">{{level}}</td>{{#cells}}<td class="n {{cls}}{{#wide}} wide{{/wide}}"><a href="{{href}}">{{value}}</a></td>{{/cells}}</tr>
        {{/rows}}</table></div>
        """

    static let flags = """
        <table><tr><th>预警</th><th>对象</th><th>单位</th><th>自</th><th>说明</th><th>处理建议</th></tr>
        {{#rows}}<tr><td><span class="tag red">{{label}}</span></td><td>{{#caseNumber}}<a href="/ui/cases/{{.}}">{{.}}</a>{{/caseNumber}}{{^caseNumber}}{{subject}}{{/caseNumber}}</td><td>{{node}}</td><td>{{since}}</td><td>{{detail}}</td><td>{{remedy}}</td></tr>
        {{/rows}}</table>
        """

    static let panel = """
        <div class="panel"><h2>{{title}}</h2>{{{svg}}}{{#link}}<p><a href="{{href}}">{{text}}</a></p>{{/link}}</div>
        """
}
