import Foundation
import Logging
import Testing
import XinfangCore
import XinfangHTTP
import XinfangSimulation
import XinfangStore
import XinfangSync
import XinfangTesting

/// A node's secrets never appear where a value holding them is printed: ServiceLifecycle logs each
/// service by its description at debug level, and a struct's default description prints every
/// stored property, down to the store's data keyring and the gateways' credentials.
struct RedactionTests {
    static let smsToken = "sms-token-7f3a9c1e5b2d8f4a6c0e"
    static let smtpPassword = "smtp-password-2b8e4f6a1c3d"
    static let callbackSecret = "callback-secret-9d1f3b5a7c2e4f6a8b0d1c3e5f7a9b1d"
    static let reportToken = "report-token-4c6e8a0b2d4f6a8c"

    /// Every form a value is shown in: its description, its debug description, and `dump`.
    static func shown(_ value: Any) -> String {
        var dumped = ""
        dump(value, to: &dumped)
        return [String(describing: value), String(reflecting: value), dumped].joined(separator: "\n")
    }

    /// The secrets the values below hold: the data keys, the match key, the node's private key,
    /// and every gateway's credential.
    static func secrets(_ keyring: DataKeyring, _ key: NodeKey) -> [String] {
        Array(keyring.keys.values) + [keyring.matchKey, key.privateKeyBase64, smsToken, smtpPassword, callbackSecret, reportToken]
    }

    static func services() throws -> (services: NodeServices, key: NodeKey) {
        let (topology, keys) = ExampleHierarchy.topology(baseURL: { "http://127.0.0.1/\($0)" })
        let key = keys[Fixtures.county]!
        let database = try NodeDatabase.inMemory(node: Fixtures.county, hierarchy: Hierarchy(topology: topology, key: key))
        var services = NodeServices(identity: NodeIdentity(id: Fixtures.county, name: "芙蓉区人社局", level: .county), database: database)
        var settings = NotificationSettings(
            sms: HTTPSMSGateway(url: URL(string: "http://127.0.0.1:9/sms")!, token: smsToken, sign: "芙蓉区人社局"),
            email: SMTPGateway(host: "127.0.0.1", port: 25, from: "xinfang@example.gov.cn", username: "xinfang", password: smtpPassword),
            staffRecipients: ["xfk@example.gov.cn"],
            templates: try NotificationTemplates()
        )
        settings.callbacks = WebhookGateway(targets: [
            "hotline12345": CallbackTarget(url: URL(string: "http://127.0.0.1:9/cb")!, secret: callbackSecret)
        ])
        settings.smsReportToken = reportToken
        services.notifications = settings
        return (services, key)
    }

    @Test func theServicesANodeRunsShowNoSecret() throws {
        let (services, key) = try Self.services()
        let work = NodeApplication.backgroundWork(services, transport: HTTPPacketTransport(), logger: Logger(label: "test"))
        #expect(work.count == 4, "the notification sender, the dispatcher, the fetcher and the reconciliation job")
        let secrets = Self.secrets(services.database.personalData.keyring, key)
        for service in work {
            let text = Self.shown(service)
            for secret in secrets { #expect(!text.contains(secret), "\(type(of: service)) shows a secret: \(text.prefix(300))") }
            #expect(text.contains("430102"), "the service is named with its node: \(text.prefix(200))")
        }
    }

    @Test func valuesHoldingASecretShowWhatIdentifiesThemAndNotTheSecret() throws {
        let (services, key) = try Self.services()
        let keyring = services.database.personalData.keyring
        let settings = try #require(services.notifications)
        let secrets = Self.secrets(keyring, key)
        let values: [(Any, String)] = [
            (keyring, keyring.active),
            (key, key.publicKeyBase64),
            (services.database, "430102"),
            (services.database.personalData, keyring.active),
            (settings, "petitioner"),
            (settings.sms!, "127.0.0.1:9/sms"),
            (settings.email!, "xinfang@example.gov.cn"),
            (CallbackTarget(url: URL(string: "http://127.0.0.1:9/cb")!, secret: Self.callbackSecret), "127.0.0.1:9/cb"),
            // Nested in a value with the default description: still hidden.
            ((keyring, [key]), keyring.active),
        ]
        for (value, identifying) in values {
            let text = Self.shown(value)
            for secret in secrets { #expect(!text.contains(secret), "\(type(of: value)) shows a secret: \(text.prefix(300))") }
            #expect(text.contains(identifying), "\(type(of: value)) shows \(identifying): \(text.prefix(300))")
        }
    }
}
