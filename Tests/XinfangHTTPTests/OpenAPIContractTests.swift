import Foundation
import Hummingbird
import Testing
import XinfangCore
import XinfangHTTP
import XinfangTesting

/// `schemas/openapi.yaml` documents exactly the routes the router serves, and every problem code
/// the sources can produce.
struct OpenAPIContractTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func spec() throws -> String {
        try String(contentsOf: root.appendingPathComponent("schemas/openapi.yaml"), encoding: .utf8)
    }

    /// "METHOD /path" for each operation under `paths:` (two-space path keys, four-space methods).
    static func documentedOperations(_ spec: String) -> Set<String> {
        var result = Set<String>()
        var path: String?
        var inPaths = false
        for line in spec.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" {
                inPaths = true
                continue
            }
            if inPaths, !line.hasPrefix(" "), !line.isEmpty { inPaths = false }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                path = String(line.dropFirst(2).dropLast())
            } else if let path, line.hasPrefix("    "), !line.hasPrefix("     ") {
                let key = line.trimmingCharacters(in: .whitespaces).dropLast()
                if ["get", "post", "put", "patch", "delete"].contains(String(key)) { result.insert("\(key.uppercased()) \(path)") }
            }
        }
        return result
    }

    @Test func everyRouteIsDocumentedAndEveryDocumentedRouteExists() async throws {
        let node = try TestNode()
        let router = NodeApplication.router(services: node.services)
        let served = Set(router.routes.map { "\($0.method) \($0.path)" })
        let documented = Self.documentedOperations(try Self.spec())
        #expect(served.count >= 6)
        #expect(
            served == documented,
            "served but undocumented: \(served.subtracting(documented)); documented but not served: \(documented.subtracting(served))"
        )
    }

    @Test func everyProblemCodeInTheSourcesIsDocumented() async throws {
        let spec = try Self.spec()
        var codes = Set<String>()
        let sources = Self.root.appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
        let pattern = try NSRegularExpression(pattern: #"code: "([a-z][a-z-]+)""#)
        for file in files where file.pathExtension == "swift" {
            let text = try String(contentsOf: file, encoding: .utf8)
            for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                codes.insert((text as NSString).substring(with: match.range(at: 1)))
            }
        }
        let lifecycle: [LifecycleError] = [
            .illegalTransition(action: .close, status: .registered, allowed: []), .notHolder(holder: Fixtures.city),
            .notAwaitingVerification(status: .closed), .closureAwaitingVerification, .periodEnded(.handling, dueDate: Fixtures.day("2026-01-01")),
            .periodOpen(.handling, dueDate: Fixtures.day("2026-01-01")), .offerToSelf, .notAnAncestor(holder: Fixtures.city),
            .respondentOrgan(Fixtures.city), .alreadyRecorded(.extend), .noOpinionToDeliver,
        ]
        codes.formUnion(lifecycle.map(\.code))
        codes.formUnion(["route-not-found", "method-not-allowed"])
        #expect(codes.count > 25)
        for code in codes.sorted() {
            #expect(spec.contains("        - \(code)\n"), "problem code \(code) is not in ProblemCode of schemas/openapi.yaml")
        }
    }

    @Test func theStatusAndActionEnumsMatchTheCode() async throws {
        let spec = try Self.spec()
        #expect(spec.contains("enum: [\(CaseStatus.allCases.map(\.rawValue).joined(separator: ", "))]"))
        #expect(spec.contains("enum: [\(ActionName.allCases.map(\.rawValue).joined(separator: ", "))]"))
        #expect(spec.contains("enum: [\(DeadlineKind.allCases.map(\.rawValue).joined(separator: ", "))]"))
        #expect(spec.contains("enum: [\(Channel.allCases.map(\.rawValue).joined(separator: ", "))]"))
    }
}
