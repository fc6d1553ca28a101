import Foundation
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
    let css = HTML.css
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

struct Cell {
    var cls: String
    var value: Int
}

struct BacklogRow {
    var rowID: String
    var href: String
    var name: String
    var level: String
    var cells: [Cell]
    /// The node whose case lists the row links to (the per-node table only).
    var casesOf: String?
}

struct BacklogTable {
    var tableID: String
    var linkCases: Bool
    var rows: [BacklogRow]
}

struct CaseRow {
    var number: String
    var summary: String
    var status: String
    var holder: String
    var registered: String
    var due: String?
    var late: Bool
}

struct CaseTable {
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
    var holder: String?
    var overdue: Bool
    var filters: String?
    var exportHref: String
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

    var select: Select?
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
    var overdue: Bool
    var running: Bool
    var met: Bool
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
    var epoch: Int
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
    var holder: String
    var holderSince: String
    var owner: String
    var summary: String
    var text: String
    var petitioners: String
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
