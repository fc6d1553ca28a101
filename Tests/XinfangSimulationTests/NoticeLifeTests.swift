import Crypto
import Foundation
import Testing
import XinfangCore
import XinfangHTTP
import XinfangSimulation
import XinfangStore

/// Every kind of notice over a case's whole life on the simulated hierarchy (issue 17): each
/// issued by the organ the law has issue it, numbered in that organ's sequence, frozen (the hash
/// the event names is that of the bytes), and saying what its kind must say.
struct NoticeLifeTests {
    @Test func everyKindIsIssuedByItsOrganNumberedAndFrozen() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("xinfang-notice-life-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let templates = try NoticeTemplates()
        let samples = try await NoticeSamples.run(directory: directory) { try templates.render($0) }
        #expect(Set(samples.map(\.kind)) == Set(NoticeKind.allCases), "every kind")
        for sample in samples {
            let hash = SHA256.hash(data: sample.bytes).map { String(format: "%02x", $0) }.joined()
            #expect(hash == sample.record.sha256 && sample.bytes.count == sample.record.size, "\(sample.kind) is frozen")
            let html = String(decoding: sample.bytes, as: UTF8.self)
            #expect(html.contains(sample.kind.title) && html.contains(sample.record.docNumber))
        }
        // Each organ numbers its own notices 1, 2, 3 … in the order it issued them.
        for organ in Set(samples.map(\.organ)) {
            let numbers = samples.filter { $0.organ == organ }.map { $0.record.docNumber.split(separator: "〕").last.map(String.init) ?? "" }
            #expect(numbers == (1...numbers.count).map { "\($0)号" }, "\(organ): \(numbers)")
        }
        func text(_ kind: NoticeKind) -> String { String(decoding: samples.first { $0.kind == kind }!.bytes, as: UTF8.self) }
        // The remedies name the level above (复查 at the city, 复核 at the province) and the law.
        #expect(text(.handlingOpinion).contains("向长沙市人力资源和社会保障局书面请求复查"))
        #expect(text(.reviewOpinion).contains("向湖南省人力资源和社会保障厅书面请求复核"))
        #expect(text(.reReviewOpinion).contains("不再受理"))
        #expect(text(.assignForm).contains("前将办理结果报送本机关"), "a 交办 sets the report's date")
        #expect(!text(.transferForm).contains("报送本机关"))
        #expect(text(.extensionNotice).contains("延长30日"))
        #expect(samples.first { $0.kind == .reviewOpinion }?.organ == ExampleHierarchy.changsha)
        #expect(samples.first { $0.kind == .assignForm }?.organ == ExampleHierarchy.province)
    }
}
