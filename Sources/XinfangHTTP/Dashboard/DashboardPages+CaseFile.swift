import Foundation
import XinfangCore
import XinfangService
import XinfangStore

/// One file of the case file on the case page.
struct FileRow {
    var stage: String
    var name: String
    var type: String
    var size: String
    var addedBy: String
    var origin: String
    var at: String
    var href: String
    /// A picture shown as a thumbnail (the browser scales the picture itself).
    var isImage: Bool
    /// Its bytes are at this node (else still being fetched from a neighbour).
    var isHere: Bool
    var withdrawn: String?
}

/// An issued notice, and a button for each one the case has reached here.
struct NoticeRow {
    var docNumber: String
    var title: String
    var href: String
    var served: String
}

struct NoticeButton {
    var kind: String
    var title: String
}

/// The case page's case file (信访材料) and notices (文书).
struct CaseFileSection {
    var files: [FileRow]
    var canUpload: Bool
    var stages: [FieldModel.Option]
    var notices: [NoticeRow]
    var noticeButtons: [NoticeButton]
    var fileBytesMax: String
}

extension DashboardPages {
    func caseFileSection(_ state: CaseState, permissions: Set<Permission>) -> CaseFileSection {
        let blobs = services.database.blobs
        let size = { (bytes: Int) in ByteCountFormatter.string(fromByteCount: Int64(bytes), countStyle: .file) }
        let files = (state.attachments ?? []).map { f in
            FileRow(
                stage: f.file.stage.label,
                name: f.file.fileName,
                type: f.file.mediaType.label,
                size: size(f.file.size),
                addedBy: f.addedBy,
                origin: nodeName(f.origin),
                at: HTML.time(f.at),
                href: "/api/v1/cases/\(state.caseNumber)/attachments/\(f.file.sha256)",
                isImage: [.jpeg, .png, .webp].contains(f.file.mediaType),
                isHere: blobs.contains(f.file.sha256),
                withdrawn: f.withdrawn.map { "已撤回（\($0.by)：\($0.reason)）" }
            )
        }
        let node = services.database.node
        let issued = state.notices ?? []
        let due = NoticeKind.allCases.filter { kind in
            guard let occasion = kind.occasion(in: state, at: node) else { return false }
            return !issued.contains { $0.kind == kind && $0.occasion == occasion }
        }
        return CaseFileSection(
            files: files,
            canUpload: permissions.contains(ActionName.attach.permission),
            stages: AttachmentStage.allCases.map { FieldModel.Option(value: $0.rawValue, text: $0.label, selected: $0 == .other) },
            notices: issued.map { n in
                NoticeRow(
                    docNumber: n.docNumber,
                    title: n.kind.title,
                    href: "/api/v1/cases/\(state.caseNumber)/attachments/\(n.sha256)",
                    served: n.delivery.map { "\($0.on) \($0.method.label)，\($0.signed ? "已签收" : "拒收")" } ?? (n.kind.isForm ? "随件转交" : "待送达")
                )
            },
            noticeButtons: permissions.contains(ActionName.issueNotice.permission)
                ? due.map { NoticeButton(kind: $0.rawValue, title: $0.title) } : [],
            fileBytesMax: size(services.uploadLimits.fileBytes)
        )
    }
}
