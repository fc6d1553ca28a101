import Foundation
import Testing
import XinfangCore
import XinfangStore
import XinfangTesting

/// The supervision board's clocks: ages count from the receipt (收件日期), the 红黄绿 light of a
/// case is its next obligation's, and the list's filters, the backlog counts and the per-case
/// rule agree on every case.
struct ReceiptAgeTests {
    let clock = ManualClock()
    /// Receipts 0…40 days back, and one imported from a ledger 100 days back.
    static let daysBack = Array(0...40) + [100]

    /// The store every test here starts from.
    func seed(_ db: NodeDatabase) async throws {
        for days in Self.daysBack {
            let r = Fixtures.registration(receivedAt: clock.now().addingTimeInterval(-Double(days) * 86_400), summary: "收件\(days)天")
            let n = try await db.register(r, actor: "李娜", now: clock.now()).state.caseNumber
            // Some are accepted (受理告知), so their next obligation is the 60-day handling period.
            if days % 5 == 0 { _ = try await db.act(on: n, action: .notify(note: nil), actor: "周敏", now: clock.now()) }
        }
    }

    func all(_ db: NodeDatabase, _ configure: (inout CaseQuery) -> Void, now: Date) async throws -> [CaseState] {
        var q = CaseQuery()
        q.limit = CaseQuery.limitMax
        configure(&q)
        return try await db.cases(matching: q, now: now).items
    }

    @Test(arguments: StoreBackend.allCases, [0, 3, 10]) func listsCountsAndTheRuleAgreeOnEveryLight(
        backend: StoreBackend,
        yellowDays: Int
    ) async throws {
        try await backend.withNode(Fixtures.county) { db in
            try await seed(db)
            // Judged now and again three weeks on, when more deadlines have passed.
            for now in [clock.now(), clock.now().addingTimeInterval(21 * 86_400)] {
                let rule = DueLightRule(now: now, workingDays: yellowDays, calendar: db.calendar)
                var expected: [DueLight: Set<CaseNumber>] = [:]
                let everything = try await all(db, { _ in }, now: now)
                #expect(everything.count == Self.daysBack.count)
                for state in everything where state.isBacklog {
                    let light = DueLight.of(dueAt: state.nextObligation(calendar: db.calendar)?.dueAt, now: now, rule: rule)
                    expected[light, default: []].insert(state.caseNumber)
                }
                for light in DueLight.allCases {
                    let listed = try await all(
                        db,
                        {
                            $0.light = light
                            $0.lights = rule
                        },
                        now: now
                    )
                    #expect(Set(listed.map(\.caseNumber)) == expected[light, default: []], "\(light) at \(yellowDays) days")
                }
                let counts = try await db.backlog(now: now, lights: rule)[Fixtures.county] ?? BacklogCounts()
                #expect(counts.overdue == expected[.red, default: []].count)
                #expect(counts.dueSoon == expected[.yellow, default: []].count)
                #expect(counts.onTime == expected[.green, default: []].count)
            }
            #expect(DueLightRule(now: clock.now(), workingDays: yellowDays, calendar: db.calendar).yellowUntil > clock.now())
        }
    }

    @Test(arguments: StoreBackend.allCases) func agesCountWholeDaysFromTheReceiptNotFromRegistration(backend: StoreBackend) async throws {
        try await backend.withNode(Fixtures.county) { db in
            try await seed(db)
            let now = clock.now()
            let counts = try await db.backlog(now: now, lights: DueLightRule(now: now, workingDays: 3, calendar: db.calendar))[Fixtures.county]
            // Registered today, all of them; received 0…40 days back and one 100 days back.
            for bucket in AgeBucket.allCases {
                let inBucket = Self.daysBack.filter { AgeBucket(days: $0) == bucket }.count
                #expect((counts?.byAge[bucket.rawValue] ?? 0) == inBucket, "\(bucket)")
                // The list behind each bucket holds the same cases.
                let next = AgeBucket.allCases.first { $0.firstDay > bucket.firstDay }
                let listed = try await all(
                    db,
                    {
                        $0.open = true
                        $0.ageFrom = bucket.firstDay
                        $0.ageTo = next.map { $0.firstDay - 1 }
                    },
                    now: now
                )
                #expect(listed.count == inBucket, "list of \(bucket)")
                for state in listed {
                    #expect(AgeBucket(days: DueLightRule.age(receivedAt: state.registration.receivedAt, now: now, calendar: db.calendar)) == bucket)
                }
            }
            // Received on a day, by date range; sorted by receipt, oldest first.
            let today = db.calendar.civilDate(of: now)
            let week = try await all(
                db,
                {
                    $0.receivedFrom = today.adding(days: -6)
                    $0.receivedTo = today
                },
                now: now
            )
            #expect(week.count == 7)
            let oldestFirst = try await all(
                db,
                {
                    $0.sort = .received
                    $0.reversed = true
                },
                now: now
            )
            #expect(oldestFirst.first?.registration.summary == "收件100天")
            #expect(oldestFirst.map(\.registration.receivedAt) == oldestFirst.map(\.registration.receivedAt).sorted())
            // The monthly trend counts the imported case in the month it was received, not today's.
            let received = db.calendar.civilDate(of: now.addingTimeInterval(-100 * 86_400))
            let monthStart = CivilDate(year: received.year, month: received.month, day: 1)!
            let trend = try await db.monthlyTrend(since: db.calendar.startOfDay(monthStart))
            let month = String(received.description.prefix(7))
            #expect((trend[Fixtures.county]?[month]?.received ?? 0) >= 1)
            #expect(
                try await db.monthlyTrendScanning(since: db.calendar.startOfDay(monthStart))[Fixtures.county]?[month]?.received
                    == trend[Fixtures.county]?[month]?.received
            )
        }
    }

    @Test(arguments: StoreBackend.allCases) func everyOrderPagesThroughEveryCaseOnce(backend: StoreBackend) async throws {
        try await backend.withNode(Fixtures.county) { db in
            try await seed(db)
            let now = clock.now()
            for sort in CaseSort.allCases {
                for reversed in [false, true] {
                    var q = CaseQuery()
                    q.sort = sort
                    q.reversed = reversed
                    q.limit = 7
                    var seen: [CaseNumber] = []
                    var pages = 0
                    repeat {
                        let page = try await db.cases(matching: q, now: now)
                        #expect(page.total == Self.daysBack.count)
                        seen += page.items.map(\.caseNumber)
                        q.after = page.next
                        pages += 1
                    } while q.after != nil && pages < 50
                    #expect(seen.count == Self.daysBack.count && Set(seen).count == seen.count, "\(sort) \(reversed)")
                }
            }
            // The due order puts the most overdue first and cases without a running obligation last.
            let byDue = try await all(db, { $0.sort = .due }, now: now)
            let dues = byDue.map { $0.nextObligation(calendar: db.calendar)?.dueAt ?? .distantFuture }
            #expect(dues == dues.sorted())
        }
    }
}
