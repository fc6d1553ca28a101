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

    /// A packet as every node writes it is read by hand (`Packet.readCanonical`) to the decoder's
    /// packet, its commands, digest round and flags included; the same packet with whitespace is
    /// left to the decoder, which reads it as before.
    @Test func aWrittenPacketIsReadByHandAsTheDecoderReadsIt() throws {
        let events = Fixtures.eventsOfEveryForm(at: Self.now)
        let flag = Flag(
            kind: .conflict,
            subject: "430102-2026-000042",
            caseNumber: events[0].caseNumber,
            node: Fixtures.county,
            raisedBy: Fixtures.city,
            since: Self.now,
            detail: "滞留"
        )
        for (commands, digest, flags) in [([], nil, nil), ([events[3].command!], DigestRequest(tops: "AAAA"), [flag])]
            as [([CaseCommand], DigestRequest?, [Flag]?)]
        {
            var packet = Packet(
                from: Fixtures.city,
                to: Fixtures.county,
                number: PacketNumber(session: "0123456789abcdef", number: 7),
                sentAt: Self.now,
                chains: [Array(events.prefix(5)), Array(events.dropFirst(5))],
                commands: commands,
                digest: digest,
                flags: flags
            )
            for greeting in [false, true] {
                if greeting { packet.session = nil }
                let body = packet.encoded()
                let read = try #require(Packet.readCanonical(body))
                #expect(read == (try CanonicalJSON.decoder.decode(Packet.self, from: body)))
                #expect(read == packet)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
                encoder.dateEncodingStrategy = .custom { date, encoder in
                    var c = encoder.singleValueContainer()
                    try c.encode(CanonicalJSON.milliseconds(date))
                }
                let pretty = try encoder.encode(packet)
                #expect(Packet.readCanonical(pretty) == nil)
                #expect(try CanonicalJSON.decoder.decode(Packet.self, from: pretty) == packet)
            }
        }
        #expect(Packet.readCanonical(Data(#"{"chains":[],"commands":[]}"#.utf8)) == nil, "required keys missing")
    }
}
