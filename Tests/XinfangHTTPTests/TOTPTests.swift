import Foundation
import Testing
import XinfangCore
import XinfangHTTP
import XinfangTesting

/// TOTP as an authenticator app computes it (issue 16): RFC 6238's published vectors, and the
/// secret shown at enrolment checked against an independent implementation (Python's `hmac`).
struct TOTPTests {
    /// RFC 6238 Appendix B, SHA-1, key "12345678901234567890": the 8-digit codes' last 6 digits.
    @Test(
        arguments: [
            (59.0, "287082"), (1_111_111_109, "081804"), (1_111_111_111, "050471"), (1_234_567_890, "005924"),
            (2_000_000_000, "279037"), (20_000_000_000, "353130"),
        ]
    )
    func rfc6238Vectors(_ seconds: Double, _ code: String) {
        #expect(Credentials.totp("12345678901234567890", at: Date(timeIntervalSince1970: seconds)) == code)
        // The same key as an app is given it: base32 of its bytes.
        #expect(Credentials.authenticatorSecret(of: "12345678901234567890") == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
        #expect(Credentials.authenticatorCode("GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ", at: Date(timeIntervalSince1970: seconds)) == code)
    }

    @Test func aSecretThatIsNotBase32IsRefused() {
        #expect(Credentials.authenticatorCode("not-base32!", at: Date()) == nil)
        #expect(Credentials.authenticatorCode("", at: Date()) == nil)
    }

    /// A new account's secret, as shown, typed into an authenticator: Python's standard library
    /// (base32-decode, HMAC-SHA-1, dynamic truncation) must compute the code the node accepts.
    @Test func theSecretShownGivesTheNodesCodesInAnIndependentImplementation() async throws {
        let key = Credentials.newTOTPSecret()
        let shown = Credentials.authenticatorSecret(of: key)
        let at = Date(timeIntervalSince1970: 1_800_000_000)
        let script = """
            import base64, hmac, hashlib, struct, sys
            secret, t = sys.argv[1], int(sys.argv[2])
            key = base64.b32decode(secret + "=" * (-len(secret) % 8))
            mac = hmac.new(key, struct.pack(">Q", t // 30), hashlib.sha1).digest()
            o = mac[-1] & 15
            print("%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7FFFFFFF) % 1000000))
            """
        let run = try await SpawnedProcess.run("/usr/bin/env", ["python3", "-c", script, shown, "\(Int(at.timeIntervalSince1970))"], timeout: 120)
        let python = run.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(run.status == 0, "\(run.errors)")
        #expect(python == Credentials.totp(key, at: at), "the node and an authenticator given \(shown) agree")
        #expect(Credentials.authenticatorCode(shown, at: at) == python)
        #expect(
            Credentials.otpauthURL(secret: key, username: "lina", node: NodeID("430102")).contains("secret=\(shown)"),
            "the QR's URL carries the same secret"
        )
    }
}
