import Foundation
import Testing
import XinfangCore
import XinfangStore
import XinfangTesting

/// Listing: every filter and cursor pagination over a store with a mix of cases.
struct CaseQueryTests {
    let clock = ManualClock()

    /// The store every test here starts from.
    func seed(_ db: NodeDatabase) async throws {
        for i in 0..<120 {
            let region = i % 10 == 0 ? "430104" : "430102"
            var r = Fixtures.registration(receivedAt: clock.now(), region: region, summary: i % 7 == 0 ? "养老保险断缴\(i)" : "拖欠工资\(i)")
            if i % 3 == 0 { r.category = ContentCategory("劳动和社会保障", "城镇职工社会保险", "职工养老保险") }
            let n = try await db.register(r, actor: "李娜", now: clock.now()).state.caseNumber
            if i % 4 == 0 { _ = try await db.act(on: n, action: .notify(note: nil), actor: "周敏", now: clock.now()) }
            clock.advance(seconds: 60)
        }
    }

    func all(_ db: NodeDatabase, _ query: CaseQuery, now: Date? = nil) async throws -> [CaseState] {
        var q = query
        var result: [CaseState] = []
        var pages = 0
        repeat {
            let page = try await db.cases(matching: q, now: now ?? clock.now())
            result += page.items
            q.after = page.next
            pages += 1
        } while q.after != nil && pages < 100
        return result
    }

    @Test(arguments: StoreBackend.allCases) func paginationVisitsEveryCaseOnceNewestFirst(backend: StoreBackend) async throws {
        try await backend.withNode(Fixtures.county) { db in
            try await seed(db)
            var q = CaseQuery()
            q.limit = 50
            let first = try await db.cases(matching: q, now: clock.now())
            #expect(first.items.count == 50 && first.next != nil)
            let everything = try await all(db, q)
            #expect(everything.count == 120)
            #expect(Set(everything.map(\.caseNumber)).count == 120)
            #expect(everything.map(\.registeredAt) == everything.map(\.registeredAt).sorted(by: >))
            let cursor = try #require(first.next)
            #expect(CaseCursor(encoded: cursor.encoded) == cursor)
            #expect(CaseCursor(encoded: "not a cursor!") == nil)
        }
    }

    @Test(arguments: StoreBackend.allCases) func filtersSelectExactlyTheMatchingCases(backend: StoreBackend) async throws {
        try await backend.withNode(Fixtures.county) { db in
            try await seed(db)
            var q = CaseQuery()
            q.statuses = [.accepted]
            await #expect(try await all(db, q).count == 30)
            q = CaseQuery()
            q.region = RegionCode(rawValue: "430104")
            await #expect(try await all(db, q).count == 12)
            q.region = RegionCode(rawValue: "430100")
            await #expect(try await all(db, q).count == 120, "a city's code selects all its districts")
            q = CaseQuery()
            q.category = "职工养老保险"
            await #expect(try await all(db, q).count == 40)
            q.category = "城镇职工社会保险"
            await #expect(try await all(db, q).count == 40, "any level of the category matches")
            q = CaseQuery()
            q.text = "养老保险断缴"
            await #expect(try await all(db, q).count == 18)
            q.text = "%"
            await #expect(try await all(db, q).isEmpty, "LIKE wildcards in the text are literal")
            q = CaseQuery()
            q.holder = Fixtures.county
            q.statuses = [.registered]
            await #expect(try await all(db, q).count == 90)
        }
    }

    @Test(arguments: StoreBackend.allCases) func overdueSelectsCasesWhoseObligationPassed(backend: StoreBackend) async throws {
        try await backend.withNode(Fixtures.county) { db in
            try await seed(db)
            var q = CaseQuery()
            q.overdue = true
            await #expect(try await all(db, q).isEmpty)
            let later = clock.now().addingTimeInterval(17 * 86_400)
            await #expect(try await all(db, q, now: later).count == 90, "registered cases with no notice after 17 days")
            q.overdue = false
            await #expect(try await all(db, q, now: later).count == 30)
        }
    }
}
