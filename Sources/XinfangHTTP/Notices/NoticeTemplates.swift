public import Foundation
import Mustache
public import XinfangCore

/// The written notices' templates (文书模板): data, not code. The built-in set below lays every
/// notice out as Chinese organs do (GB/T 9704-2012 style: A4, 版心 156 × 225 mm, the issuing
/// organ's mark in red over a red rule, 文号, a 2号 title, the addressee, the body in 3号 仿宋
/// with its legal basis and remedies, the seal area and the date), printable from any browser
/// (CSS paged media). A province overrides any of them without a rebuild: the node's
/// `noticeTemplates` folder may hold `notice.mustache` (the layout every kind uses) and
/// `<kind>.mustache` for one kind (`acceptance`, `handlingOpinion`, …); `xinfang notices export`
/// writes the built-in ones there to start from. `{{text}}` escapes; the built-in templates use
/// no triple mustache.
public struct NoticeTemplates: Sendable {
    let overrides: [String: String]

    /// The built-in templates, with those in `directory` (when given) in their place.
    public init(directory: URL? = nil) throws {
        var found: [String: String] = [:]
        if let directory {
            let names = ["notice"] + NoticeKind.allCases.map(\.rawValue)
            for name in names {
                let url = directory.appendingPathComponent("\(name).mustache")
                guard FileManager.default.fileExists(atPath: url.path) else { continue }
                found[name] = try String(contentsOf: url, encoding: .utf8)
            }
        }
        overrides = found
        _ = try library()  // refuse a template that does not parse at start, not at issue
    }

    func library() throws -> MustacheLibrary {
        var library = MustacheLibrary()
        for (name, text) in Self.builtIn.merging(overrides, uniquingKeysWith: { $1 }) { try library.register(text, named: name) }
        return library
    }

    /// The names and texts of the built-in templates.
    public static var builtIn: [String: String] { ["notice": layout] }

    /// The notice's bytes: its kind's own template when there is one, else the layout.
    public func render(_ draft: NoticeDraft) throws -> Data {
        let library = try library()
        let model = Model(draft)
        let name = overrides[draft.kind] != nil ? draft.kind : "notice"
        guard let html = library.render(model, withTemplate: name) else { throw NoticeTemplateError(name: name) }
        return Data(html.utf8)
    }

    struct Model {
        var notice: NoticeDraft
        var paragraphs: [NoticeDraft.Paragraph]
        var remedies: [String]
        var hasRemedies: Bool
        var isForm: Bool

        init(_ draft: NoticeDraft) {
            notice = draft
            paragraphs = draft.paragraphs
            remedies = draft.remedies
            hasRemedies = !draft.remedies.isEmpty
            isForm = draft.kind == NoticeKind.transferForm.rawValue || draft.kind == NoticeKind.assignForm.rawValue
        }
    }

    /// The built-in layout of every notice.
    static let layout = """
        <!DOCTYPE html>
        <html lang="zh-CN">
        <head>
        <meta charset="utf-8">
        {{#notice}}<title>{{docNumber}} {{title}}</title>{{/notice}}
        <style>
        @page { size: A4; margin: 37mm 26mm 35mm 28mm; }
        html { background: #f3f3f3; }
        body { margin: 0; font-family: "FangSong", "STFangsong", "仿宋", "Noto Serif CJK SC", "Noto Serif CJK", serif; font-size: 16pt; line-height: 28.9pt; color: #000; }
        .page { box-sizing: border-box; width: 210mm; min-height: 297mm; margin: 8mm auto; padding: 37mm 26mm 35mm 28mm; background: #fff; box-shadow: 0 0 4mm rgba(0,0,0,.15); }
        .organ { text-align: center; color: #c00; font-family: "STXiaobiaoSong", "方正小标宋简体", "Noto Serif CJK SC", serif; font-weight: 700; font-size: 30pt; line-height: 1.3; letter-spacing: .08em; margin: 0 0 6mm; }
        .docno { text-align: center; margin: 0; }
        .rule { border: 0; border-top: 2px solid #c00; margin: 4mm 0 10mm; }
        h1 { text-align: center; font-family: "STXiaobiaoSong", "方正小标宋简体", "Noto Serif CJK SC", serif; font-weight: 700; font-size: 22pt; line-height: 1.5; margin: 0 0 8mm; }
        p { margin: 0; text-indent: 2em; text-align: justify; }
        p.to { text-indent: 0; }
        .label { font-family: "SimHei", "黑体", "Noto Sans CJK SC", sans-serif; }
        .basis, .remedy { margin-top: 0; }
        .close { margin-top: 0; }
        .sign { margin-top: 16mm; text-align: right; padding-right: 4em; position: relative; }
        .seal { display: inline-block; width: 42mm; height: 42mm; border: 1.5pt dashed #c00; border-radius: 50%; color: #c00; font-size: 10.5pt; line-height: 42mm; text-align: center; position: absolute; right: 6em; top: -14mm; opacity: .8; }
        .date { display: block; }
        .note { margin-top: 10mm; border-top: 1px solid #000; border-bottom: 1px solid #000; padding: 1mm 0; font-size: 14pt; line-height: 1.6; text-indent: 0; }
        .meta { font-size: 10.5pt; color: #555; text-indent: 0; margin-top: 6mm; }
        @media print { html { background: none; } .page { margin: 0; padding: 0; width: auto; min-height: 0; box-shadow: none; } }
        </style>
        </head>
        <body>
        <div class="page">
        {{#notice}}
        <div class="organ">{{organ}}</div>
        <p class="docno">{{docNumber}}</p>
        <hr class="rule">
        <h1>{{title}}</h1>
        <p class="to">{{addressee}}：</p>
        {{/notice}}
        {{#paragraphs}}<p>{{#heading}}<span class="label">{{.}}：</span>{{/heading}}{{text}}</p>
        {{/paragraphs}}
        {{#notice}}<p class="basis">依据：{{basis}}。</p>{{/notice}}
        {{#hasRemedies}}{{#remedies}}<p class="remedy">{{.}}</p>
        {{/remedies}}{{/hasRemedies}}
        {{^isForm}}<p class="close">特此告知。</p>{{/isForm}}
        {{#notice}}
        <div class="sign"><span class="seal">（印章）</span>{{organ}}<span class="date">{{issuedOn}}</span></div>
        {{#copyTo}}<p class="note">{{.}}</p>{{/copyTo}}
        <p class="meta">信访件编号：{{caseNumber}}　文号：{{docNumber}}</p>
        {{/notice}}
        </div>
        </body>
        </html>
        """
}

/// A template that rendered nothing (a missing partial, say).
public struct NoticeTemplateError: Error, CustomStringConvertible {
    public var name: String
    public var description: String { "the notice template \(name) rendered nothing" }
}
