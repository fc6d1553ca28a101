import Foundation
import Testing
import XinfangCore
import XinfangSync
import XinfangTesting

/// The dispatcher writes a packet's events as the store holds them (`Packet.encoded(wireChains:)`,
/// issue 19): the body must be the one `encoded()` makes of the decoded events.
struct PacketWireTests {
    static let now = Fixtures.instant("2026-11-02T09:00:00+08:00")

    /// A packet made from the stored forms is the packet made from the decoded events, byte for
    /// byte, so its signature and its receiver are none the wiser.
    @Test func aPacketOfStoredFormsIsThePacketOfTheEvents() throws {
        let events = Fixtures.eventsOfEveryForm(at: Self.now)
        let chains = [Array(events.prefix(5)), Array(events.dropFirst(5)), [events[0]]]
        let number = PacketNumber(session: "0123456789abcdef", number: 7)
        let digest = DigestRequest(tops: "AAAA")
        for (commands, extra) in [([], nil), ([events[3].command!], digest)] as [([CaseCommand], DigestRequest?)] {
            let whole = Packet(
                from: Fixtures.city,
                to: Fixtures.county,
                number: number,
                sentAt: Self.now,
                chains: chains,
                commands: commands,
                digest: extra
            )
            var empty = whole
            empty.chains = []
            let wire = try chains.map { try $0.map { try CanonicalJSON.encoder.encode($0) } }
            #expect(empty.encoded(wireChains: wire) == whole.encoded())
            #expect(empty.encoded(wireChains: []) == empty.encoded())
        }
    }
}
