import Foundation
import HTTPTypes
import XinfangCore
import XinfangStore

// The dashboard's page view models: plain values the templates (`Templates`) render, every text
// escaped there. Built from the same reports as the API by `DashboardPages`.

/// The frame of a page: its title, the node in the header, who is signed in.
struct Frame {
    var title: String
    var node: String
    var level: String
    var viewer: String?
    var generatedAt: String
    var nav: [Link] = HTML.navigation(HTML.permissions, secondFactor: HTML.secondFactor)
    let css = HTML.css
}

struct Hidden {
    var name: String
    var value: String
}

struct Link {
    var href: String
    var text: String
}

/// The path from this node down to the node shown.
struct Crumbs {
    var links: [Link]
    var current: String
}

/// A figure on the landing page.
struct Card {
    var label: String
    var value: Int
    var id: String
    /// Drawn in red (a figure that should be zero and is not).
    var alert: Bool
    var href: String?
}

/// A figure of a table, linking to the cases (or flags) behind it.
struct Cell {
    var cls: String
    var value: Int
    var href: String
    /// Left out at a phone's width (as its column's header).
    var wide = false
}

struct BacklogRow {
    var rowID: String
    /// The node's own board; nil for the total.
    var href: String?
    var name: String
    var level: String
    var cells: [Cell]
    var isTotal: Bool
}

struct BacklogTable {
    var tableID: String
    var rows: [BacklogRow]
}

struct CaseRow {
    /// `red`, `yellow`, `green`, or `none` for a finished case.
    var light: String
    var lightLabel: String
    var number: String
    var summary: String
    var status: String
    var holder: String
    /// 收件日期 and the whole days since.
    var received: String
    var age: Int
    var due: String?
    var daysOverdue: Int?
}

struct CaseHeader {
    var label: String
    var cls: String
    var href: String?
    var mark: String
}

struct CaseTable {
    var headers: [CaseHeader]
    var rows: [CaseRow]
}

struct FlagRow {
    var label: String
    var caseNumber: String?
    var subject: String
    var node: String
    var since: String
    var detail: String
    var remedy: String
}

struct FlagTable {
    var rows: [FlagRow]
}

/// A chart with its title (the SVG is the server's, made from escaped parts).
struct Panel {
    var title: String
    var svg: String
    var link: Link?
}

struct HeldCases {
    var title: String
    var table: CaseTable
    var node: String
}

struct MovedRow {
    var number: String
    var summary: String
    var moves: Int
    var holder: String
    var status: String
}

struct OverviewPage {
    var frame: Frame
    var crumbs: Crumbs?
    var name: String
    var root: String
    var cards: [Card]
    var yellowDays: Int
    var children: BacklogTable?
    var nodes: BacklogTable
    var panels: [Panel]
    var held: HeldCases?
    var moved: [MovedRow]
}

struct RolePage {
    var frame: Frame
    var role: String
}

struct CaseListPage {
    var frame: Frame
    var text: String
    /// The filters other than the keyword, kept as hidden inputs when the keyword changes.
    var hidden: [Hidden]
    var filters: String?
    /// "共 N 件", or "超过 N 件" beyond the count's bound.
    var count: String
    var exportHref: String
    var clearHref: String?
    /// nil when no case matches.
    var table: CaseTable?
    var nextHref: String?
}

/// One input of a form; exactly one of the four is set.
struct FieldModel {
    struct Option {
        var value: String
        var text: String
        var selected: Bool
    }

    struct Select {
        var label: String
        var name: String
        var options: [Option]
    }

    struct Input {
        var label: String
        var type = "text"
        var name: String
        var maxlength: Int?
        var min: Int?
        var max: Int?
        var size: Int?
        var value: String?
        var required = false
    }

    struct Checkbox {
        var label: String
        var name: String
        var checked: Bool
    }

    struct Area {
        var label: String
        var name: String
        var maxlength: Int
        var value = ""
        var required = false
        var tall = false
    }

    /// A choice in groups (`<optgroup>`): the content category's first and second levels as the
    /// group, the third as the option.
    struct Grouped {
        struct Group {
            var label: String
            var options: [Option]
        }

        var label: String
        var name: String
        var groups: [Group]
    }

    /// A text input with suggestions (`<datalist>`): typing filters them, no script needed.
    struct Search {
        var label: String
        var name: String
        var listID: String
        var value: String
        var suggestions: [String]
    }

    var select: Select?
    var grouped: Grouped?
    var search: Search?
    var input: Input?
    var checkbox: Checkbox?
    var area: Area?
    var lineBreak = false

    static func select(_ label: String, _ name: String, _ options: [(String, String)], selected: String? = nil) -> FieldModel {
        FieldModel(select: Select(label: label, name: name, options: options.map { Option(value: $0.0, text: $0.1, selected: $0.0 == selected) }))
    }

    static func input(_ input: Input) -> FieldModel { FieldModel(input: input) }
    static func area(_ area: Area) -> FieldModel { FieldModel(area: area) }
    static func checkbox(_ label: String, _ name: String, checked: Bool) -> FieldModel {
        FieldModel(checkbox: Checkbox(label: label, name: name, checked: checked))
    }
    static let lineBreakField = FieldModel(lineBreak: true)
}

struct ActionForm {
    var label: String
    var isCommand: Bool
    var action: String
    var number: String
    var fields: [FieldModel]
    let actorMax = ActionLimits.actorLengthMax
}

struct DeadlineRow {
    var label: String
    var dueDate: String
    var metAt: String
    /// While the obligation runs: `red`, `yellow` or `green`.
    var light: String?
    var lightLabel: String?
    var daysOverdue: Int?
    /// 进行中, 按期完成, 逾期完成, 未按期完成…
    var state: String
}

struct ConflictRow {
    var forkSeq: Int
    var winner: String
    var loser: String
    var branch: String
    var losing: String
    var open: Bool
    var decision: String
}

struct TimelineEntry {
    struct Command {
        var origin: String
        var actor: String
    }

    var cls: String
    var label: String
    var origin: String
    var actor: String
    var time: String
    var seq: Int
    var command: Command?
    var detail: String?
    var movedTo: String?
}

struct LosingEntry {
    var label: String
    var origin: String
    var actor: String
    var time: String
    var seq: Int
}

struct Intake {
    var kind: String
    var earlier: String
    var earlierHolder: String
}

struct Contact {
    var name: String
    var lead: Bool
    var mobile: String
    var idNumber: String
    var address: String
}

struct Collective {
    var batches: Int
    var persons: Int
}

struct CasePage {
    var frame: Frame
    var message: String?
    var error: String?
    var number: String
    var status: String
    var flagCount: Int?
    var light: String
    var lightLabel: String
    /// 收件日期 and the whole days since.
    var received: String
    var ageDays: Int
    var holder: String
    var holderSince: String
    var owner: String
    var summary: String
    var text: String
    var petitioners: String
    /// The petitioners' contact data, unmasked, when the reader asked (and was audited).
    var contacts: [Contact]?
    var canReveal: Bool
    /// The 查询码, with the contacts (revealed, audited); and whether this reader may issue a new one.
    var lookupCode: String?
    var canReissueCode: Bool
    var collective: Collective?
    var channel: String
    var jointLetter: Bool
    var purpose: String
    var category: String
    var region: String
    var registeredAt: String
    var registered: String
    var registeredBy: String
    var intake: Intake?
    var repeats: [String]
    var deadlines: [DeadlineRow]
    /// nil when the case has no open flag.
    var flags: FlagTable?
    var conflicts: [ConflictRow]
    var timeline: [TimelineEntry]
    var losing: [LosingEntry]
    var forms: [ActionForm]
    var caseFile: CaseFileSection
}

struct RegisterPage {
    var frame: Frame
    var error: String?
    var fields: [FieldModel]
}

struct FlagListPage {
    var frame: Frame
    var count: Int
    /// nil when no flag is open.
    var table: FlagTable?
}

struct StatsRow {
    var name: String
    var href: String?
    var counts: [String]
    var rates: [String]
}

struct StatsPage {
    var frame: Frame
    var crumbs: Crumbs?
    var name: String
    var from: String
    var to: String
    var root: String
    var panel: Panel
    var rows: [StatsRow]
}

/// The login and password pages, before a session.
struct BarePage {
    var frame: Frame
    var error: String?
    var username = ""
}

/// An error, a refusal or an unknown address under the dashboard, as a page.
struct ErrorPage {
    var frame: Frame
    var heading: String
    var detail: String
    var status: Int

    init(_ problem: APIProblem) {
        status = problem.status.code
        heading =
            switch problem.status.code {
            case 401: "请先登录"
            case 403: "无权访问"
            case 404: "页面或信访件不存在"
            case 405: "不支持此操作"
            case 409, 422: "无法办理"
            case 413: "提交的内容过大"
            case 429: "操作过于频繁"
            case 500...: "系统暂时无法处理"
            default: "请求有误"
            }
        detail =
            switch problem.status.code {
            case 404 where problem.code == "route-not-found": "您访问的地址不存在，可能是链接已失效或输入有误。"
            case 403: "当前账号无权查看或办理此项内容。\(problem.detail)"
            case 500...: "系统处理时发生错误，请稍后重试；如持续出现，请联系系统管理员。"
            default: problem.detail
            }
        frame = Frame(title: heading, node: HTML.nodeName, level: "", viewer: HTML.viewer, generatedAt: "")
    }
}

/// The authenticator set-up page: the QR code and the secret, or that it is done.
struct EnrolmentPage {
    var frame: Frame
    var qr: String?
    var secret: String?
    var pending: String?
    var error: String?
    var done = false
}
