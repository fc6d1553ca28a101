import Crypto
public import Foundation

/// Where a petition handed over by another system came from (issue 18): the system (a 12345
/// hotline, an online petition portal: the name of its intake account) and the sender's own id of
/// the petition, which is the idempotency key of the hand-over; `submittedAt` is when the sender
/// took it. The receiving node's 签收 (sign-for) time is the registration's `receivedAt`, from
/// which the clocks run.
public struct IntakeSource: Codable, Equatable, Sendable {
    public var system: String
    public var externalId: String
    public var submittedAt: Date?

    public init(system: String, externalId: String, submittedAt: Date?) {
        self.system = system
        self.externalId = externalId
        self.submittedAt = submittedAt
    }

    /// A sender's id: 1 to 64 letters, digits, `-`, `_`, `.` or `:`.
    public static func isValidExternalID(_ id: String) -> Bool {
        (1...64).contains(id.count) && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.:".contains($0)) }
    }

    public func checked() throws(ValidationFailure) -> IntakeSource {
        guard (1...32).contains(system.count), system.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
            throw .invalid("source.system", "来件系统名须为 1 到 32 位字母、数字、-、_ 或 .。")
        }
        guard Self.isValidExternalID(externalId) else {
            throw .invalid("externalId", "来件编号须为 1 到 64 位字母、数字或 -_.: 符号。")
        }
        return self
    }
}

/// Why a receiving office hands a petition back to the system that sent it (退单).
public enum SenderReturnReason: String, Codable, Sendable, CaseIterable {
    /// 不属于本机关职责范围.
    case notOurs
    /// 材料不全、无法登记办理.
    case incomplete

    public var label: String {
        switch self {
        case .notOurs: "不属于本机关职责范围"
        case .incomplete: "诉求不明确或材料不全"
        }
    }
}

/// The signature of a callback to a sending system: `sha256=` and the lower-case hex HMAC-SHA256,
/// under the secret the system and the node share, of the timestamp (milliseconds, as sent in
/// `X-Xinfang-Timestamp`), a full stop, and the body's bytes. A receiver recomputes it and
/// refuses a stale timestamp, so a recorded callback cannot be replayed later.
public enum CallbackSignature {
    public static func sign(body: Data, timestamp: Int64, secret: String) -> String {
        var message = Data("\(timestamp).".utf8)
        message.append(body)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + Data(mac).hexString
    }

    public static func verify(_ signature: String, body: Data, timestamp: Int64, secret: String) -> Bool {
        let expected = Array(sign(body: body, timestamp: timestamp, secret: secret).utf8)
        let given = Array(signature.utf8)
        guard expected.count == given.count else { return false }
        return zip(expected, given).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
