/// The numbered formats of what a chain stores and what a command carries, so that a node can tell
/// what it reads and a format can change without breaking what was written before.
///
/// Format 1 is the form every event and command had before they named theirs: no `format` field,
/// and a hash (an event's) or signed bytes (a command's) over the fields without one. From format 2
/// the field is present and covered by the hash and the signature, so it cannot be altered or
/// stripped on the way. Each event is hashed by the rules of its own format, so a chain that mixes
/// formats verifies, and old chains stay verifiable for as long as they are kept.
///
/// What a node *writes* is the hierarchy's choice, not the build's (`Topology.formats`): an event is
/// copied to every node that holds its case, several hops away, so a new format is written only
/// once every node reads it (the upgrade order in the README). Absent, the previous formats.
public struct DataFormats: Codable, Equatable, Sendable {
    /// The format of the events this node appends.
    public var event: Int
    /// The format of the commands this node signs.
    public var command: Int

    public init(event: Int, command: Int) {
        self.event = event
        self.command = command
    }

    /// The formats of the release before this one: what a hierarchy writes until it says otherwise.
    public static let previous = DataFormats(event: 1, command: 1)
    /// The newest formats this build writes.
    public static let newest = DataFormats(event: 2, command: 2)

    /// The value of a `format` field: nil for format 1, which is written without one.
    public static func field(_ format: Int) -> Int? { format > 1 ? format : nil }
}

/// The formats a release reads, and the refusal of what it cannot: every event format up to the
/// newest it knows (old chains must stay readable), and commands in its own format and the one
/// before (a command lives hours, not years). Anything else is refused naming both sides' versions.
public struct FormatReader: Sendable, Equatable {
    public var events: ClosedRange<Int>
    public var commands: ClosedRange<Int>

    public init(events: ClosedRange<Int>, commands: ClosedRange<Int>) {
        self.events = events
        self.commands = commands
    }

    /// This build.
    public static let build = FormatReader(events: 1...DataFormats.newest.event, commands: 1...DataFormats.newest.command)
    /// The release before, which knew format 1 only (the simulator runs nodes of it).
    public static let previousRelease = FormatReader(events: 1...1, commands: 1...1)

    /// Why these chains and commands cannot be read here, or nil. A format-1 item must not name its
    /// format (one canonical form per format: the field's presence changes the hash).
    public func refusal(chains: [[CaseEvent]], commands items: [CaseCommand]) -> String? {
        for event in chains.joined() {
            if let problem = refusal(of: event.format, field: event.formatField, kind: "event", reads: events, item: event.caseNumber.rawValue) {
                return problem
            }
        }
        for command in items {
            if let problem = refusal(of: command.format, field: command.formatField, kind: "command", reads: commands, item: command.id) {
                return problem
            }
        }
        return nil
    }

    /// Whether a hierarchy's written formats are ones this release can write (and so read).
    public func refusal(toWrite formats: DataFormats) -> String? {
        if !events.contains(formats.event) || formats.event < events.upperBound - 1 {
            return "the topology asks for event format \(formats.event); this build writes \(Self.range(events.upperBound - 1...events.upperBound))"
        }
        if !commands.contains(formats.command) || formats.command < commands.upperBound - 1 {
            return
                "the topology asks for command format \(formats.command); this build writes \(Self.range(commands.upperBound - 1...commands.upperBound))"
        }
        return nil
    }

    private func refusal(of format: Int, field: Int?, kind: String, reads: ClosedRange<Int>, item: String) -> String? {
        if let field, field <= 1 {
            return "\(kind) \(item) names format \(field): format 1 is written without the field"
        }
        guard !reads.contains(format) else { return nil }
        return "this node reads \(kind) formats \(Self.range(reads)); \(kind) \(item) is format \(format): "
            + (format < reads.lowerBound ? "upgrade the sender" : "upgrade this node")
    }

    static func range(_ range: ClosedRange<Int>) -> String {
        range.count == 1 ? "\(range.lowerBound)" : "\(range.lowerBound)–\(range.upperBound)"
    }
}
