import Foundation
import Testing
import XinfangCore
import XinfangTesting

@testable import XinfangStore

/// The sender copies each event's stored form into a packet (`StoredEventJSON`, issue 19): the
/// bytes must be exactly those `CanonicalJSON.encoder` makes of the decoded event, whatever the
/// event holds. (Random events of every action: `ChainBoundsPropertyTests`.)
struct StoredEventJSONTests {
    static let now = Fixtures.instant("2026-11-02T09:00:00+08:00")

    @Test(arguments: StoreBackend.allCases) func theStoredFormIsTheCanonicalEncodingByteForByte(backend: StoreBackend) async throws {
        try await backend.withNode(Fixtures.county) { db in
            // Stored under a registered case (events name their case's row), after its own events.
            let number = try await db.register(Fixtures.registration(receivedAt: Self.now), actor: "登记员", now: Self.now).state.caseNumber
            let events = Fixtures.eventsOfEveryForm(of: number, from: 100, at: Self.now)
            try await db.write { session in for event in events { try db.insert(session, event) } }
            let rows = try await db.read { session in try session.fetchAll("SELECT * FROM events WHERE seq >= 100 ORDER BY seq", []) }
            #expect(rows.count == events.count)
            for (row, event) in zip(rows, events) {
                let stored = StoredEventJSON.json(row)
                let canonical = try CanonicalJSON.encoder.encode(event)
                #expect(
                    stored == canonical,
                    "\(event.actor.debugDescription):\n\(String(decoding: stored, as: UTF8.self))\n\(String(decoding: canonical, as: UTF8.self))"
                )
                #expect(try CanonicalJSON.decoder.decode(CaseEvent.self, from: stored) == event)
            }
        }
    }
}
