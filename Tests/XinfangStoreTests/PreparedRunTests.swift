import Foundation
import GRDB
import Testing
import XinfangCore
import XinfangTesting

@testable import XinfangStore

/// The work a receiver does ahead of a packet's write transaction (issue 19, `PreparedRun`): it
/// is worked out from a read of the store, and the transaction must take it only while the case
/// is as that read saw it. Each test makes the preparation, moves the store under it, and checks
/// that the transaction stores what it would have stored without any preparation.
struct PreparedRunTests {
    static let now = Fixtures.instant("2026-11-02T09:00:00+08:00")

    /// 长沙市 (the city) registers a case and transfers it to 芙蓉区 (the county): two signed events.
    static func cityAndCounty() async throws -> (city: NodeDatabase, county: NodeDatabase, events: [CaseEvent]) {
        let made = try await cityAndCountyWithKey()
        return (made.city, made.county, made.events)
    }

    /// `cityAndCounty`, with the city's key, which signs what the city's events say.
    static func cityAndCountyWithKey() async throws -> (city: NodeDatabase, county: NodeDatabase, events: [CaseEvent], cityKey: NodeKey) {
        let keys = [Fixtures.city: NodeKey(), Fixtures.county: NodeKey(), Fixtures.province: NodeKey()]
        let topology = Topology(nodes: [
            TopologyNode(
                id: Fixtures.province,
                name: "湖南省",
                level: .province,
                parent: nil,
                baseURL: "direct://p",
                publicKey: keys[Fixtures.province]!.publicKeyBase64
            ),
            TopologyNode(
                id: Fixtures.city,
                name: "长沙市",
                level: .city,
                parent: Fixtures.province,
                baseURL: "direct://c",
                publicKey: keys[Fixtures.city]!.publicKeyBase64
            ),
            TopologyNode(
                id: Fixtures.county,
                name: "芙蓉区",
                level: .county,
                parent: Fixtures.city,
                baseURL: "direct://f",
                publicKey: keys[Fixtures.county]!.publicKeyBase64
            ),
        ])
        let city = try NodeDatabase.inMemory(node: Fixtures.city, hierarchy: Hierarchy(topology: topology, key: keys[Fixtures.city]!))
        let county = try NodeDatabase.inMemory(node: Fixtures.county, hierarchy: Hierarchy(topology: topology, key: keys[Fixtures.county]!))
        let (state, _) = try await city.register(Fixtures.registration(receivedAt: now), actor: "登记员", now: now)
        _ = try await city.act(
            on: state.caseNumber,
            action: .offer(to: Fixtures.county, mode: .transfer, dueAt: nil, note: nil),
            actor: "经办人",
            now: now
        )
        return (city, county, try await city.events(of: state.caseNumber), keys[Fixtures.city]!)
    }

    /// What the county stored besides the chain: the case's row and its replication, without
    /// hashes (two stores' chains differ in them), as comparable text.
    static func stored(_ county: NodeDatabase, _ number: CaseNumber) async throws -> [String] {
        try await county.readSQLite { db in
            let row = try Row.fetchOne(
                db,
                sql:
                    "SELECT head_seq, status, holder, owner, is_open, next_due_kind, ae_hash != 0 AS digested, ae_peers FROM cases WHERE case_number = ?",
                arguments: [number.rawValue]
            )
            let outbox = try String.fetchAll(
                db,
                sql:
                    "SELECT peer || ' ' || kind || ' ' || state || ' ' || target_seq || ' ' || acked_seq FROM outbox WHERE case_number = ? ORDER BY peer",
                arguments: [number.rawValue]
            )
            return [row?.description ?? "no row"] + outbox
        }
    }

    /// Run `index`'s work, waited for on a thread of its own: `take` blocks, which the writer's
    /// thread may do and Swift's cooperative threads (which make the work) must not.
    static func work(_ ahead: RunsAhead, _ index: Int = 0) async -> RunAhead {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: ahead.take(index)) }.start()
        }
    }

    /// `store` receives `runs` from the city in one transaction, with `ahead` as the work done
    /// before it for every run (none by default).
    static func receive(_ store: NodeDatabase, _ runs: [[CaseEvent]], ahead: RunAhead = .nothing) async throws -> [ItemReceipt] {
        try await store.writeSQLite { db in try store.receive(db, runs, from: Fixtures.city, now: now, ahead: { _ in ahead }) }
    }

    @Test func aPreparationIsTakenWhenTheCaseHasNotMoved() async throws {
        let (_, county, events) = try await Self.cityAndCounty()
        let work = try await county.withRunsAhead([events], now: Self.now) { await Self.work($0) }
        #expect(work.verified)
        #expect(work.inBounds)
        let prepared = try #require(work.prepared)
        #expect(prepared.base == nil)
        #expect(prepared.fresh == events.map(\.hash))
        #expect(prepared.next.headSeq == 2)
        #expect(prepared.next.status == .offered)
        let receipts = try await Self.receive(county, [events], ahead: work)
        #expect(receipts.map(\.status) == [.applied])
        #expect(receipts.first?.head == 2)
    }

    /// An event whose text is longer than the bounds allow, hashed and signed by its origin, as a
    /// peer that does not keep the bounds would send it: the work ahead finds it out of bounds and
    /// prepares nothing, and the transaction refuses the run (`out-of-bounds`), whether it takes
    /// that work or finds none; nothing is stored.
    @Test func anEventOutOfBoundsIsRefusedWithTheWorkAheadOrWithout() async throws {
        let (_, county, events, cityKey) = try await Self.cityAndCountyWithKey()
        var long = CaseEvent(
            caseNumber: events[1].caseNumber,
            epoch: events[1].epoch,
            seq: 2,
            prevHash: events[0].hash,
            origin: events[1].origin,
            time: events[1].time,
            actor: events[1].actor,
            body: .act(.comment(text: String(repeating: "长", count: ActionLimits.opinionLengthMax + 1)))
        )
        cityKey.sign(&long)
        let run = [events[0], long]
        let work = try await county.withRunsAhead([run], now: Self.now) { await Self.work($0) }
        #expect(work.verified)
        #expect(!work.inBounds)
        #expect(work.prepared == nil)
        for ahead in [work, RunAhead.nothing] {
            let receipts = try await Self.receive(county, [run], ahead: ahead)
            #expect(receipts.map(\.status) == [.rejected])
            #expect(receipts.first?.code == ItemReceipt.Code.outOfBounds.rawValue)
        }
        #expect(try await county.events(of: events[0].caseNumber).isEmpty)
        #expect(try await county.caseState(events[0].caseNumber) == nil)
    }

    /// Prepared for both events against an empty store; before the transaction the first event
    /// arrives alone. The preparation opens a case that now exists: the transaction must fold the
    /// second event onto the stored case instead, and store exactly what a store that never
    /// prepared stores.
    @Test func aPreparationMadeBeforeTheCaseMovedIsNotTaken() async throws {
        let (_, county, events) = try await Self.cityAndCounty()
        let stale = try await county.withRunsAhead([events], now: Self.now) { await Self.work($0) }
        #expect(stale.prepared?.base == nil)
        let first = try await Self.receive(county, [[events[0]]])
        #expect(first.map(\.status) == [.applied])
        let receipts = try await Self.receive(county, [events], ahead: stale)
        #expect(receipts.map(\.status) == [.applied])
        #expect(receipts.first?.head == 2)

        // The same story without any preparation, in another county store.
        let (_, plain, plainEvents) = try await Self.cityAndCounty()
        _ = try await Self.receive(plain, [[plainEvents[0]]])
        _ = try await Self.receive(plain, [plainEvents])
        let number = events[0].caseNumber
        #expect(try await county.events(of: number).map(\.seq) == [1, 2])
        let state = try #require(try await county.caseState(number))
        #expect(state == (try CaseState.fold(try await county.events(of: number), topology: county.hierarchy?.topology)))
        #expect(state.status == .offered)
        #expect(state.holder == Fixtures.county)
        #expect(try await Self.stored(county, number) == (try await Self.stored(plain, plainEvents[0].caseNumber)))
    }

    /// Prepared against an empty store; the whole run arrives in another packet before the
    /// transaction: it is a duplicate, and nothing is written twice.
    @Test func aPreparationForARunStoredMeanwhileIsADuplicate() async throws {
        let (_, county, events) = try await Self.cityAndCounty()
        let stale = try await county.withRunsAhead([events], now: Self.now) { await Self.work($0) }
        _ = try await Self.receive(county, [events])
        let receipts = try await Self.receive(county, [events], ahead: stale)
        #expect(receipts.map(\.status) == [.duplicate])
        #expect(try await county.counts() == (cases: 1, events: 2))
    }

    /// A run whose head signature does not verify is refused, prepared or not: the preparation
    /// says so and makes nothing, and the transaction checks again.
    @Test func aForgedHeadIsRefusedAhead() async throws {
        let (_, county, events) = try await Self.cityAndCounty()
        var copy = events
        copy[1].signature = events[0].signature
        let forged = copy
        let work = try await county.withRunsAhead([forged], now: Self.now) { await Self.work($0) }
        #expect(!work.verified)
        #expect(work.prepared == nil)
        let receipts = try await Self.receive(county, [forged], ahead: work)
        #expect(receipts.map(\.status) == [.rejected])
        #expect(receipts.first?.code == ItemReceipt.Code.badSignature.rawValue)
        #expect(try await county.counts() == (cases: 0, events: 0))
    }

    /// A case's anti-entropy columns and its bucket, as comparable text.
    static func digest(_ db: NodeDatabase, _ number: CaseNumber) async throws -> [String] {
        try await db.readSQLite { db in
            try String.fetchAll(
                db,
                sql: """
                    SELECT 'case ' || ae_bucket || ' ' || ae_hash || ' ' || ae_peers FROM cases WHERE case_number = ?
                    UNION ALL SELECT 'bucket ' || peer || ' ' || bucket || ' ' || digest FROM ae_buckets WHERE digest != 0
                    """,
                arguments: [number.rawValue]
            )
        }
    }

    /// A received new case's row is written with its anti-entropy columns, in the row's own
    /// statement, where it was inserted and then updated (on PostgreSQL each update wrote every
    /// index of `cases` again, docs/BENCHMARKS.md, P9). The columns and the buckets are what the
    /// update gives the same case received as an extension of a stored one, and no statement
    /// updates them after the row.
    @Test func aNewCaseIsWrittenWithItsDigestAndNotUpdatedAfter() async throws {
        let (_, county, events) = try await Self.cityAndCounty()
        final class Seen: @unchecked Sendable { var statements: [String] = [] }
        let seen = Seen()
        let receipts = try await county.writeSQLite { db in
            db.trace(options: .statement) { seen.statements.append("\($0)") }
            defer { db.trace(options: []) }
            return try county.receive(
                db,
                [events],
                from: Fixtures.city,
                now: Self.now,
                ahead: { _ in .nothing }
            )
        }
        #expect(receipts.map(\.status) == [.applied])
        #expect(seen.statements.contains { $0.contains("ae_hash") && $0.hasPrefix("INSERT INTO cases") })
        #expect(!seen.statements.contains { $0.hasPrefix("UPDATE cases") }, "\(seen.statements.filter { $0.hasPrefix("UPDATE") })")

        // The same events, in another store of the county, as an extension of the stored first
        // one: its row is updated.
        let plain = try NodeDatabase.inMemory(node: Fixtures.county, hierarchy: county.hierarchy)
        for run in [[events[0]], events] {
            _ = try await Self.receive(plain, [run])
        }
        let written = try await Self.digest(county, events[0].caseNumber)
        #expect(written.count == 2, "the case's row and its contribution to the city's bucket: \(written)")
        #expect(!written.contains { $0.hasPrefix("case 0 0") })
        let updated = try await Self.digest(plain, events[0].caseNumber)
        #expect(written == updated, "\(written) \(updated)")
    }

    /// The work ahead is cut so that every core has a share even of a small packet (a packet of
    /// 10 new cases in one slice kept the writer waiting for one core), and a large packet's
    /// slices stay small enough for the writer to have the first soon.
    @Test func everyCoreHasAShareOfASmallPacketsWorkAhead() {
        let cores = NodeDatabase.cores
        for runs in 1...200 {
            let perSlice = NodeDatabase.runsPerSlice(of: runs)
            let share = (runs + cores - 1) / cores
            #expect((1...NodeDatabase.runsPerSliceMax).contains(perSlice), "\(runs) runs")
            #expect(perSlice <= share, "\(runs) runs on \(cores) cores: no slice larger than a core's share")
            if share >= NodeDatabase.runsPerSliceMax { #expect(perSlice == NodeDatabase.runsPerSliceMax, "\(runs) runs") }
        }
    }
}
