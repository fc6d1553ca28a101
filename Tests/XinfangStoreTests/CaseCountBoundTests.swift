import Foundation
import Testing
import XinfangCore
import XinfangTesting

@testable import XinfangStore

/// A list counts its matches up to `CaseQuery.countMax`: below it the total is exact, above it the
/// total is the bound and says so; the page itself is the same either way.
struct CaseCountBoundTests {
    @Test(arguments: StoreBackend.allCases) func aListCountsExactlyUpToTheBoundAndSaysWhenMoreMatch(backend: StoreBackend) async throws {
        try await backend.withNode(NodeID("430000")) { db in try await expectBoundedCounts(db, backend: backend) }
    }

    func expectBoundedCounts(_ db: NodeDatabase, backend: StoreBackend) async throws {
        let units = [NodeID("430102"), NodeID("430104"), NodeID("430000")]
        let now = Date()
        let count = CaseQuery.countMax + 250
        try await db.loadSyntheticCases(count: count, units: units, now: now, years: 1)

        let everything = try await db.cases(matching: CaseQuery(), now: now)
        #expect(everything.total == CaseQuery.countMax)
        #expect(!everything.totalIsExact)
        #expect(everything.items.count == CaseQuery.limitDefault)

        // A filter below the bound counts exactly what a scan counts.
        for unit in units {
            var query = CaseQuery()
            query.holder = unit
            query.open = true
            let scanned = try await db.read { db in
                try db.value("SELECT COUNT(*) FROM cases WHERE holder = ? AND is_open = ?", [unit.rawValue, true], as: Int.self) ?? 0
            }
            let page = try await db.cases(matching: query, now: now)
            #expect(scanned > 0 && scanned < CaseQuery.countMax, "the fixture has some open cases per unit")
            #expect(page.total == scanned)
            #expect(page.totalIsExact)
        }

        // Exactly as many as the bound: still exact.
        try await backend.withNode(NodeID("430000")) { full in
            try await full.loadSyntheticCases(count: CaseQuery.countMax, units: units, now: now, years: 1)
            let all = try await full.cases(matching: CaseQuery(), now: now)
            #expect(all.total == CaseQuery.countMax)
            #expect(all.totalIsExact)
        }
    }
}
