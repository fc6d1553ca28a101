import Foundation
import HTTPTypes
import Testing
import XinfangCore
import XinfangHTTP
import XinfangStore
import XinfangTesting

/// The client behind a reverse proxy (issue 16): forwarding headers count only from a trusted
/// proxy, and are read from the hop nearest the node.
struct ClientAddressTests {
    static let proxy = "10.0.0.2"

    @Test(
        arguments: [
            ("no proxy: the socket", "198.51.100.7", ["X-Forwarded-For": "1.2.3.4"], "198.51.100.7", false),
            ("a trusted proxy names the client", proxy, ["X-Forwarded-For": "203.0.113.9"], "203.0.113.9", false),
            ("a client's own header is skipped", proxy, ["X-Forwarded-For": "9.9.9.9, 203.0.113.9"], "203.0.113.9", false),
            ("a chain of trusted proxies", proxy, ["X-Forwarded-For": "203.0.113.9, 10.0.0.3"], "203.0.113.9", false),
            ("HTTPS at the proxy", proxy, ["X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"], "203.0.113.9", true),
            ("HTTPS claimed by a stranger", "198.51.100.7", ["X-Forwarded-Proto": "https"], "198.51.100.7", false),
            ("RFC 7239", proxy, ["Forwarded": "for=192.0.2.60;proto=https;by=203.0.113.43"], "192.0.2.60", true),
            ("RFC 7239, IPv6 with a port", proxy, ["Forwarded": #"for="[2001:db8:cafe::17]:4711""#], "2001:db8:cafe::17", false),
            ("RFC 7239, two hops", proxy, ["Forwarded": "for=192.0.2.43, for=198.51.100.17"], "198.51.100.17", false),
            ("a trusted proxy without headers", proxy, [:], proxy, false),
        ] as [(String, String, [String: String], String, Bool)]
    )
    func theClientIsWhoTheTrustedProxySays(_ name: String, _ socket: String, _ fields: [String: String], _ client: String, _ https: Bool) {
        var headers = HTTPFields()
        for (key, value) in fields { headers[HTTPField.Name(key)!] = value }
        let resolved = ClientAddress.resolve(socket: socket, headers: headers, trusted: [Self.proxy, "10.0.0.3"])
        #expect(resolved == ClientAddress.Resolved(address: client, https: https), "\(name)")
    }

    /// Through the node: the audit trail records the address the trusted proxy names, and the
    /// session cookie is `Secure` when the client came over HTTPS.
    @Test func theAuditTrailAndTheCookieFollowTheTrustedProxy() async throws {
        var node = try TestNode()
        node.services.security.bcryptCost = 4
        // In-process requests come from "local": trust it as the proxy.
        node.services.security.trustedProxies = ["local"]
        let user = try await node.database.provisionUser(
            username: "zhouming",
            displayName: "周敏",
            role: .leader,
            by: "test",
            security: node.services.security,
            now: node.clock.now()
        )
        let otp = user.totpSecret.flatMap { Credentials.authenticatorCode($0, at: node.clock.now()) } ?? ""
        try await node.withAPI(as: nil) { api in
            var headers: HTTPFields = [.contentType: "application/json"]
            headers[HTTPField.Name("X-Forwarded-For")!] = "203.0.113.9"
            headers[HTTPField.Name("X-Forwarded-Proto")!] = "https"
            let body = #"{"username":"zhouming","password":"\#(user.password)","otp":"\#(otp)"}"#
            let login = try await api.request(.post, "/api/v1/session", body: body, headers: headers)
            #expect(login.status == 201, "\(login.text)")
            let cookie = login.headers[.setCookie] ?? ""
            #expect(cookie.contains("Secure") && cookie.contains("HttpOnly"), "\(cookie)")
        }
        let rows = try await node.database.auditRows(after: 0, limit: 10, action: "login")
        #expect(rows.map(\.entry.source) == ["203.0.113.9"])
    }
}
