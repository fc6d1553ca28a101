import Foundation
import Testing
import XinfangCore
import XinfangSimulation
import XinfangStore
import XinfangTesting

private typealias H = ExampleHierarchy

/// The case file in the chain: a file joins it by hash with its size, type, name and stage; the
/// same file twice is refused; a withdrawn file stays in the chain, marked, and cannot be
/// withdrawn again; the holder adds at its own node and an ancestor by command, no one else.
struct CaseFileTests {
    static let letter = AttachmentRef(
        sha256: String(repeating: "ab", count: 32),
        size: 3_145_728,
        mediaType: .pdf,
        fileName: "来信扫描件.pdf",
        stage: .registration
    )

    @Test(arguments: StoreBackend.allCases) func filesJoinByHashAndAreWithdrawnNeverRemoved(backend: StoreBackend) async throws {
        let clock = ManualClock()
        try await backend.withNode(Fixtures.county) { db in
            let number = try await db.register(Fixtures.registration(receivedAt: clock.now()), actor: "李娜", now: clock.now()).state.caseNumber
            let attached = try await db.act(on: number, action: .attach(Self.letter), actor: "王芳（经办；账号 wangfang）", now: clock.now())
            #expect(attached.activeAttachments.map(\.file) == [Self.letter])
            #expect(attached.activeAttachments.first?.addedBy == "王芳（经办；账号 wangfang）")
            #expect(attached.activeAttachments.first?.origin == Fixtures.county)
            #expect(attached.status == .registered, "adding material changes no status")
            await #expect(throws: (any Error).self, "the same file twice") {
                try await db.act(on: number, action: .attach(Self.letter), actor: "王芳", now: clock.now())
            }
            let withdrawn = try await db.act(
                on: number,
                action: .withdrawAttachment(sha256: Self.letter.sha256, reason: "误传他案材料"),
                actor: "王芳",
                now: clock.now()
            )
            #expect(withdrawn.activeAttachments.isEmpty)
            #expect(withdrawn.attachments?.count == 1 && withdrawn.attachments?.first?.withdrawn?.reason == "误传他案材料")
            await #expect(throws: (any Error).self, "withdrawn once") {
                try await db.act(on: number, action: .withdrawAttachment(sha256: Self.letter.sha256, reason: "再撤"), actor: "王芳", now: clock.now())
            }
            // Added again after its withdrawal: a new entry, the old one still marked.
            let again = try await db.act(on: number, action: .attach(Self.letter), actor: "王芳", now: clock.now())
            #expect(again.attachments?.count == 2 && again.activeAttachments.count == 1)
            // The chain folds to the same list (every level sees the same case file).
            let events = try await db.events(of: number)
            var folded = try CaseState.opened(by: events[0])
            for event in events.dropFirst() { try folded.apply(event) }
            #expect(folded.attachments == again.attachments)
        }
    }

    @Test func theFieldsOfAnAttachmentAreChecked() throws {
        var f = CaseAction.attach(Self.letter).fields
        #expect(try CaseAction(fields: f) == .attach(Self.letter))
        let bad: [(WritableKeyPath<ActionFields, String?>, String?, String)] = [
            (\.sha256, "ABC", "invalid-field"), (\.sha256, nil, "missing-field"), (\.mediaType, "application/zip", "invalid-field"),
            (\.fileName, "scan.jpg", "file-type-mismatch"), (\.fileName, "../scan.pdf", "invalid-file-name"), (\.stage, "archive", "invalid-field"),
        ]
        for (key, value, code) in bad {
            var g = f
            g[keyPath: key] = value
            #expect(throws: ValidationFailure.self) { try CaseAction(fields: g) }
            do { _ = try CaseAction(fields: g) } catch { #expect(error.code == code, "\(key) \(value ?? "nil"): \(error.code)") }
        }
        f.size = AttachmentLimits.fileBytesMax + 1
        #expect(throws: ValidationFailure.self) { try CaseAction(fields: f) }
    }

    @Test func theHolderAddsAndAnAncestorAsksNoOneElse() throws {
        let (topology, _) = ExampleHierarchy.topology(baseURL: { "http://127.0.0.1/\($0)" })
        for name in [ActionName.attach, .withdrawAttachment] {
            #expect(CommandPolicy.may(name, node: H.furong, holder: H.furong, assigner: nil, topology: topology))
            #expect(CommandPolicy.mayRequest(name, from: H.changsha, holder: H.furong, topology: topology))
            #expect(CommandPolicy.mayRequest(name, from: H.province, holder: H.furong, topology: topology))
            #expect(!CommandPolicy.mayRequest(name, from: H.yuelu, holder: H.furong, topology: topology), "a sibling")
            #expect(!CommandPolicy.mayRequest(name, from: H.furong, holder: H.changsha, topology: topology), "a child")
        }
    }
}

/// The 文号 sequence (issue 17): per organ and year, advanced in the issuing transaction, never
/// given twice, also after the store is closed and opened again; a refused issue takes no number.
struct NoticeNumberTests {
    @Test func numbersNeverRepeatAcrossARestartAndARefusalTakesNone() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("xinfang-notices-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let now = Date(timeIntervalSince1970: 1_796_000_000)
        let render: @Sendable (NoticeDraft) throws -> Data = { Data("\($0.docNumber) \($0.title) \($0.paragraphs.map(\.text))".utf8) }
        func accepted(_ db: NodeDatabase) async throws -> CaseNumber {
            let number = try await db.register(Fixtures.registration(receivedAt: now), actor: "李娜", now: now).state.caseNumber
            _ = try await db.act(on: number, action: .notify(note: nil), actor: "周敏", now: now)
            return number
        }
        var numbers: [String] = []
        do {
            let db = try NodeDatabase.open(directory: folder, node: Fixtures.county, calendar: .standard)
            let first = try await accepted(db)
            numbers.append(try await db.issueNotice(.acceptance, on: first, prefix: "芙人社信", actor: "周敏", now: now, render: render).1.docNumber)
            // Refused (not due, and issued already): no number is taken.
            await #expect(throws: StoreError.self) {
                _ = try await db.issueNotice(.handlingOpinion, on: first, prefix: "芙人社信", actor: "周敏", now: now, render: render)
            }
            await #expect(throws: StoreError.self) {
                _ = try await db.issueNotice(.acceptance, on: first, prefix: "芙人社信", actor: "周敏", now: now, render: render)
            }
        }
        let reopened = try NodeDatabase.open(directory: folder, node: Fixtures.county, calendar: .standard)
        let second = try await accepted(reopened)
        let (state, record) = try await reopened.issueNotice(.acceptance, on: second, prefix: "芙人社信", actor: "周敏", now: now, render: render)
        numbers.append(record.docNumber)
        #expect(numbers == ["芙人社信〔2026〕1号", "芙人社信〔2026〕2号"])
        // Frozen: the event's hash is the hash of the bytes in the blob store, which say the 文号.
        var bytes = Data()
        try reopened.blobs.read(record.sha256) { bytes.append($0) }
        #expect(String(decoding: bytes, as: UTF8.self).hasPrefix("芙人社信〔2026〕2号 信访事项受理告知书"))
        #expect(state.notices == [record])
        #expect(
            state.activeAttachments.last?.file
                == AttachmentRef(sha256: record.sha256, size: bytes.count, mediaType: .html, fileName: record.fileName, stage: .acceptance)
        )
    }
}
