import Testing
import XinfangCore

/// Link sessions (issue 15): what the receiving end takes, and how the sending end numbers and
/// resynchronises.
struct LinkSessionTests {
    static let a = "00000000000000aa"
    static let b = "00000000000000bb"
    static let c = "00000000000000cc"
    static let d = "00000000000000dd"
    static let e = "00000000000000ee"

    /// Replays `steps` on a fresh receiving link: a greeting opens a session (`greet`), a packet
    /// is (session, number). The outcome of each packet: taken, or the refusal's code.
    enum Step {
        case greet(String)
        case packet(String, Int)
    }
    static func outcomes(_ steps: [Step]) -> [String] {
        var link = ReceivingLink()
        var results: [String] = []
        for step in steps {
            switch step {
            case .greet(let id): link = link.greeted(opening: id)
            case .packet(let session, let number):
                switch link.taking(session: session, number: number) {
                case .success(let next):
                    link = next
                    results.append("taken")
                case .failure(let refusal): results.append(refusal.rawValue)
                }
            }
        }
        return results
    }

    @Test(
        arguments: [
            ("no greeting, no session", [Step.packet(a, 1)], ["unknown-session"]),
            ("a greeting opens a session", [.greet(a), .packet(a, 1), .packet(a, 2)], ["taken", "taken"]),
            ("a number twice is a replay", [.greet(a), .packet(a, 1), .packet(a, 1)], ["taken", "replayed-packet"]),
            ("out of order within the window", [.greet(a), .packet(a, 2), .packet(a, 1)], ["taken", "taken"]),
            (
                "a replayed greeting leaves the session in use alone",
                [.greet(a), .packet(a, 1), .greet(b), .packet(a, 2), .packet(a, 3)], ["taken", "taken", "taken"]
            ),
            (
                "the new session's first packet retires the old one",
                [.greet(a), .packet(a, 1), .greet(b), .packet(b, 1), .packet(a, 2)], ["taken", "taken", "unknown-session"]
            ),
            (
                "numbers restart in a new session",
                [.greet(a), .packet(a, 50), .greet(b), .packet(b, 1), .packet(b, 2)], ["taken", "taken", "taken"]
            ),
            (
                "two greetings at once: the session the sender kept is taken, the other retired",
                [.greet(a), .greet(b), .packet(a, 1), .packet(a, 2), .packet(b, 1)], ["taken", "taken", "unknown-session"]
            ),
            (
                "…whichever it kept",
                [.greet(a), .greet(b), .packet(b, 1)], ["taken"]
            ),
            (
                "at most four greetings wait: a fifth retires the oldest",
                [.greet(a), .greet(b), .greet(c), .greet(d), .greet(e), .packet(a, 1), .packet(b, 1)], ["unknown-session", "taken"]
            ),
            ("an invented session is refused", [.greet(a), .packet(c, 1)], ["unknown-session"]),
            ("number 0 is no packet's", [.greet(a), .packet(a, 0)], ["replayed-packet"]),
            ("above the bound", [.greet(a), .packet(a, LinkSession.numberMax + 1)], ["replayed-packet"]),
            (
                "a poisoned number wedges only its session: a greeting recovers",
                [.greet(a), .packet(a, LinkSession.numberMax), .packet(a, 5), .greet(b), .packet(b, 1)],
                ["taken", "replayed-packet", "taken"]
            ),
        ]
    )
    func receiving(_ name: String, _ steps: [Step], _ expected: [String]) {
        #expect(Self.outcomes(steps) == expected, "\(name)")
    }

    @Test func theSenderNumbersInItsSessionAndDropsItOnlyWhenItIsTheRefusedOne() {
        #expect(SendingLink().numbering() == nil, "no session: greet first")
        let link = SendingLink(session: Self.a)
        let first = link.numbering()
        #expect(first?.session == Self.a && first?.number == 1)
        #expect(first?.link.numbering()?.number == 2)
        #expect(SendingLink(session: Self.a, last: LinkSession.numberMax).numbering() == nil, "numbers used up: greet again")
        #expect(SendingLink().started(Self.a) == link, "a greeting's session is kept when there is none")
        #expect(link.started(Self.b) == link, "a second greeting at once keeps the first session")
        #expect(link.dropping(Self.a) == SendingLink())
        #expect(link.dropping(Self.b) == link, "a refusal of an older session leaves the new one")
    }

    @Test func sessionIDsAreRandomAndWellFormed() {
        let ids = (0..<100).map { _ in LinkSession.newID() }
        #expect(Set(ids).count == 100)
        #expect(ids.allSatisfy(LinkSession.isWellFormed))
        for bad in ["", "0123456789ABCDEF", "0123456789abcde", "0123456789abcdef0", "0123456789abcdeg", "０123456789abcde"] {
            #expect(!LinkSession.isWellFormed(bad), "\(bad)")
        }
    }

    /// Refusals of a packet's session or number never count against its items.
    @Test func sessionRefusalsAreThePacketsNotTheItems() {
        #expect(DeliveryFailure.ofRefusal(code: "unknown-session") == .packetRefused)
        #expect(DeliveryFailure.ofRefusal(code: "replayed-packet") == .packetRefused)
        #expect(DeliveryFailure.ofRefusal(code: "unsupported-version") == .packetRefused, "a hierarchy upgraded node by node loses nothing")
        #expect(DeliveryFailure.ofRefusal(code: "stale-packet") == .rejected)
        #expect(DeliveryFailure.ofRefusal(code: "bad-packet-signature") == .rejected)
    }
}
