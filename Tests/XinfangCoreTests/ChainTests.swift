import Foundation
import Testing
import XinfangCore
import XinfangTesting

/// The chain: hashes link events, any alteration is detected, the fold is deterministic, and
/// hybrid-logical-clock time stamps never go backwards.
struct ChainTests {
    static let start = Fixtures.instant("2026-11-02T09:00:00+08:00")

    func chain() throws -> ChainBuilder {
        var b = try ChainBuilder(now: Self.start)
        try b.act(.notify(note: "已告知"))
        try b.act(.reply(outcome: .supported, opinion: "支持"))
        try b.act(.close(report: nil))
        return b
    }

    @Test func foldOfTheChainEqualsTheIncrementalState() throws {
        let b = try chain()
        #expect(try CaseState.fold(b.events) == b.state)
        #expect(b.events.map(\.seq) == [1, 2, 3, 4])
        for (previous, event) in zip(b.events, b.events.dropFirst()) { #expect(event.prevHash == previous.hash) }
    }

    @Test func anAlteredEventIsDetected() throws {
        var events = try chain().events
        events[2].body = .act(.reply(outcome: .notSupported, opinion: "不支持"))
        #expect(throws: ChainError.self) { try CaseState.fold(events) }
    }

    @Test func aMissingOrReorderedEventIsDetected() throws {
        let events = try chain().events
        #expect(throws: ChainError.self) { try CaseState.fold([events[0], events[2], events[3]]) }
        #expect(throws: ChainError.self) { try CaseState.fold([events[0], events[2], events[1], events[3]]) }
        #expect(throws: ChainError.self) { try CaseState.fold(Array(events.dropFirst())) }
    }

    @Test func hashCoversEveryField() throws {
        let event = try chain().events[1]
        var changed = [event, event, event, event]
        changed[0].actor = "他人"
        changed[1].origin = Fixtures.city
        changed[2].time.logical += 1
        changed[3].epoch = 1
        for e in changed { #expect(e.computedHash() != event.hash) }
        #expect(event.computedHash() == event.hash)
    }

    @Test func eventsSurviveTheCanonicalJSONRoundTrip() throws {
        for event in try chain().events {
            let data = try CanonicalJSON.encoder.encode(event)
            let decoded = try CanonicalJSON.decoder.decode(CaseEvent.self, from: data)
            #expect(decoded == event)
            #expect(decoded.computedHash() == event.hash)
        }
    }

    @Test func hybridLogicalClockNeverGoesBackwards() {
        let t1 = HLCTimestamp.tick(after: nil, nowMs: 1_000)
        let t2 = HLCTimestamp.tick(after: t1, nowMs: 900)  // the wall clock jumped back
        let t3 = HLCTimestamp.tick(after: t2, nowMs: 1_000)
        let t4 = HLCTimestamp.tick(after: t3, nowMs: 2_000)
        #expect(t1 < t2 && t2 < t3 && t3 < t4)
        #expect(t4 == HLCTimestamp(wallMs: 2_000, logical: 0))
        let remote = HLCTimestamp(wallMs: 5_000, logical: 7)
        let received = HLCTimestamp.receive(remote, after: t4, nowMs: 2_100)
        #expect(received > remote && received > t4)
        #expect(HLCTimestamp.tick(after: received, nowMs: 2_200) > received)
    }

    @Test func ownershipPolicyFileMatchesTheBuiltInStandard() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("schemas/ownership-policy.json")
        let policy = try JSONDecoder().decode(OwnershipPolicy.self, from: Data(contentsOf: url))
        #expect(try policy.validated() == OwnershipPolicy.standard)
        var broken = policy
        broken.handlingLevel = Level("township")
        #expect(throws: ValidationFailure.self) { try broken.validated() }
    }
}
