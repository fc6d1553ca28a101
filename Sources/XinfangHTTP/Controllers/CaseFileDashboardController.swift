import Foundation
import HTTPTypes
import Hummingbird
import MultipartKit
import NIOCore
import XinfangCore
import XinfangService
import XinfangStore

/// The case file from the dashboard: a file uploaded from a form (`multipart/form-data`, parsed
/// as it streams by MultipartKit, the file's bytes going straight into the upload) and a notice
/// issued from a button. Both take the API's path (`CaseService`) and answer with a redirect to the
/// case page saying what happened.
struct CaseFileDashboardController<Context: NodeContext>: Sendable {
    let services: NodeServices

    func addRoutes(to router: Router<Context>) {
        router.post("ui/cases/{caseNumber}/files", use: upload)
        router.post("ui/cases/{caseNumber}/notices", use: issue)
        router.post("ui/cases/{caseNumber}/lookup-code", use: reissueCode)
    }

    static func back(_ number: CaseNumber, message: String? = nil, error: String? = nil) -> Response {
        HTML.redirect("/ui/cases/\(number)?" + (error.map { "error=\(HTML.query($0))" } ?? "msg=\(HTML.query(message ?? ""))"))
    }

    /// One part's events as the parser reports them, handled after each buffer.
    enum Event {
        case header(String, String)
        case body(ByteBuffer)
        case end
    }

    final class Events: @unchecked Sendable {
        var queue: [Event] = []
    }

    /// `POST /ui/cases/{caseNumber}/files`: the form's `stage` (before the file) and `file`.
    @Sendable func upload(request: Request, context: Context) async throws -> Response {
        let principal = try context.requireUser()
        let number = try context.caseNumber()
        guard let type = request.headers[.contentType], type.lowercased().hasPrefix("multipart/form-data"),
            let boundary = type.components(separatedBy: "boundary=").last.map({ $0.trimmingCharacters(in: CharacterSet(charactersIn: "\" ")) }),
            !boundary.isEmpty, boundary.count <= 200
        else { return Self.back(number, error: "未上传：表单不是文件上传表单。") }
        let parser = MultipartParser(boundary: boundary)
        let events = Events()
        parser.onHeader = { events.queue.append(.header($0.lowercased(), $1)) }
        parser.onBody = { events.queue.append(.body($0)) }
        parser.onPartComplete = { events.queue.append(.end) }
        var partName: String?
        var fileName: String?
        var fields: [String: String] = [:]
        var upload: CaseService.Upload?
        var stored: CaseService.Outcome?
        do {
            for try await buffer in request.body {
                try parser.execute(buffer)
                let pending = events.queue
                events.queue.removeAll()
                for event in pending {
                    switch event {
                    case .header(let name, let value) where name == "content-disposition":
                        partName = Self.parameter("name", in: value)
                        fileName = Self.parameter("filename", in: value)
                    case .header: break
                    case .body(var bytes) where partName == "file":
                        if upload == nil {
                            let stage: AttachmentStage = fields["stage"].flatMap(AttachmentStage.init(rawValue:)) ?? .other
                            upload = try await services.cases.beginUpload(
                                to: number,
                                fileName: fileName ?? "",
                                stage: stage,
                                by: principal.caseActor,
                                scope: services.scope(for: principal),
                                limits: services.uploadLimits
                            )
                        }
                        try upload?.append(Data(bytes.readBytes(length: bytes.readableBytes) ?? []))
                    case .body(var bytes):
                        let text = bytes.readString(length: bytes.readableBytes) ?? ""
                        guard (fields[partName ?? ""]?.count ?? 0) + text.count <= 200 else {
                            throw APIProblem(.badRequest, code: "invalid-field", detail: "表单字段过长。")
                        }
                        fields[partName ?? "", default: ""] += text
                    case .end:
                        if partName == "file", let finishing = upload {
                            upload = nil
                            stored = try await finishing.finish()
                        }
                        partName = nil
                        fileName = nil
                    }
                }
            }
        } catch {
            upload?.abandon()
            let detail = (try? await AttachmentController<Context>(services: services).problem(error, number))?.detail ?? "\(error)"
            return Self.back(number, error: "未上传：\(detail)")
        }
        upload?.abandon()
        guard let stored else { return Self.back(number, error: "未上传：没有收到完整的文件。") }
        switch stored {
        case .applied: return Self.back(number, message: "已添加材料：\(fields["stage"].flatMap(AttachmentStage.init(rawValue:))?.label ?? "其他")材料。")
        case .commanded(_, let holder, _):
            return Self.back(
                number,
                message: "材料已存入本级，添加材料的指令已发往办理机关 \(services.database.hierarchy?.topology.node(holder)?.name ?? holder.rawValue)。"
            )
        }
    }

    /// A parameter of a `Content-Disposition` value (`name="file"; filename="来信.pdf"`).
    static func parameter(_ key: String, in value: String) -> String? {
        for piece in value.split(separator: ";") {
            let pair = piece.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].lowercased() == key else { continue }
            return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return nil
    }

    /// `POST /ui/cases/{caseNumber}/notices`: the button's `kind`.
    @Sendable func issue(request: Request, context: Context) async throws -> Response {
        let principal = try context.requireUser()
        let number = try context.caseNumber()
        let values = try await Form.values(of: request)
        guard let kind = values["kind"].flatMap(NoticeKind.init(rawValue:)) else { return Self.back(number, error: "未出具：文书种类无效。") }
        do {
            let (_, record) = try await services.issueNotice(kind, on: number, principal: principal)
            return Self.back(number, message: "已出具\(kind.title)（\(record.docNumber)）。")
        } catch StoreError.refused(let refusal) {
            return Self.back(number, error: "未出具：\(refusal.description)")
        } catch let refusal as PolicyRefusal {
            return Self.back(number, error: "未出具：\(refusal.detail)")
        }
    }

    /// 重发查询码 from the case page: the new code goes to the petitioner by SMS and is shown with
    /// the contacts (an audited read), never in a URL.
    @Sendable func reissueCode(request: Request, context: Context) async throws -> Response {
        let principal = try context.requireUser()
        let number = try context.caseNumber()
        do {
            _ = try await services.cases.reissueLookupCode(on: number, by: principal.caseActor, scope: services.scope(for: principal))
            return Self.back(number, message: "已发放新查询码，原查询码作废；新查询码已短信发送，点“查看联系方式”可见。")
        } catch StoreError.refused(let refusal) {
            return Self.back(number, error: "未重发：\(refusal.description)")
        } catch let refusal as PolicyRefusal {
            return Self.back(number, error: "未重发：\(refusal.detail)")
        } catch let failure as LifecycleError {
            return Self.back(number, error: "未重发：\(failure.description)")
        }
    }
}
