import Crypto
import Foundation
import HTTPTypes
import Testing
import XinfangCore
import XinfangHTTP
import XinfangService
import XinfangStore
import XinfangTesting

/// The case file over HTTP: a file streamed in is named by its hash and its bytes' type, and comes
/// back whole or by range, each download audited; what is not what it claims, too large or named
/// with a path is refused with its code and nothing is kept; only the roles that file material add it.
struct AttachmentAPITests {
    static let pdf = Data("%PDF-1.7\n".utf8) + Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
    static var octets: HTTPFields { [.contentType: "application/octet-stream"] }
    static func hex(_ data: Data) -> String { SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined() }

    static func blobFiles(_ node: TestNode) -> [String] {
        let root = node.database.blobs.directory
        let folders = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return folders.filter { $0 != "incoming" }.flatMap {
            (try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent($0).path)) ?? []
        }
    }

    @Test func aFileGoesInByItsBytesAndComesBackWholeOrByRange() async throws {
        let node = try TestNode()
        let number = try await node.database.register(Fixtures.registration(receivedAt: node.clock.now()), actor: "李娜", now: node.clock.now()).state
            .caseNumber
        let name = "来信扫描件.pdf".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        try await node.withAPI(as: .registrar) { api in
            let created = try await api.send(
                .post,
                "/api/v1/cases/\(number)/attachments?fileName=\(name)&stage=registration",
                body: Self.pdf,
                headers: Self.octets
            )
            #expect(created.status == 201, "\(created.text)")
        }
        let state = try #require(try await node.database.caseState(number))
        let file = try #require(state.activeAttachments.first?.file)
        #expect(file == AttachmentRef(sha256: Self.hex(Self.pdf), size: Self.pdf.count, mediaType: .pdf, fileName: "来信扫描件.pdf", stage: .registration))
        #expect(state.activeAttachments.first?.addedBy.contains("test-registrar") == true)
        try await node.withAPI(as: .handler) { api in
            let whole = try await api.request(.get, "/api/v1/cases/\(number)/attachments/\(file.sha256)")
            #expect(whole.status == 200 && whole.body == Self.pdf)
            #expect(whole.contentType == "application/pdf")
            #expect(whole.headers[.contentDisposition]?.hasPrefix("inline; filename*=UTF-8''") == true)
            var range = HTTPFields()
            range[.range] = "bytes=100-199"
            let part = try await api.request(.get, "/api/v1/cases/\(number)/attachments/\(file.sha256)", headers: range)
            #expect(part.status == 206 && part.body == Self.pdf.subdata(in: 100..<200))
            #expect(part.headers[.contentRange] == "bytes 100-199/\(Self.pdf.count)")
            range[.range] = "bytes=-10"
            #expect(try await api.request(.get, "/api/v1/cases/\(number)/attachments/\(file.sha256)", headers: range).body == Self.pdf.suffix(10))
            range[.range] = "bytes=999999999-"
            #expect(try await api.request(.get, "/api/v1/cases/\(number)/attachments/\(file.sha256)", headers: range).status == 416)
            let audited = try await node.database.auditRows(after: 0, limit: 1000, action: "attachment.download")
            #expect(audited.count == 3, "every download that sends bytes is audited")
            #expect(try await api.request(.get, "/api/v1/cases/\(number)/attachments/\(String(repeating: "0", count: 64))").status == 404)
            // Withdrawn: hidden from downloads, kept in the chain.
            let withdrawn = try await api.act(number.rawValue, ["action": "withdrawAttachment", "sha256": file.sha256, "reason": "误传"])
            #expect(withdrawn.status == 200)
            #expect(try await api.request(.get, "/api/v1/cases/\(number)/attachments/\(file.sha256)").status == 404)
        }
    }

    @Test func whatIsNotWhatItClaimsTooLargeOrAPathIsRefusedAndNothingKept() async throws {
        var node = try TestNode()
        node.services.uploadLimits.fileBytes = 200_000
        let number = try await node.database.register(Fixtures.registration(receivedAt: node.clock.now()), actor: "李娜", now: node.clock.now()).state
            .caseNumber
        try await node.withAPI(as: .handler) { api in
            let cases: [(String, Data, Int, String)] = [
                ("photo.jpg", Data("%PDF-1.4\nsmall".utf8), 415, "file-type-mismatch"),
                ("bomb.zip", Data("PK\u{3}\u{4}\u{14}\u{0}\u{0}\u{0}\u{8}\u{0}zzzzzzzz".utf8), 415, "unsupported-media-type"),
                ("evil.exe.pdf", Data("MZ\u{90}\u{0}\u{3}\u{0}\u{0}\u{0}\u{4}\u{0}\u{0}\u{0}\u{ff}\u{ff}".utf8), 415, "unsupported-media-type"),
                ("..%2F..%2Fetc%2Fpasswd.pdf", Data("%PDF-1.4\nsmall".utf8), 400, "invalid-file-name"),
                ("big.pdf", Self.pdf, 413, "file-too-large"),
            ]
            for (name, body, status, code) in cases {
                let answer = try await api.send(.post, "/api/v1/cases/\(number)/attachments?fileName=\(name)", body: body, headers: Self.octets)
                #expect(answer.status == status && answer["code"] == code, "\(name): \(answer.status) \(answer.text)")
            }
            #expect(
                try await api.send(
                    .post,
                    "/api/v1/cases/\(number)/attachments?fileName=a.pdf&stage=archive",
                    body: Data("%PDF-".utf8),
                    headers: Self.octets
                ).status == 400
            )
        }
        #expect(try await node.database.caseState(number)?.attachments == nil, "no file recorded")
        #expect(Self.blobFiles(node).isEmpty, "no bytes kept")
        // A role that does not file material may not add it.
        try await node.withAPI(as: .supervisor) { api in
            let answer = try await api.send(
                .post,
                "/api/v1/cases/\(number)/attachments?fileName=a.pdf",
                body: Data("%PDF-1.4\nsmall".utf8),
                headers: Self.octets
            )
            #expect(answer.status == 403)
        }
        #expect(Self.blobFiles(node).isEmpty)
    }

    /// A body that is not the file the client meant: a declared hash the bytes do not have (cut
    /// short or altered on the way) is refused with its code, and a well-formed hash that matches
    /// is taken; a malformed one is refused before any byte is read. Nothing of a refusal is kept.
    @Test func aFileWhoseBytesAreNotTheDeclaredHashIsRefused() async throws {
        let node = try TestNode()
        let number = try await node.database.register(Fixtures.registration(receivedAt: node.clock.now()), actor: "李娜", now: node.clock.now()).state
            .caseNumber
        let file = Data("%PDF-1.7\n".utf8) + Data((0..<50_000).map { UInt8(truncatingIfNeeded: $0 &* 13) })
        try await node.withAPI(as: .registrar) { api in
            let path = "/api/v1/cases/\(number)/attachments?fileName=a.pdf&sha256="
            let truncated = try await api.send(.post, path + Self.hex(file), body: file.prefix(30_000), headers: Self.octets)
            #expect(truncated.status == 422 && truncated["code"] == "hash-mismatch", "\(truncated.text)")
            var altered = file
            altered[40_000] ^= 0xff
            #expect(try await api.send(.post, path + Self.hex(file), body: altered, headers: Self.octets)["code"] == "hash-mismatch")
            #expect(try await api.send(.post, path + "ABC", body: file, headers: Self.octets)["code"] == "invalid-field")
            #expect(Self.blobFiles(node).isEmpty, "nothing of a refusal is kept")
            #expect(try await api.send(.post, path + Self.hex(file), body: file, headers: Self.octets).status == 201)
        }
        #expect(try await node.database.caseState(number)?.activeAttachments.map(\.file.sha256) == [Self.hex(file)])
    }

    /// The types a node takes are its configuration's (`caseFile.mediaTypes`): a picture is
    /// refused by a node that takes PDFs only, with the types it takes named; a notice's HTML is
    /// never an upload type, and a configuration naming it (or none) is refused at start.
    @Test func aNodeTakesTheTypesItsConfigurationNames() async throws {
        var node = try TestNode()
        node.services.uploadLimits.mediaTypes = [.pdf]
        let number = try await node.database.register(Fixtures.registration(receivedAt: node.clock.now()), actor: "李娜", now: node.clock.now()).state
            .caseNumber
        let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) + Data(repeating: 1, count: 100)
        try await node.withAPI(as: .registrar) { api in
            let refused = try await api.send(.post, "/api/v1/cases/\(number)/attachments?fileName=a.png", body: png, headers: Self.octets)
            #expect(refused.status == 415 && refused["code"] == "unsupported-media-type" && refused["detail"]?.contains("PDF") == true)
            #expect(
                try await api.send(.post, "/api/v1/cases/\(number)/attachments?fileName=a.pdf", body: Self.pdf, headers: Self.octets).status == 201
            )
        }
        #expect(Self.blobFiles(node).count == 1, "only the PDF is kept")
        #expect(throws: ValidationFailure.self) {
            try CaseService.UploadLimits(fileBytes: 1 << 20, caseBytes: 1 << 20, mediaTypes: [.html]).validated()
        }
        #expect(throws: ValidationFailure.self) { try CaseService.UploadLimits(fileBytes: 1 << 20, caseBytes: 1 << 20, mediaTypes: []).validated() }
        let decoded = try JSONDecoder().decode(CaseService.UploadLimits.self, from: Data(#"{"mediaTypes":["application/pdf","image/jpeg"]}"#.utf8))
        #expect(decoded.mediaTypes == [.pdf, .jpeg] && decoded.fileBytes == AttachmentLimits.fileBytesDefault)
    }
}
