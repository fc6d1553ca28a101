public import Foundation
public import XinfangCore
public import XinfangService
public import XinfangSync

/// A node's configuration file (`xinfang serve --config FILE`), JSON.
///
/// Relative paths are resolved against the directory of the configuration file, so a deployment
/// folder can be moved as a whole.
public struct NodeConfig: Codable, Equatable, Sendable {
    public var nodeId: String
    public var name: String
    public var level: String
    /// The division the node answers for; defaults to `nodeId`.
    public var area: String?
    public var dataDirectory: String
    /// `host:port`, e.g. `127.0.0.1:8430`; port 0 picks a free port.
    public var listen: String
    /// How deadlines are counted, inline (the flat `DeadlineCalendar` form); the shipped national
    /// calendar (`DeadlineCalendar.standard`) when neither this nor `calendarFile` is given.
    public var calendar: DeadlineCalendar?
    /// A holiday calendar file (`deploy/calendar/china.json`'s format, or the flat form), e.g. a
    /// province's own; overrides `calendar`. A malformed file stops the node from starting.
    public var calendarFile: String?
    /// The ownership policy; the built-in standard policy when absent.
    public var ownershipPolicyFile: String?
    /// The hierarchy's topology (JSON); a standalone node when absent.
    public var topologyFile: String?
    /// This node's key pair (`xinfang keys generate`); required with a topology.
    public var keyFile: String?
    /// The reconciliation job's thresholds and interval in seconds (defaults when absent).
    public var reconciliation: ReconciliationLimits?
    /// The hierarchy's data keyring (`xinfang keys data-generate`): seals petitioners' personal
    /// data; the same file at every node. Required.
    public var dataKeyFile: String?
    /// Password, session, lockout, rate-limit and audit-retention settings (defaults when absent).
    public var security: SecuritySettings?
    /// Limits per client connection: connections per address, idle and request time-outs in
    /// seconds (`ConnectionLimits`; defaults when absent).
    public var connections: ConnectionLimits?
    /// The bearer token Prometheus sends to `GET /metrics` (at least 24 characters); without one
    /// `/metrics` answers no one.
    public var metricsToken: String?
    /// How many working days before a deadline a case turns yellow (临期) on the supervision
    /// board, its lists and metrics (`DueLightRule`; 3 when absent, 0 to 30).
    public var yellowWorkingDays: Int?
    /// The case file's limits: bytes per file and per case (`CaseService.UploadLimits`;
    /// 50 MB and 500 MB when absent).
    public var caseFile: CaseService.UploadLimits?
    /// How blobs are fetched from the neighbours: fetches at once and a bandwidth cap per
    /// neighbour (`BlobTransferSettings`; 2 and no cap when absent).
    public var blobTransfer: BlobTransferSettings?
    /// A folder of notice templates overriding the built-in ones (`notice.mustache`,
    /// `<kind>.mustache`; relative to the config file).
    public var noticeTemplates: String?
    /// The prefix of this organ's 文号, e.g. 芙人社信 (its name and 信 when absent).
    public var noticePrefix: String?
    /// The public lookup's abuse limits (`LookupLimits`: 5 wrong second factors a code and 20
    /// failures an address within an hour lock it for an hour; 30 requests a minute an address).
    public var lookup: LookupLimits?
    /// Messages to petitioners (SMS) and staff (e-mail): the gateways, quiet hours, templates
    /// (`NotificationConfig`); no messages are queued when absent.
    public var notifications: NotificationConfig?
    /// The systems that hand petitions over through the intake API and their callbacks
    /// (`IntakeConfig`).
    public var intake: IntakeConfig?
    /// Where the store is (`StoreConfig`): the SQLite file in `dataDirectory` when absent.
    public var store: StoreConfig?
    /// How long a stopping node waits for its services before cancelling them, and then before
    /// exiting regardless (`ShutdownLimits`; 15 s and 5 s when absent).
    public var shutdown: ShutdownLimits?

    public init(
        nodeId: String,
        name: String,
        level: String,
        area: String? = nil,
        dataDirectory: String,
        listen: String,
        calendar: DeadlineCalendar? = nil,
        calendarFile: String? = nil,
        ownershipPolicyFile: String? = nil,
        topologyFile: String? = nil,
        keyFile: String? = nil,
        dataKeyFile: String? = nil
    ) {
        self.dataKeyFile = dataKeyFile
        self.nodeId = nodeId
        self.name = name
        self.level = level
        self.area = area
        self.dataDirectory = dataDirectory
        self.listen = listen
        self.calendar = calendar
        self.calendarFile = calendarFile
        self.ownershipPolicyFile = ownershipPolicyFile
        self.topologyFile = topologyFile
        self.keyFile = keyFile
    }

    /// A configuration problem, naming the file and the field.
    public struct Problem: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    /// Reads and checks a configuration file.
    public static func load(from url: URL) throws -> (config: NodeConfig, baseDirectory: URL) {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw Problem(description: "cannot read config \(url.path): \(error.localizedDescription)")
        }
        do {
            let config = try JSONDecoder().decode(NodeConfig.self, from: data)
            return (config, url.deletingLastPathComponent())
        } catch {
            throw Problem(description: "config \(url.path) is not valid: \(error)")
        }
    }

    /// The node's identity, checked.
    public func identity() throws -> NodeIdentity {
        do {
            let id = try NodeID.validated(nodeId)
            let area = try area.map { raw throws(ValidationFailure) in try RegionCode.validated(raw, field: "area") }
            guard !name.isEmpty, !level.isEmpty else { throw ValidationFailure.missing(name.isEmpty ? "name" : "level") }
            return NodeIdentity(id: id, name: name, level: Level(level), area: area)
        } catch let error as ValidationFailure {
            throw Problem(description: "config field \(error.field ?? "?"): \(error.detail)")
        }
    }

    /// The reconciliation job's limits, checked (the defaults when the config names none).
    public func reconciliationLimits() throws -> ReconciliationLimits {
        do { return try (reconciliation ?? ReconciliationLimits()).validated() } catch {
            throw Problem(description: "config field \(error.field ?? "reconciliation"): \(error.detail)")
        }
    }

    /// The security settings, checked (the defaults when the config names none).
    public func securitySettings() throws -> SecuritySettings {
        do { return try (security ?? SecuritySettings()).validated() } catch {
            throw Problem(description: "config field \(error.field ?? "security"): \(error.detail)")
        }
    }

    /// The metrics token, checked.
    public func metricsTokenValue() throws -> String? {
        guard let metricsToken else { return nil }
        guard (24...200).contains(metricsToken.count), metricsToken.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
            throw Problem(description: "config field metricsToken: 24 to 200 printable ASCII characters")
        }
        return metricsToken
    }

    /// The case file's limits, checked (the defaults when the config names none).
    public func uploadLimits() throws -> CaseService.UploadLimits {
        do { return try (caseFile ?? CaseService.UploadLimits()).validated() } catch {
            throw Problem(description: "config field \(error.field ?? "caseFile"): \(error.detail)")
        }
    }

    /// The notice templates: the built-in ones, with the config's folder in their place.
    public func noticeTemplateSet(base: URL) throws -> NoticeTemplates {
        do { return try NoticeTemplates(directory: noticeTemplates.map { Self.resolve($0, against: base) }) } catch {
            throw Problem(description: "config field noticeTemplates: \(error)")
        }
    }

    /// The 文号 prefix, checked (nil: the organ's default).
    public func noticePrefixValue() throws -> String? {
        guard let noticePrefix else { return nil }
        do { return try NoticeNumbering.checkedPrefix(noticePrefix) } catch {
            throw Problem(description: "config field noticePrefix: \(error.detail)")
        }
    }

    /// The public lookup's limits, checked (the defaults when the config names none).
    public func lookupLimits() throws -> LookupLimits {
        do { return try (lookup ?? .standard).validated() } catch {
            throw Problem(description: "config field \(error.field ?? "lookup"): \(error.detail)")
        }
    }

    /// The notification settings, checked and with their gateways built (nil: no notifications).
    public func notificationSettings(base: URL) throws -> NotificationSettings? {
        do {
            let targets = try intake?.targets() ?? [:]
            var settings = try notifications?.settings(base: base)
            if !targets.isEmpty {
                if settings == nil {
                    settings = NotificationSettings(sms: nil, email: nil, staffRecipients: [], templates: try NotificationTemplates())
                }
                settings?.callbacks = WebhookGateway(targets: targets)
            }
            return settings
        } catch let failure as ValidationFailure {
            throw Problem(description: "config field \(failure.field ?? "notifications"): \(failure.detail)")
        }
    }

    /// The blob fetcher's settings, checked (the defaults when the config names none).
    public func blobTransferSettings() throws -> BlobTransferSettings {
        do { return try (blobTransfer ?? BlobTransferSettings()).validated() } catch {
            throw Problem(description: "config field \(error.field ?? "blobTransfer"): \(error.detail)")
        }
    }

    /// The yellow days of the 红黄绿 lights, checked.
    public func yellowWorkingDaysValue() throws -> Int {
        let days = yellowWorkingDays ?? DueLightRule.workingDaysDefault
        guard DueLightRule.workingDaysRange.contains(days) else {
            throw Problem(description: "config field yellowWorkingDays: a whole number of working days from 0 to 30")
        }
        return days
    }

    /// The connection limits, checked (the defaults when the config names none).
    public func connectionLimits() throws -> ConnectionLimits {
        let limits = connections ?? ConnectionLimits()
        if let problem = limits.problem { throw Problem(description: "config field \(problem.field): \(problem.detail)") }
        return limits
    }

    /// The shutdown's limits, checked (the defaults when the config names none).
    public func shutdownLimits() throws -> ShutdownLimits {
        let limits = shutdown ?? ShutdownLimits()
        if let problem = limits.problem { throw Problem(description: "config field \(problem.field): \(problem.detail)") }
        return limits
    }

    /// The data keyring, which a node cannot serve without.
    public func personalData(base: URL) throws -> PersonalDataProtector {
        guard let dataKeyFile else {
            throw Problem(description: "config field dataKeyFile: a node needs the hierarchy's data keyring (xinfang keys data-generate --out FILE)")
        }
        return PersonalDataProtector(keyring: try DataKeyFile.load(Self.resolve(dataKeyFile, against: base)))
    }

    /// The host and port to listen on.
    public func listenAddress() throws -> (host: String, port: Int) {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else {
            throw Problem(description: "config field listen: expected host:port, got \(listen)")
        }
        return (String(listen[..<colon]), port)
    }

    /// Resolves a path from the file against the config's directory.
    public static func resolve(_ path: String, against base: URL) -> URL {
        path.hasPrefix("/") ? URL(fileURLWithPath: path) : base.appendingPathComponent(path)
    }

    /// The deadline calendar: the calendar file if named, else the inline calendar, else the
    /// national calendar shipped with the binary.
    public func deadlineCalendar(base: URL) throws -> DeadlineCalendar {
        if let file = calendarFile {
            let url = Self.resolve(file, against: base)
            let data: Data
            do { data = try Data(contentsOf: url) } catch {
                throw Problem(description: "cannot read calendar file \(url.path): \(error.localizedDescription)")
            }
            do {
                // The notice format names itself; anything else is the flat form.
                if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], object["format"] != nil {
                    return try HolidayCalendarFile.decode(data)
                }
                return try JSONDecoder().decode(DeadlineCalendar.self, from: data)
            } catch let failure as ValidationFailure {
                throw Problem(description: "calendar file \(url.path) is not valid: \(failure.field.map { "\($0): " } ?? "")\(failure.detail)")
            } catch {
                throw Problem(description: "calendar file \(url.path) is not valid: \(error)")
            }
        }
        return calendar ?? .standard
    }

    /// The ownership policy: the named file, or the built-in standard policy.
    public func policy(base: URL) throws -> OwnershipPolicy {
        guard let file = ownershipPolicyFile else { return .standard }
        let url = Self.resolve(file, against: base)
        do {
            return try JSONDecoder().decode(OwnershipPolicy.self, from: Data(contentsOf: url)).validated()
        } catch {
            throw Problem(description: "ownership policy \(url.path) is not valid: \(error)")
        }
    }

    /// The hierarchy: the topology, this node's key (whose public half must match the topology's
    /// entry for this node), and the policy; nil for a standalone node.
    public func hierarchy(base: URL, identity: NodeIdentity, policy: OwnershipPolicy) throws -> Hierarchy? {
        guard let file = topologyFile else { return nil }
        let topology = try Self.loadTopology(Self.resolve(file, against: base))
        guard let entry = topology.node(identity.id) else {
            throw Problem(description: "topology \(file) has no node \(identity.id)")
        }
        guard let keyFile else { throw Problem(description: "config field keyFile: a node with a topology needs its key file") }
        let key = try KeyFile.load(Self.resolve(keyFile, against: base))
        guard key.publicKeyBase64 == entry.publicKey else {
            throw Problem(description: "the key in \(keyFile) does not match node \(identity.id)'s public key in the topology")
        }
        return Hierarchy(topology: topology, key: key, policy: policy)
    }

    /// Reads and checks a topology file.
    public static func loadTopology(_ url: URL) throws -> Topology {
        do {
            return try JSONDecoder().decode(Topology.self, from: Data(contentsOf: url)).validated()
        } catch let failure as ValidationFailure {
            throw Problem(description: "topology \(url.path) field \(failure.field ?? "?"): \(failure.detail)")
        } catch {
            throw Problem(description: "topology \(url.path) is not valid: \(error)")
        }
    }
}

/// A node's key file: its Ed25519 key pair, base64, as `xinfang keys generate` writes it.
public enum KeyFile {
    struct Contents: Codable {
        var publicKey: String
        var privateKey: String
    }

    public static func load(_ url: URL) throws -> NodeKey {
        do {
            let contents = try JSONDecoder().decode(Contents.self, from: Data(contentsOf: url))
            let key = try NodeKey(privateKeyBase64: contents.privateKey)
            guard key.publicKeyBase64 == contents.publicKey else {
                throw NodeConfig.Problem(description: "key file \(url.path): the public key does not belong to the private key")
            }
            return key
        } catch let problem as NodeConfig.Problem {
            throw problem
        } catch {
            throw NodeConfig.Problem(description: "key file \(url.path) is not valid: \(error)")
        }
    }

    /// Writes a new key pair readable by its owner only, refusing to overwrite an existing file.
    public static func write(_ key: NodeKey, to url: URL) throws {
        guard !FileManager.default.fileExists(atPath: url.path) else {
            throw NodeConfig.Problem(description: "\(url.path) exists; refusing to overwrite a key")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(Contents(publicKey: key.publicKeyBase64, privateKey: key.privateKeyBase64))
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: url.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw NodeConfig.Problem(description: "cannot write \(url.path)")
        }
    }
}

/// The hierarchy's data keyring file (`DataKeyring` as JSON, mode 0600).
public enum DataKeyFile {
    public static func load(_ url: URL) throws -> DataKeyring {
        do {
            return try JSONDecoder().decode(DataKeyring.self, from: Data(contentsOf: url)).validated()
        } catch let failure as ValidationFailure {
            throw NodeConfig.Problem(description: "data key file \(url.path): \(failure.detail)")
        } catch {
            throw NodeConfig.Problem(description: "data key file \(url.path) is not valid: \(error)")
        }
    }

    /// Writes the keyring readable by its owner only (replacing the file when `replace`).
    public static func write(_ keyring: DataKeyring, to url: URL, replace: Bool = false) throws {
        if !replace, FileManager.default.fileExists(atPath: url.path) {
            throw NodeConfig.Problem(description: "\(url.path) exists; refusing to overwrite a keyring")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(keyring)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temporary = url.appendingPathExtension("new")
        try? FileManager.default.removeItem(at: temporary)
        guard FileManager.default.createFile(atPath: temporary.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw NodeConfig.Problem(description: "cannot write \(url.path)")
        }
        if FileManager.default.fileExists(atPath: url.path) { try FileManager.default.removeItem(at: url) }
        try FileManager.default.moveItem(at: temporary, to: url)
    }
}
