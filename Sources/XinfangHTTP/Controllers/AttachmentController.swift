import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import XinfangCore
import XinfangService
import XinfangStore

/// The case file over HTTP: a file uploaded as the request's body (streamed into the blob store,
/// never whole in memory) and downloaded by its hash, whole or by range, each download audited.
struct AttachmentController<Context: NodeContext>: Sendable {
    let services: NodeServices

    func addRoutes(to group: RouterGroup<Context>) {
        group.post("cases/{caseNumber}/attachments", use: upload)
        group.get("cases/{caseNumber}/attachments/{sha256}", use: download)
    }

    func caseNumber(_ context: Context) throws -> CaseNumber { try context.caseNumber() }

    /// `POST /api/v1/cases/{caseNumber}/attachments?fileName=&stage=&sha256=`: the body is the
    /// file; `sha256`, when given, is the hash the bytes must have.
    /// 201 with the case (the holder's node), 202 with the command (an ancestor's).
    @Sendable func upload(request: Request, context: Context) async throws -> Response {
        try await upload(request, to: try caseNumber(context), as: try context.requireUser())
    }

    /// The upload itself, for `principal` (the intake API files a system's material through it).
    func upload(_ request: Request, to number: CaseNumber, as principal: Principal) async throws -> Response {
        let q = request.uri.queryParameters
        let stage: AttachmentStage
        do { stage = try CaseAction.enumValue(q["stage"].map(String.init) ?? AttachmentStage.other.rawValue, field: "stage") } catch {
            throw APIProblem(error)
        }
        AuditScope.current?.update {
            $0.action = "case.attach"
            $0.object = number.rawValue
            $0.detail = String((q["fileName"].map(String.init) ?? "").prefix(120))
        }
        let upload: CaseService.Upload
        do {
            upload = try await services.cases.beginUpload(
                to: number,
                fileName: q["fileName"].map(String.init) ?? "",
                stage: stage,
                by: principal.caseActor,
                scope: services.scope(for: principal),
                expectedSHA256: q["sha256"].map(String.init),
                limits: services.uploadLimits
            )
        } catch { throw try await problem(error, number) }
        // A connection cut in the middle of the body ends the stream as if it were whole: the
        // length the client declared is the check (and `sha256` where it declares one).
        let declared = request.headers[.contentLength].flatMap { Int($0) }
        var received = 0
        do {
            for try await buffer in request.body {
                received += buffer.readableBytes
                try upload.append(Data(buffer.readableBytesView))
            }
            if let declared, received != declared {
                throw APIProblem(
                    .badRequest,
                    code: "truncated-body",
                    detail: "请求体只收到 \(received) 字节，少于声明的 \(declared) 字节（连接中断），文件未收入。"
                )
            }
        } catch {
            upload.abandon()
            throw try await problem(error, number)
        }
        let outcome: CaseService.Outcome
        do { outcome = try await upload.finish() } catch { throw try await problem(error, number) }
        switch outcome {
        case .applied(let state):
            return try APIJSON.response(try await CaseView(state: state, services: services, now: services.clock.now()), status: .created)
        case .commanded(let command, let holder, let nextHop):
            let name = services.database.hierarchy?.topology.node(holder)?.name ?? holder.rawValue
            let accepted = CommandAccepted(command, holder: holder, nextHop: nextHop, detail: "材料已存入本级，添加材料的指令已发往办理机关 \(name)。")
            return try APIJSON.response(accepted, status: .accepted)
        }
    }

    /// A refusal of the upload as a problem document.
    func problem(_ error: any Error, _ number: CaseNumber) async throws -> APIProblem { try await services.problem(error, on: number) }

    /// `GET /api/v1/cases/{caseNumber}/attachments/{sha256}`: the file, inline when a browser
    /// shows its type; `Range: bytes=a-b` answers 206 with that part. Audited before any byte is sent.
    @Sendable func download(request: Request, context: Context) async throws -> Response {
        let principal = try context.require(.readCases)
        let number = try caseNumber(context)
        let sha256 = context.parameters.get("sha256") ?? ""
        let state = try await services.scopedCase(number, principal: principal)
        guard let file = state.activeAttachments.first(where: { $0.file.sha256 == sha256 })?.file else {
            throw APIProblem(.notFound, code: "attachment-not-found", detail: "该信访件没有这个材料（或已撤回）。")
        }
        let blobs = services.database.blobs
        guard blobs.contains(sha256) else {
            throw APIProblem(.serviceUnavailable, code: "attachment-not-here", detail: "材料尚未同步到本级，请稍后再试。")
        }
        var range: Range<Int>?
        if let header = request.headers[.range] {
            guard let parsed = Self.byteRange(header, size: file.size) else {
                var response = try APIProblem(.rangeNotSatisfiable, code: "range-not-satisfiable", detail: "请求的范围无效。").response(
                    from: request,
                    context: context
                )
                response.headers[.contentRange] = "bytes */\(file.size)"
                return response
            }
            range = parsed
        }
        try await services.auditRead(principal, context: context, action: "attachment.download", object: "\(number)/\(sha256)", detail: file.fileName)
        let length = range.map(\.count) ?? file.size
        var headers = HTTPFields()
        headers[.contentType] = file.mediaType == .html ? "text/html; charset=utf-8" : file.mediaType.rawValue
        // A frozen notice is shown as a page that can do nothing but be read and printed.
        if file.mediaType == .html { headers[.contentSecurityPolicy] = "sandbox; default-src 'none'; style-src 'unsafe-inline'" }
        headers[.acceptRanges] = "bytes"
        headers[.contentDisposition] = "\(file.mediaType.isViewable ? "inline" : "attachment"); filename*=UTF-8''\(HTML.query(file.fileName))"
        if let range { headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound - 1)/\(file.size)" }
        let wanted = range
        let body = ResponseBody(contentLength: length) { writer in
            let reader = try blobs.reader(sha256, range: wanted)
            while let chunk = try reader.next() { try await writer.write(ByteBuffer(bytes: chunk)) }
            try await writer.finish(nil)
        }
        return Response(status: range == nil ? .ok : .partialContent, headers: headers, body: body)
    }

    /// One range of `Range: bytes=a-b`, `bytes=a-` or `bytes=-n` within `size`; nil when it is not one.
    static func byteRange(_ header: String, size: Int) -> Range<Int>? {
        guard header.hasPrefix("bytes="), !header.contains(","), size > 0 else { return nil }
        let spec = header.dropFirst("bytes=".count).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard spec.count == 2 else { return nil }
        switch (Int(spec[0]), Int(spec[1])) {
        case (let from?, let to?) where from <= to && from < size: return from..<min(to + 1, size)
        case (let from?, nil) where spec[1].isEmpty && from < size: return from..<size
        case (nil, let last?) where spec[0].isEmpty && last > 0: return max(0, size - last)..<size
        default: return nil
        }
    }
}
