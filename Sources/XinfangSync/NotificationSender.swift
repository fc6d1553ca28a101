public import Foundation
public import Logging
public import ServiceLifecycle
public import XinfangCore
public import XinfangStore

/// One message as a gateway takes it. `id` is the node's message id (node and outbox row), the
/// same on every attempt: the gateway deduplicates by it, so a message handed again after a crash
/// goes once.
public struct OutgoingMessage: Sendable, Codable, Equatable {
    public var id: String
    public var kind: NotificationKind
    public var to: String
    public var subject: String?
    public var text: String
    public var templateId: String?
    public var params: [String: String]
}

/// Where messages go: an HTTP SMS platform, an SMTP server, or a file (the demo's).
public protocol NotificationGateway: Sendable {
    /// Hands the message over; returns what the gateway answered (its message id, a report).
    func send(_ message: OutgoingMessage) async throws -> String?
}

public struct NotificationGatewayError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Appends each message as a JSON line to a file (the demo, and a node whose messages another
/// program forwards). A message already in the file is not written again.
public struct FileNotificationGateway: NotificationGateway {
    public let file: URL

    public init(file: URL) { self.file = file }

    public func send(_ message: OutgoingMessage) async throws -> String? {
        let existing = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        if existing.contains("\"id\":\"\(message.id)\"") { return "file:duplicate" }
        var line = try CanonicalJSON.encoder.encode(message)
        line.append(0x0A)
        if !FileManager.default.fileExists(atPath: file.path) {
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: file.path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        let handle = try FileHandle(forWritingTo: file)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: line)
        try handle.synchronize()
        return "file:written"
    }
}

/// A government SMS platform over HTTP: `POST url` with a JSON body `{msgId, phone, templateId,
/// params, content, sign}` and `Authorization: Bearer <token>`; a 2xx answer is the platform's
/// acceptance (its body, up to 500 characters, is recorded as the delivery report); anything else
/// is a failure to retry.
public struct HTTPSMSGateway: NotificationGateway {
    public let url: URL
    public let token: String?
    public let sign: String?
    let exchange: HTTPExchange

    public init(url: URL, token: String?, sign: String?, timeoutSeconds: Double = 10) {
        self.url = url
        self.token = token
        self.sign = sign
        self.exchange = HTTPExchange(timeoutSeconds: timeoutSeconds)
    }

    struct Body: Encodable {
        var msgId: String
        var phone: String
        var templateId: String?
        var params: [String: String]
        var content: String
        var sign: String?
    }

    public func send(_ message: OutgoingMessage) async throws -> String? {
        let body = try CanonicalJSON.encoder.encode(
            Body(msgId: message.id, phone: message.to, templateId: message.templateId, params: message.params, content: message.text, sign: sign)
        )
        var headers: [String: String?] = ["Content-Type": "application/json", "Idempotency-Key": message.id]
        if let token { headers["Authorization"] = "Bearer \(token)" }
        let reply = await exchange.send("POST", url, body: body, headers: headers)
        if let failure = reply.failure { throw NotificationGatewayError("SMS platform unreachable: \(failure)") }
        guard (200..<300).contains(reply.status) else {
            throw NotificationGatewayError("SMS platform answered \(reply.status): \(String(decoding: reply.body.prefix(200), as: UTF8.self))")
        }
        return String(decoding: reply.body.prefix(500), as: UTF8.self)
    }
}

/// A sending system's callback (webhook): `POST url` with the milestone as JSON, signed
/// (`X-Xinfang-Signature`, see `CallbackSignature`), `X-Xinfang-Delivery` the message id (the same
/// on every attempt: the receiver deduplicates by it); a 2xx answer is the receipt.
public struct CallbackTarget: Sendable {
    public var url: URL
    public var secret: String
    public init(url: URL, secret: String) {
        self.url = url
        self.secret = secret
    }
}

public struct WebhookGateway: NotificationGateway {
    public let targets: [String: CallbackTarget]
    let exchange = HTTPExchange(timeoutSeconds: 10)
    let now: @Sendable () -> Date

    public init(targets: [String: CallbackTarget], now: @escaping @Sendable () -> Date = { Date() }) {
        self.targets = targets
        self.now = now
    }

    public func send(_ message: OutgoingMessage) async throws -> String? {
        guard let target = targets[message.to] else { throw NotificationGatewayError("no callback URL for system \(message.to)") }
        var payload = message.params
        payload["deliveryId"] = message.id
        let body = try CanonicalJSON.encoder.encode(payload)
        let timestamp = Int64((now().timeIntervalSince1970 * 1000).rounded())
        let reply = await exchange.send(
            "POST",
            target.url,
            body: body,
            headers: [
                "Content-Type": "application/json", "X-Xinfang-Delivery": message.id, "X-Xinfang-Timestamp": "\(timestamp)",
                "X-Xinfang-Signature": CallbackSignature.sign(body: body, timestamp: timestamp, secret: target.secret),
            ]
        )
        if let failure = reply.failure { throw NotificationGatewayError("callback unreachable: \(failure)") }
        guard (200..<300).contains(reply.status) else { throw NotificationGatewayError("callback answered \(reply.status)") }
        return "callback:\(reply.status)"
    }
}

/// The gateways and rules of a node's notifications.
public struct NotificationSettings: Sendable {
    /// The audiences this node has a gateway for (what its store queues).
    public var audiences: Set<NotificationAudience> {
        Set([sms.map { _ in .petitioner }, email.map { _ in .staff }, callbacks.map { _ in .system }].compactMap { $0 })
    }
    /// The systems whose callbacks go out.
    public var callbackSystems: Set<String> { Set((callbacks as? WebhookGateway)?.targets.keys.map { $0 } ?? []) }

    /// Petitioners' messages (SMS).
    public var sms: (any NotificationGateway)?
    /// Staff messages (e-mail).
    public var email: (any NotificationGateway)?
    /// Callbacks to the systems that hand petitions over (by system name).
    public var callbacks: (any NotificationGateway)?
    public var staffRecipients: [String]
    public var quietHours: QuietHours
    public var templates: NotificationTemplates
    /// The hour (node's civil time) the daily digest is queued.
    public var digestHour: Int
    /// The first retry's delay; each later one doubles, to an hour.
    public var retryBaseSeconds: Double = NotificationRetry.baseSeconds
    /// The organ's name the messages sign with (`{organ}`); the store's own naming when nil.
    public var organ: String?
    /// The token the SMS platform presents when it reports on a message (`POST /notify/v1/reports`).
    public var smsReportToken: String?

    public init(
        sms: (any NotificationGateway)?,
        email: (any NotificationGateway)?,
        staffRecipients: [String],
        quietHours: QuietHours = QuietHours(),
        templates: NotificationTemplates,
        digestHour: Int = 8
    ) {
        self.sms = sms
        self.email = email
        self.staffRecipients = staffRecipients
        self.quietHours = quietHours
        self.templates = templates
        self.digestHour = digestHour
    }
}

/// Sends the notification outbox: wakes on every commit that may have queued a message, and at
/// the earliest retry; hands each due message to its gateway once it knows the recipient and the
/// text, records the answer, backs off on failure (`NotificationRetry`), holds petitioners'
/// messages through quiet hours, and queues the daily digest. Logs carry the kind, the case and
/// the outcome, never a recipient or a text.
public struct NotificationSender: Service {
    let database: NodeDatabase
    let clock: any NodeClock
    let settings: NotificationSettings
    let logger: Logger
    /// Yellow and red obligations held here now (the digest's figures).
    let obligations: @Sendable (Date) async throws -> (yellow: Int, red: Int)

    public init(
        database: NodeDatabase,
        clock: any NodeClock,
        settings: NotificationSettings,
        logger: Logger,
        obligations: @escaping @Sendable (Date) async throws -> (yellow: Int, red: Int)
    ) {
        self.database = database
        self.clock = clock
        self.settings = settings
        self.logger = logger
        self.obligations = obligations
    }

    public func run() async throws {
        let wakeup = Wakeup()
        database.outboxSignal.subscribe { wakeup.signal() }
        let resumed = try await database.resumeSendingNotifications()
        if resumed > 0 { logger.notice("notifications handed to a gateway before a restart go again", metadata: ["count": "\(resumed)"]) }
        await withGracefulShutdownHandler {
            // The day whose digest was dealt with: a wake (every commit signals one) costs no
            // backlog query and no write for it again that day.
            var digestDay: CivilDate?
            while !wakeup.isStopped && !Task.isCancelled {
                do {
                    let today = database.calendar.civilDate(of: clock.now())
                    if digestDay != today, try await queueDigestIfDue() { digestDay = today }
                    try await sendDue()
                } catch {
                    logger.error("notification outbox failed", metadata: ["error": "\(error)"])
                }
                let next = (try? await database.nextNotificationDue()).map { $0.timeIntervalSince(clock.now()) } ?? 60
                await wakeup.wait(upTo: min(max(next, 0.05), 60))
            }
        } onGracefulShutdown: {
            wakeup.stop()
        }
    }

    /// Sends every due message now; returns how many were sent.
    @discardableResult
    public func sendDue() async throws -> Int {
        var sent = 0
        while true {
            // A read first: most wakes (every commit signals one) find nothing due, and must not
            // cost the writers a transaction.
            guard let due = try await database.nextNotificationDue(), due <= clock.now() else { return sent }
            let batch = try await database.claimDueNotifications(now: clock.now(), limit: 20)
            if batch.isEmpty { return sent }
            for row in batch where try await send(row) { sent += 1 }
        }
    }

    /// One claimed message: sent, deferred, or failed. True when sent.
    func send(_ row: NotificationRow) async throws -> Bool {
        let now = clock.now()
        let metadata: Logger.Metadata = [
            "notification.id": "\(row.id)", "kind": "\(row.kind.rawValue)", "case": "\(row.caseNumber?.rawValue ?? "-")",
        ]
        let message: OutgoingMessage
        let gateway: (any NotificationGateway)?
        switch row.kind.audience {
        case .petitioner:
            let allowed = settings.quietHours.nextAllowed(after: now, utcOffsetSeconds: database.calendar.utcOffsetSeconds)
            if allowed > now {
                try await database.deferNotification(row.id, until: allowed)
                return false
            }
            gateway = settings.sms
            switch try await petitionerMessage(row) {
            case .success(let m): message = m
            case .failure(let why):
                try await database.recordNotificationFailed(row.id, error: why.description, final: true, now: now)
                logger.warning("notification cannot be sent", metadata: metadata.merging(["reason": "\(why.description)"]) { a, _ in a })
                return false
            }
        case .staff:
            gateway = settings.email
            message = staffMessage(row)
        case .system:
            gateway = settings.callbacks
            message = OutgoingMessage(
                id: messageID(row),
                kind: row.kind,
                to: row.params["system"] ?? "",
                subject: nil,
                text: row.params["milestone"] ?? "",
                templateId: nil,
                params: row.params
            )
        }
        guard let gateway, !message.to.isEmpty else {
            try await database.recordNotificationFailed(
                row.id,
                error: "no gateway or recipient for \(row.kind.audience.rawValue) messages",
                final: true,
                now: now
            )
            return false
        }
        do {
            let report = try await gateway.send(message)
            try await database.recordNotificationSent(row.id, body: message.text, report: report, now: clock.now())
            logger.info("notification sent", metadata: metadata)
            return true
        } catch {
            let state = try await database.recordNotificationFailed(
                row.id,
                error: "\(error)",
                retryBase: settings.retryBaseSeconds,
                now: clock.now()
            )
            logger.warning("notification not sent", metadata: metadata.merging(["state": "\(state.rawValue)", "error": "\(error)"]) { a, _ in a })
            return false
        }
    }

    func messageID(_ row: NotificationRow) -> String { "\(database.node.rawValue)-\(row.id)" }

    /// The petitioner's message: the lead petitioner's mobile and, for a 查询码, the code itself,
    /// opened from the chain at the moment of sending.
    func petitionerMessage(_ row: NotificationRow) async throws -> Result<OutgoingMessage, NotificationGatewayError> {
        guard let number = row.caseNumber, let state = try await database.caseState(number) else {
            return .failure(NotificationGatewayError("the case is not stored here"))
        }
        let revealed = try state.registration.revealed(by: database.personalData)
        let lead = revealed.leadPetitioner?.mobile != nil ? revealed.leadPetitioner : revealed.petitioners.first { $0.mobile != nil }
        guard let mobile = lead?.mobile else { return .failure(NotificationGatewayError("no mobile number was given")) }
        var params = row.params
        if let organ = settings.organ { params["organ"] = organ }
        if row.kind == .lookupCode {
            guard let seal = state.lookup, row.key == "lookupCode:\(seal.digest)" else {
                return .failure(NotificationGatewayError("the code was replaced by a newer one"))
            }
            params["code"] = try database.personalData.openLookupCode(seal).description
        }
        let template = settings.templates.template(row.kind)
        return .success(
            OutgoingMessage(
                id: messageID(row),
                kind: row.kind,
                to: mobile,
                subject: nil,
                text: NotificationTemplate.fill(template.text, params),
                templateId: template.smsTemplateId,
                params: params
            )
        )
    }

    func staffMessage(_ row: NotificationRow) -> OutgoingMessage {
        let template = settings.templates.template(row.kind)
        var params = row.params
        if let organ = settings.organ { params["organ"] = organ }
        return OutgoingMessage(
            id: messageID(row),
            kind: row.kind,
            to: settings.staffRecipients.joined(separator: ","),
            subject: template.subject.map { NotificationTemplate.fill($0, params) },
            text: NotificationTemplate.fill(template.text, params),
            templateId: nil,
            params: params
        )
    }

    /// Queues today's digest once the digest hour has come (its key makes it once a day); true
    /// when today's digest is dealt with (queued now or before, or nothing to report, or no one
    /// to send it to), false while its hour has not come.
    @discardableResult
    public func queueDigestIfDue() async throws -> Bool {
        guard settings.email != nil, !settings.staffRecipients.isEmpty else { return true }
        let now = clock.now()
        let offset = database.calendar.utcOffsetSeconds
        let hour = Int(((now.timeIntervalSince1970 + Double(offset)) / 3600).rounded(.down)) % 24
        guard hour >= settings.digestHour else { return false }
        let (yellow, red) = try await obligations(now)
        let organ = settings.organ ?? database.hierarchy?.topology.node(database.node)?.name ?? database.node.rawValue
        if let draft = NotificationRules.digest(on: database.calendar.civilDate(of: now), organ: organ, yellow: yellow, red: red) {
            try await database.queueNotification(draft, now: now)
        }
        return true
    }
}

extension CallbackTarget: Redacted {
    public var redactedDescription: String { "CallbackTarget(url: \(url), secret redacted)" }
}

extension HTTPSMSGateway: Redacted {
    public var redactedDescription: String { "HTTPSMSGateway(url: \(url), token \(token == nil ? "none" : "redacted"))" }
}

extension NotificationSettings: Redacted {
    public var redactedDescription: String {
        "NotificationSettings(audiences: \(audiences.map(\.rawValue).sorted()), callbackSystems: \(callbackSystems.sorted()), secrets redacted)"
    }
}

extension NotificationSender: CustomStringConvertible {
    public var description: String { "NotificationSender(node: \(database.node))" }
}
