public import Foundation
public import XinfangCore

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
    /// How deadlines are counted; calendar days in China Standard Time when absent.
    public var calendar: DeadlineCalendar?
    /// A JSON file with a `DeadlineCalendar` (holidays, working weekends); overrides `calendar`.
    public var calendarFile: String?
    /// The ownership policy; the built-in standard policy when absent.
    public var ownershipPolicyFile: String?

    public init(
        nodeId: String,
        name: String,
        level: String,
        area: String? = nil,
        dataDirectory: String,
        listen: String,
        calendar: DeadlineCalendar? = nil,
        calendarFile: String? = nil,
        ownershipPolicyFile: String? = nil
    ) {
        self.nodeId = nodeId
        self.name = name
        self.level = level
        self.area = area
        self.dataDirectory = dataDirectory
        self.listen = listen
        self.calendar = calendar
        self.calendarFile = calendarFile
        self.ownershipPolicyFile = ownershipPolicyFile
    }

    /// A configuration problem, naming the file and the field.
    public struct Problem: Error, CustomStringConvertible {
        public var description: String
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

    /// The deadline calendar: the calendar file if named, else the inline calendar, else the standard one.
    public func deadlineCalendar(base: URL) throws -> DeadlineCalendar {
        if let file = calendarFile {
            let url = Self.resolve(file, against: base)
            do { return try JSONDecoder().decode(DeadlineCalendar.self, from: Data(contentsOf: url)) } catch {
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
}
