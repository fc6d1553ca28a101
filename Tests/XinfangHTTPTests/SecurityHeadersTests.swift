import Foundation
import HTTPTypes
import Testing
import XinfangCore
import XinfangTesting

/// Every answer carries the hardening headers (issue 15): pages, the login page before a session,
/// the JSON API and its errors alike; no page may be framed or run a script.
struct SecurityHeadersTests {
    @Test func everyAnswerCarriesTheHardeningHeaders() async throws {
        let node = try TestNode()
        try await node.withAPI { api in
            let answers = [
                ("page", try await api.request(.get, "/")),
                ("case list", try await api.request(.get, "/ui/cases")),
                ("login page, no session", try await api.with(token: nil).request(.get, "/ui/login")),
                ("API", try await api.request(.get, "/api/v1/cases")),
                ("not found", try await api.request(.get, "/no/such/route")),
                ("refused", try await api.with(token: nil).request(.get, "/api/v1/cases")),
            ]
            for (what, answer) in answers {
                let csp = answer.headers[.contentSecurityPolicy] ?? ""
                #expect(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"), "\(what): \(csp)")
                #expect(!csp.contains("script-src") && !csp.contains("unsafe-eval"), "\(what): no script is allowed")
                #expect(answer.headers[HTTPField.Name("X-Frame-Options")!] == "DENY", "\(what)")
                #expect(answer.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff", "\(what)")
                #expect(answer.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer", "\(what)")
                #expect(!answer.text.contains("<script"), "\(what)")
            }
        }
    }
}
