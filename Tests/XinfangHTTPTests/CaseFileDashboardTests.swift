import Foundation
import HTTPTypes
import Testing
import XinfangCore
import XinfangStore
import XinfangTesting

/// The case file on the dashboard (issue 17): a file uploaded from the case page's form
/// (multipart, parsed as it streams) joins the case file, a refused one is reported and nothing
/// kept; the page shows the gallery (thumbnails for pictures), the notices and a button for each
/// notice the case has reached, which issues it.
struct CaseFileDashboardTests {
    static func multipart(boundary: String, stage: String, fileName: String, bytes: Data) -> Data {
        var body = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"stage\"\r\n\r\n\(stage)\r\n".utf8)
        body += Data(
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(fileName)\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                .utf8
        )
        body += bytes
        body += Data("\r\n--\(boundary)--\r\n".utf8)
        return body
    }

    @Test func aFileUploadedFromThePageJoinsTheCaseFileAndANoticeIsIssuedFromAButton() async throws {
        let node = try TestNode()
        let number = try await node.database.register(Fixtures.registration(receivedAt: node.clock.now()), actor: "李娜", now: node.clock.now()).state
            .caseNumber
        let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) + Data((0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        try await node.withAPI { api in
            let boundary = "----xinfang\(UUID().uuidString)"
            var headers = HTTPFields()
            headers[.contentType] = "multipart/form-data; boundary=\(boundary)"
            let sent = try await api.send(
                .post,
                "/ui/cases/\(number)/files",
                body: Self.multipart(boundary: boundary, stage: "registration", fileName: "身份证复印件.png", bytes: png),
                headers: headers
            )
            #expect(sent.status == 303 && sent.headers[.location]?.contains("msg=") == true, "\(sent.headers[.location] ?? "")")
            let file = try #require(try await node.database.caseState(number)?.activeAttachments.first?.file)
            #expect(file.fileName == "身份证复印件.png" && file.mediaType == .png && file.stage == .registration && file.size == png.count)
            // A file that is not what its name says: reported on the page, nothing kept.
            let lying = try await api.send(
                .post,
                "/ui/cases/\(number)/files",
                body: Self.multipart(boundary: boundary, stage: "other", fileName: "扫描件.pdf", bytes: png),
                headers: headers
            )
            #expect(lying.headers[.location]?.contains("error=") == true)
            #expect(try await node.database.caseState(number)?.attachments?.count == 1)
            var form = HTTPFields()
            form[.contentType] = "application/x-www-form-urlencoded"
            #expect(try await api.request(.post, "/ui/cases/\(number)/actions", body: "action=notify&actor=x", headers: form).status == 303)

            let page = try await api.request(.get, "/ui/cases/\(number)").text
            #expect(page.contains("<img src=\"/api/v1/cases/\(number)/attachments/\(file.sha256)\""), "a thumbnail of the picture")
            #expect(page.contains("enctype=\"multipart/form-data\""))
            #expect(page.contains("name=\"kind\" value=\"acceptance\"><button>出具信访事项受理告知书"), "the notice the case has reached")
            #expect(!page.contains("value=\"handlingOpinion\""), "not one it has not")
            let issued = try await api.request(.post, "/ui/cases/\(number)/notices", body: "kind=acceptance", headers: form)
            #expect(issued.status == 303 && issued.headers[.location]?.contains("msg=") == true)
            let after = try await api.request(.get, "/ui/cases/\(number)").text
            #expect(after.contains("芙蓉区人社局信〔") && after.contains("待送达"), "the notice listed, awaiting 送达")
            #expect(!after.contains("name=\"kind\" value=\"acceptance\""), "issued once: no button left")
        }
    }
}
