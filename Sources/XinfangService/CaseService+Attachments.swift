public import Foundation
public import XinfangCore
public import XinfangStore

extension CaseService {
    /// A node's limits on uploads (below `AttachmentLimits`' bounds, which every event keeps).
    /// The limits on the case file (configuration `caseFile`, with these defaults).
    public struct UploadLimits: Codable, Sendable, Equatable {
        /// The largest file (default 50 MB; 1 KiB to 2 GiB).
        public var fileBytes = AttachmentLimits.fileBytesDefault
        /// The bytes one case's files may add up to, withdrawn ones included (default 500 MB;
        /// at least `fileBytes`, at most 100 GiB).
        public var caseBytes = 500 << 20
        /// The types a file may be (told by its bytes); every uploadable type by default.
        public var mediaTypes: [MediaType] = MediaType.uploadable

        public init() {}

        public init(fileBytes: Int, caseBytes: Int, mediaTypes: [MediaType] = MediaType.uploadable) {
            self.fileBytes = fileBytes
            self.caseBytes = caseBytes
            self.mediaTypes = mediaTypes
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            fileBytes = try c.decodeIfPresent(Int.self, forKey: .fileBytes) ?? AttachmentLimits.fileBytesDefault
            caseBytes = try c.decodeIfPresent(Int.self, forKey: .caseBytes) ?? 500 << 20
            mediaTypes = try c.decodeIfPresent([MediaType].self, forKey: .mediaTypes) ?? MediaType.uploadable
        }

        /// Checks the bounds.
        public func validated() throws(ValidationFailure) -> UploadLimits {
            guard (1 << 10...AttachmentLimits.fileBytesMax).contains(fileBytes) else {
                throw .invalid("caseFile.fileBytes", "单个材料文件的上限必须在 1024 字节到 \(AttachmentLimits.fileBytesMax) 字节之间。")
            }
            guard (fileBytes...(100 << 30)).contains(caseBytes) else {
                throw .invalid("caseFile.caseBytes", "每件信访件材料总量的上限不得小于单个文件的上限，也不得超过 100 GiB。")
            }
            guard !mediaTypes.isEmpty, mediaTypes.allSatisfy(MediaType.uploadable.contains) else {
                throw .invalid(
                    "caseFile.mediaTypes",
                    "可上传的材料类型须至少一种，且只能是 \(MediaType.uploadable.map(\.rawValue).joined(separator: "、"))。"
                )
            }
            return self
        }
    }

    /// 添加材料 through an upload, in three steps so that a refusal costs nothing: `beginUpload`
    /// checks the case, the asker and the name; `Upload.append` takes the bytes as they arrive and
    /// refuses, from the first bytes on, a file that is not what its name says; `finish` stores the
    /// blob under the hash it computed and appends the event (the holder) or sends the command (an
    /// ancestor). A refused or abandoned upload leaves nothing behind.
    public final class Upload {
        let service: CaseService
        let number: CaseNumber
        let actor: Actor
        let scope: CaseScope?
        let fileName: String
        let stage: AttachmentStage
        let writer: BlobStore.Writer
        /// The types the node takes.
        let allowed: [MediaType]
        /// The SHA-256 the client says the file has: bytes that differ are refused.
        let expected: String?
        var mediaType: MediaType?
        var checkedName: String?

        init(
            service: CaseService,
            number: CaseNumber,
            actor: Actor,
            scope: CaseScope?,
            fileName: String,
            stage: AttachmentStage,
            expected: String?,
            allowed: [MediaType],
            limit: Int
        ) throws {
            self.allowed = allowed
            self.service = service
            self.expected = expected
            self.number = number
            self.actor = actor
            self.scope = scope
            self.fileName = fileName
            self.stage = stage
            writer = try service.database.blobs.writer(limit: limit)
        }

        /// The next bytes; the type is decided as soon as the first bytes are in.
        public func append(_ bytes: Data) throws {
            do {
                try writer.append(bytes)
                if mediaType == nil, writer.size >= MediaType.sniffBytes { try decideType() }
            } catch {
                writer.abandon()
                throw error
            }
        }

        func decideType() throws {
            guard let type = MediaType.sniff(writer.head), allowed.contains(type) else {
                throw ValidationFailure(
                    code: "unsupported-media-type",
                    field: "file",
                    detail: "文件内容不是本机关收入信访材料的类型（\(allowed.map(\.shortName).joined(separator: "、"))）。"
                )
            }
            checkedName = try AttachmentName.checked(fileName, type: type)
            mediaType = type
        }

        /// Stores the blob and records it in the case file.
        public func finish() async throws -> Outcome {
            let stored: BlobStore.Stored
            do {
                if mediaType == nil { try decideType() }
                stored = try writer.finish(expected: expected)
            } catch BlobStore.Failure.hashMismatch(let expected, let actual) {
                throw ValidationFailure(
                    code: "hash-mismatch",
                    field: "sha256",
                    detail: "收到的文件 SHA-256 为 \(actual)，与声明的 \(expected) 不符（传输中被截断或改动），未收入。"
                )
            } catch {
                writer.abandon()
                throw error
            }
            let file = AttachmentRef(sha256: stored.sha256, size: stored.size, mediaType: mediaType!, fileName: checkedName!, stage: stage)
            return try await service.record(.attach(file), on: number, by: actor, scope: scope)
        }

        /// Drops what was received.
        public func abandon() { writer.abandon() }
    }

    /// Starts an upload to the case file of `number`: the case must be visible to the asker, the
    /// asker allowed to add material, this node the holder or an ancestor of it, and the case file
    /// not full (files and bytes). With `expectedSHA256`, a file whose bytes hash otherwise (cut
    /// short or altered on the way) is refused (`hash-mismatch`) and nothing is kept.
    public func beginUpload(
        to number: CaseNumber,
        fileName: String,
        stage: AttachmentStage,
        by actor: Actor,
        scope: CaseScope? = nil,
        expectedSHA256: String? = nil,
        limits: UploadLimits = UploadLimits()
    ) async throws -> Upload {
        if let expectedSHA256, !AttachmentLimits.isHash(expectedSHA256) {
            throw ValidationFailure.invalid("sha256", "sha256 须为 64 位小写十六进制数字。")
        }
        let current: CaseState? =
            if let scope { try await database.caseState(number, in: scope) } else { try await database.caseState(number) }
        guard let current else { throw StoreError.caseNotFound(number) }
        guard actor.permissions.contains(ActionName.attach.permission) else {
            throw PolicyRefusal(.notPermitted, field: nil, detail: "当前账号（\(actor.roleLabel)）无权添加信访材料。")
        }
        guard !fileName.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationFailure.missing("fileName") }
        let files = current.attachments ?? []
        guard files.count < AttachmentLimits.perCaseMax else {
            throw ValidationFailure(code: "case-file-full", field: "file", detail: "每件信访件最多 \(AttachmentLimits.perCaseMax) 个材料。")
        }
        let used = files.reduce(0) { $0 + $1.file.size }
        guard used < limits.caseBytes else {
            throw ValidationFailure(code: "case-file-full", field: "file", detail: "该信访件的材料已达 \(limits.caseBytes / (1 << 20)) MB 的上限。")
        }
        if let hierarchy = database.hierarchy, current.holder != node,
            !CommandPolicy.mayRequest(.attach, from: node, holder: current.holder, topology: hierarchy.topology)
        {
            throw PolicyRefusal(.notAnAncestor, field: "action", detail: "只有办理机关或其上级机关可以添加信访材料。")
        }
        return try Upload(
            service: self,
            number: number,
            actor: actor,
            scope: scope,
            fileName: fileName,
            stage: stage,
            expected: expectedSHA256,
            allowed: limits.mediaTypes,
            limit: min(limits.fileBytes, limits.caseBytes - used)
        )
    }

    /// 出具文书: the notice of `kind`, issued by this organ on the case if the asker may act on it
    /// (`NodeDatabase.issueNotice` decides whether the case has reached it here).
    public func issueNotice(
        _ kind: NoticeKind,
        on number: CaseNumber,
        by actor: Actor,
        scope: CaseScope? = nil,
        prefix: String,
        render: @escaping @Sendable (NoticeDraft) throws -> Data
    ) async throws -> (CaseState, NoticeRecord) {
        let current: CaseState? =
            if let scope { try await database.caseState(number, in: scope) } else { try await database.caseState(number) }
        guard current != nil else { throw StoreError.caseNotFound(number) }
        guard actor.permissions.contains(ActionName.issueNotice.permission) else {
            throw PolicyRefusal(.notPermitted, field: nil, detail: "当前账号（\(actor.roleLabel)）无权出具文书。")
        }
        return try await database.issueNotice(kind, on: number, prefix: prefix, actor: actor.name, now: clock.now(), render: render)
    }
}
