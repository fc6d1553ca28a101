import Foundation
import HTTPTypes
import Testing
import XinfangCore
import XinfangStore
import XinfangTesting

@testable import XinfangHTTP

/// The QR codes of the authenticator set-up page: module for module what an independent encoder
/// (Python's qrcode, installed by deploy/install-test-tools.sh) makes of the same text at the same
/// version and mask, for every mask; and the page enables a secret only with a code from it.
struct QRCodeTests {
    /// What `python` printed for `arguments`; a failed run fails the test.
    static func run(_ python: String, _ arguments: [String]) async throws -> String {
        let run = try await SpawnedProcess.run(python, arguments, timeout: 120)
        guard run.status == 0 else { throw SpawnedProcess.Failure("python exited with \(run.status): \(run.errors)") }
        return run.output
    }

    @Test func everyMaskMatchesAnIndependentEncoderModuleForModule() async throws {
        let texts = [
            "xinfang",
            Credentials.otpauthURL(secret: "ABCDEFGHIJKLMNOPQRST", username: "li.na", node: NodeID("430102")),
            String(repeating: "长沙市芙蓉区", count: 5),
            String(repeating: "x", count: 200),
        ]
        let script = """
            import sys, qrcode
            text, version, mask = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
            q = qrcode.QRCode(version=version, error_correction=qrcode.constants.ERROR_CORRECT_M, mask_pattern=mask, border=0)
            q.add_data(text.encode('utf-8'), optimize=0)
            q.make(fit=False)
            print('\\n'.join(''.join('1' if m else '0' for m in row) for row in q.get_matrix()))
            """
        let python = try await PythonTools.path("python")
        for text in texts {
            let chosen = try QRCode(text)
            #expect(chosen.size == 17 + 4 * chosen.version)
            for mask in 0..<8 {
                let mine = try QRCode(text, mask: mask, version: chosen.version)
                let rows = mine.modules.map { $0.map { $0 ? "1" : "0" }.joined() }
                let theirs = try await Self.run(python, ["-c", script, text, String(chosen.version), String(mask)])
                    .split(separator: "\n").map(String.init)
                #expect(rows == theirs, "\(text.prefix(20))… version \(chosen.version) mask \(mask)")
            }
        }
        #expect(throws: QRCode.Failure.self) { try QRCode(String(repeating: "x", count: 214)) }
    }

    @Test func theSetUpPageEnablesANewSecretOnlyWithACodeFromIt() async throws {
        let node = try TestNode()
        try await node.withAPI(as: .registrar) { api in
            let page = try await api.request(.get, "/ui/totp")
            #expect(page.status == 200)
            #expect(page.text.contains("<svg role=\"img\" aria-label=\"二维码\""), "a QR code drawn here")
            // The secret as shown (base32, in groups of four) and the sealed pending secret.
            let shown = try #require(page.text.components(separatedBy: "<code class=\"secret\">").dropFirst().first?.prefix { $0 != "<" })
            let pending = try #require(page.text.components(separatedBy: "name=\"pending\" value=\"").dropFirst().first?.prefix { $0 != "\"" })
            let secret = shown.replacingOccurrences(of: " ", with: "")
            let user = try #require(try await node.database.accounts.user(named: "test-registrar"))
            let before = user.totpSecret
            var headers = HTTPFields()
            headers[.contentType] = "application/x-www-form-urlencoded"
            func post(_ code: String, _ token: String = String(pending)) async throws -> (Int, String) {
                let body = "code=\(code)&pending=\(token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
                let answer = try await api.request(.post, "/ui/totp", body: body, headers: headers)
                return (answer.status, answer.text)
            }
            // A wrong code changes nothing and shows the same secret again.
            let wrong = try await post("000000" == Credentials.authenticatorCode(secret, at: node.clock.now()) ? "111111" : "000000")
            #expect(wrong.0 == 422 && wrong.1.contains(String(shown)))
            #expect(try await node.database.accounts.user(named: "test-registrar")?.totpSecret == before)
            // A tampered or foreign pending secret is refused.
            #expect(try await post(Credentials.authenticatorCode(secret, at: node.clock.now())!, "AAAA" + pending.dropFirst(4)).0 == 400)
            // The app's code enables it: the stored key is the one behind the shown base32 secret.
            let code = try #require(Credentials.authenticatorCode(secret, at: node.clock.now()))
            let done = try await post(code)
            #expect(done.0 == 200 && done.1.contains("动态口令已启用"))
            let after = try #require(try await node.database.accounts.user(named: "test-registrar"))
            #expect(after.totpSecret != before)
            #expect(try node.database.totpSecret(of: after) == Credentials.key(fromAuthenticatorSecret: secret))
            // Ten minutes on, the page's secret can no longer be confirmed.
            node.clock.advance(seconds: 601)
            #expect(try await post(Credentials.authenticatorCode(secret, at: node.clock.now())!).0 == 400)
        }
        // A role that signs in without a second factor has no set-up page.
        try await node.withAPI(as: .supervisor) { api in
            let page = try await api.request(.get, "/ui/totp")
            #expect(page.status == 403)
            let list = try await api.request(.get, "/ui/cases")
            #expect(!list.text.contains("/ui/totp"))
        }
    }
}
