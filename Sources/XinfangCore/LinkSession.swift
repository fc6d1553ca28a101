/// Packet numbering on one link between adjacent nodes (issue 15): numbers belong to a session
/// that the receiver opens when the sender greets it, so neither a restart, a restore from an old
/// backup, nor one signed packet with an absurd number can wedge the link.
///
/// - The sender greets (a signed packet with no session) when it starts and whenever it has no
///   session; the receiver answers with a new random session id and keeps it as *pending*,
///   beside the session in use. The sender numbers its packets 1, 2, … within the session it
///   keeps (the first its greetings got); the first packet of a pending session makes it current
///   and forgets the others. A replayed greeting only adds a pending session: the session in use
///   is untouched.
/// - Within the current session, `ReplayWindow` takes any number not seen within 63 below the
///   highest. Numbers are bounded by `numberMax`; a sender that reaches it greets again.
/// - A packet of another session is refused `unknown-session`, a number seen before
///   `replayed-packet`: both tell the sender to drop its session and greet again, and neither
///   counts against the packet's items (`DeliveryFailure.packetRefused`).
///
/// A node restored from an old backup, or with its counter reset, therefore costs its link one
/// refused packet and one greeting. An old packet replayed by an attacker carries a session the
/// receiver no longer has, and is older than the clock-skew limit anyway.
public enum LinkSession {
    /// The highest packet number of a session.
    public static let numberMax = Int(Int32.max)
    /// Session ids are 16 lowercase hexadecimal digits (64 random bits).
    public static let idLength = 16

    /// A new random session id.
    public static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt64
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: idLength - hex.count) + hex
    }

    /// Whether `id` has the form of a session id.
    public static func isWellFormed(_ id: String) -> Bool {
        id.utf8.count == idLength && id.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// Why a packet's number is refused.
    public enum Refusal: String, Error, Sendable, Equatable {
        /// The packet's session is neither the current nor the pending one: greet again.
        case unknownSession = "unknown-session"
        /// The number was seen in this session, or is older than the window: greet again.
        case replayed = "replayed-packet"
    }
}

/// What the receiving end of a link remembers about its sender's numbers.
public struct ReceivingLink: Sendable, Equatable {
    /// The session in use.
    public var session: String?
    /// Sessions opened by greetings since, newest last (at most `pendingMax`): two paths of the
    /// sender may greet at once, and whichever session the sender keeps must be taken.
    public var pending: [String]
    /// The replay window of the current session.
    public var high: Int
    public var seen: Int64

    /// How many greetings' sessions wait beside the one in use.
    public static let pendingMax = 4

    public init(session: String? = nil, pending: [String] = [], high: Int = 0, seen: Int64 = 0) {
        self.session = session
        self.pending = pending
        self.high = high
        self.seen = seen
    }

    /// A greeting opened `id`: it waits beside the current session until a packet uses it.
    public func greeted(opening id: String) -> ReceivingLink {
        var next = self
        next.pending = Array((pending + [id]).suffix(Self.pendingMax))
        return next
    }

    /// The link after taking packet `number` of `session`, or the refusal. The first packet of a
    /// pending session makes it the one in use and retires every other.
    public func taking(session id: String, number: Int) -> Result<ReceivingLink, LinkSession.Refusal> {
        var next = self
        if id != session {
            guard pending.contains(id) else { return .failure(.unknownSession) }
            next = ReceivingLink(session: id)
        }
        guard (1...LinkSession.numberMax).contains(number), let window = ReplayWindow.take(number, high: next.high, seen: next.seen) else {
            return .failure(.replayed)
        }
        next.high = window.high
        next.seen = window.seen
        return .success(next)
    }
}

/// What the sending end of a link remembers: the session its greeting got, and the last number
/// used in it.
public struct SendingLink: Sendable, Equatable {
    public var session: String?
    public var last: Int

    public init(session: String? = nil, last: Int = 0) {
        self.session = session
        self.last = last
    }

    /// The next packet's session and number, and the link after it; nil when there is no session
    /// or its numbers are used up (greet first).
    public func numbering() -> (session: String, number: Int, link: SendingLink)? {
        guard let session, last < LinkSession.numberMax else { return nil }
        return (session, last + 1, SendingLink(session: session, last: last + 1))
    }

    /// A greeting got `id`: the link numbers in it, unless another greeting's session was kept
    /// meanwhile (then that one stays, and the receiver holds both as pending).
    public func started(_ id: String) -> SendingLink {
        session == nil ? SendingLink(session: id) : self
    }

    /// The receiver refused a packet of `refused` for its session or number: that session is
    /// dropped, unless a greeting has replaced it meanwhile.
    public func dropping(_ refused: String) -> SendingLink {
        session == refused ? SendingLink() : self
    }
}

/// A packet's place on its link: the session and the number within it.
public struct PacketNumber: Sendable, Equatable, Hashable {
    public var session: String
    public var number: Int

    public init(session: String, number: Int) {
        self.session = session
        self.number = number
    }
}
