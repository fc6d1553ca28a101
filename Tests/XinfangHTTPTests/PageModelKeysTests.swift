import Mustache
import Testing

@testable import XinfangHTTP

/// The page models that answer their keys without reflection (`MustacheParent`) answer every
/// stored property, with the value `Mirror` finds, and nothing else: a field added to a model and
/// not to its `child(named:)` fails here instead of rendering as nothing.
struct PageModelKeysTests {
    func check(_ model: some MustacheParent) {
        let mirror = Mirror(reflecting: model)
        #expect(!mirror.children.isEmpty)
        for child in mirror.children {
            guard let label = child.label else { continue }
            let answered = model.child(named: label)
            #expect(describe(answered) == describe(unwrapped(child.value)), "\(type(of: model)).\(label)")
        }
        #expect(model.child(named: "noSuchKey") == nil)
    }

    /// The value inside an optional, or nil: what swift-mustache's reflection hands a template.
    func unwrapped(_ value: Any) -> Any? {
        let mirror = Mirror(reflecting: value)
        guard mirror.displayStyle == .optional else { return value }
        return mirror.children.first?.value
    }

    func describe(_ value: Any?) -> String {
        value.map { String(describing: $0) } ?? "nil"
    }

    @Test func everyRepeatedRowAnswersEachOfItsFields() {
        let cell = Cell(cls: "red", value: 3, href: "/ui/cases?overdue=true", wide: true)
        check(cell)
        check(BacklogRow(rowID: "n-430100", href: "/ui/nodes/430100", name: "长沙市", level: "市级", cells: [cell], isTotal: false))
        check(BacklogRow(rowID: "total", href: nil, name: "合计", level: "", cells: [], isTotal: true))
        let row = CaseRow(
            light: "red",
            lightLabel: "超期",
            number: "430000-2026-000001",
            summary: "反映拖欠工资",
            status: "办理中",
            holder: "芙蓉区",
            received: "2026-11-02",
            age: 30,
            due: "2026-11-30",
            daysOverdue: 2
        )
        check(row)
        var finished = row
        finished.due = nil
        finished.daysOverdue = nil
        check(finished)
        check(Card(label: "超期", value: 1, id: "overdue", alert: true, href: "/ui/cases?overdue=true"))
        check(Card(label: "在办", value: 0, id: "open", alert: false, href: nil))
    }

    @Test func theTemplatesRenderTheRowsAsBefore() {
        let table = BacklogTable(
            tableID: "nodes",
            rows: [
                BacklogRow(
                    rowID: "n-430100",
                    href: "/ui/nodes/430100",
                    name: "长沙市",
                    level: "市级",
                    cells: [Cell(cls: "red", value: 3, href: "/ui/cases?x=1", wide: true)],
                    isTotal: false
                ),
                BacklogRow(rowID: "total", href: nil, name: "合计", level: "", cells: [], isTotal: true),
            ]
        )
        let html = Templates.render(table, "backlog")
        #expect(html.contains(#"<tr id="n-430100"><td><a href="/ui/nodes/430100">长沙市</a></td><td class="wide">市级</td>"#))
        #expect(html.contains(#"<td class="n red wide"><a href="/ui/cases?x=1">3</a></td>"#))
        #expect(html.contains(#"<tr id="total" class="total"><td>合计</td>"#))
    }
}
