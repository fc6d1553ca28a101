import Foundation
public import XinfangCore
import XinfangSync

/// `notifications` in a node's configuration:
///
/// ```json
/// "notifications": {
///   "sms": {"kind": "http", "url": "https://sms.example.gov.cn/send", "token": "…", "sign": "某某人社"},
///   "email": {"kind": "file", "path": "outbox/email.jsonl"},
///   "staffRecipients": ["xfk@example.gov.cn"],
///   "quietHours": {"from": "21:00", "to": "08:00"},
///   "templates": "notification-templates.json",
///   "digestHour": 8
/// }
/// ```
///
/// A gateway is `http` (a government SMS platform, see `HTTPSMSGateway`) or `file` (JSON lines,
/// for the demo or a forwarding program); paths are relative to the config file.
public struct NotificationConfig: Codable, Sendable, Equatable {
    public struct Gateway: Codable, Sendable, Equatable {
        public var kind: String
        public var url: String?
        public var token: String?
        public var sign: String?
        public var path: String?
        /// `smtp`: the server, the sender address and the credentials (AUTH PLAIN when given).
        public var host: String?
        public var port: Int?
        public var from: String?
        public var username: String?
        public var password: String?
        /// `http`: the token the platform presents with its delivery reports (24 characters or more).
        public var reportToken: String?

        public init(kind: String, url: String? = nil, token: String? = nil, sign: String? = nil, path: String? = nil) {
            self.kind = kind
            self.url = url
            self.token = token
            self.sign = sign
            self.path = path
        }
    }

    public var sms: Gateway?
    public var email: Gateway?
    public var staffRecipients: [String]?
    public var quietHours: QuietHours?
    public var templates: String?
    public var digestHour: Int?
    /// The first retry's delay in seconds (30 when absent, 1 to 3600); each later one doubles.
    public var retrySeconds: Double?

    public init(sms: Gateway? = nil, email: Gateway? = nil, staffRecipients: [String]? = nil, quietHours: QuietHours? = nil) {
        self.sms = sms
        self.email = email
        self.staffRecipients = staffRecipients
        self.quietHours = quietHours
    }

    func gateway(_ g: Gateway?, field: String, base: URL) throws(ValidationFailure) -> (any NotificationGateway)? {
        guard let g else { return nil }
        switch g.kind {
        case "file":
            guard let path = g.path, !path.isEmpty else { throw .missing("notifications.\(field).path") }
            return FileNotificationGateway(file: NodeConfig.resolve(path, against: base))
        case "http":
            guard let raw = g.url, let url = URL(string: raw), ["http", "https"].contains(url.scheme ?? "") else {
                throw .invalid("notifications.\(field).url", "短信平台地址须为 http(s) URL。")
            }
            return HTTPSMSGateway(url: url, token: g.token, sign: g.sign)
        case "smtp":
            guard let host = g.host, !host.isEmpty else { throw .missing("notifications.\(field).host") }
            guard let from = g.from, from.contains("@") else { throw .invalid("notifications.\(field).from", "发件地址须为电子邮件地址。") }
            let port = g.port ?? 25
            guard (1...65_535).contains(port) else { throw .invalid("notifications.\(field).port", "端口须在 1 到 65535 之间。") }
            return SMTPGateway(host: host, port: port, from: from, username: g.username, password: g.password)
        default:
            throw .invalid("notifications.\(field).kind", "通知网关类型须为 http、smtp 或 file。")
        }
    }

    func settings(base: URL) throws -> NotificationSettings {
        var overrides: [String: NotificationTemplate] = [:]
        if let templates {
            let url = NodeConfig.resolve(templates, against: base)
            do { overrides = try JSONDecoder().decode([String: NotificationTemplate].self, from: Data(contentsOf: url)) } catch {
                throw ValidationFailure.invalid("notifications.templates", "通知模板文件 \(url.lastPathComponent) 无法读取：\(error)")
            }
        }
        let recipients = staffRecipients ?? []
        guard recipients.count <= 50, recipients.allSatisfy({ $0.contains("@") && $0.count <= 254 && !$0.contains(",") }) else {
            throw ValidationFailure.invalid("notifications.staffRecipients", "工作人员收件地址须为电子邮件地址，最多 50 个。")
        }
        let hour = digestHour ?? 8
        guard (0..<24).contains(hour) else { throw ValidationFailure.invalid("notifications.digestHour", "每日摘要时间须为 0 到 23 点。") }
        let retry = retrySeconds ?? NotificationRetry.baseSeconds
        guard retry >= 1, retry <= 3_600 else { throw ValidationFailure.invalid("notifications.retrySeconds", "重试间隔须为 1 到 3600 秒。") }
        var settings = NotificationSettings(
            sms: try gateway(sms, field: "sms", base: base),
            email: try gateway(email, field: "email", base: base),
            staffRecipients: recipients,
            quietHours: try (quietHours ?? QuietHours()).validated(),
            templates: try NotificationTemplates(overrides: overrides),
            digestHour: hour
        )
        settings.retryBaseSeconds = retry
        if let token = sms?.reportToken {
            guard token.count >= 24, token.count <= 200 else {
                throw ValidationFailure.invalid("notifications.sms.reportToken", "状态报告令牌须为 24 到 200 个字符。")
            }
            settings.smsReportToken = token
        }
        return settings
    }
}

/// `intake` in a node's configuration: the systems that hand petitions over and want callbacks.
///
/// ```json
/// "intake": {"systems": [{"name": "hotline12345", "callbackURL": "https://12345.example.gov.cn/xinfang/callback", "secret": "…"}]}
/// ```
///
/// `name` is the username of the system's intake account (role 外部系统接口); `secret` (at least
/// 32 characters) signs each callback (`X-Xinfang-Signature`, see `CallbackSignature`).
public struct IntakeConfig: Codable, Sendable, Equatable {
    public struct System: Codable, Sendable, Equatable {
        public var name: String
        public var callbackURL: String?
        public var secret: String?

        public init(name: String, callbackURL: String? = nil, secret: String? = nil) {
            self.name = name
            self.callbackURL = callbackURL
            self.secret = secret
        }
    }

    public var systems: [System]?

    public init(systems: [System]? = nil) { self.systems = systems }

    func targets() throws(ValidationFailure) -> [String: CallbackTarget] {
        var out: [String: CallbackTarget] = [:]
        for (i, system) in (systems ?? []).enumerated() {
            guard let raw = system.callbackURL else { continue }
            guard let url = URL(string: raw), ["http", "https"].contains(url.scheme ?? "") else {
                throw .invalid("intake.systems.\(i).callbackURL", "回调地址须为 http(s) URL。")
            }
            guard let secret = system.secret, (32...200).contains(secret.count) else {
                throw .invalid("intake.systems.\(i).secret", "回调签名密钥须为 32 到 200 个字符。")
            }
            out[system.name] = CallbackTarget(url: url, secret: secret)
        }
        return out
    }
}
