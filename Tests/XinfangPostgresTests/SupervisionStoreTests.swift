import Foundation
import Testing
import XinfangCore
import XinfangStore
import XinfangTesting

/// Supervision's queries give the same answers on both backends over the same cases: the backlog,
/// the indicators from the daily counts (and from a scan of the cases), the monthly trend, the
/// list's pages and count, the reconciliation's flags and the operational figures.
struct SupervisionStoreTests {
    struct Answers: Equatable {
        var backlog: [NodeID: BacklogCounts]
        var indicators: [NodeID: IndicatorCounts]
        var daily: [NodeID: IndicatorCounts]
        var trend: [NodeID: [String: [Int]]]
        var pages: [[String]]
        var total: Int
        var overdue: [String]
        var flags: [String]
    }

    /// 36 cases over twelve weeks, some told (受理告知), some replied to, one searched for.
    static func answers(_ db: NodeDatabase) async throws -> Answers {
        let clock = ManualClock()
        db.lookupCodes.useSeed(7)
        var numbers: [CaseNumber] = []
        for i in 0..<36 {
            let summary = i == 5 ? "反映某公司拖欠农民工工资" : "反映社保断缴 \(i)"
            let state = try await db.register(
                Fixtures.registration(receivedAt: clock.now(), region: "430102", summary: summary),
                actor: "李娜",
                now: clock.now()
            ).state
            numbers.append(state.caseNumber)
            if i % 3 != 0 { _ = try await db.act(on: state.caseNumber, action: .notify(note: nil), actor: "周敏", now: clock.now()) }
            if i % 3 == 1 {
                _ = try await db.act(on: state.caseNumber, action: .reply(outcome: .supported, opinion: "支持"), actor: "周敏", now: clock.now())
            }
            clock.advance(days: 2)
        }
        clock.advance(days: 30)
        let now = clock.now()
        let lights = DueLightRule(now: now, workingDays: 3, calendar: db.calendar)
        let from = now.addingTimeInterval(-120 * 86_400)
        let indicators = try await db.indicatorCounts(from: from, to: now, now: now)
        #expect(indicators == (try await db.indicatorCountsScanning(from: from, to: now, now: now)), "the indicators agree with a scan")
        // Whole days, from within a month to tomorrow: the daily counts' rows of days, of whole
        // months and of this month's days (on PostgreSQL one statement of their ranges).
        let today = db.calendar.civilDate(of: now)
        let dayFrom = db.calendar.startOfDay(today.adding(days: -120))
        let dayTo = db.calendar.startOfDay(today.adding(days: 1))
        let daily = try await db.indicatorCounts(from: dayFrom, to: dayTo, now: now)
        #expect(daily == (try await db.indicatorCountsScanning(from: dayFrom, to: dayTo, now: now)), "the daily counts agree with a scan")
        #expect(IndicatorCounts.sum(Array(daily.values)).registered == 36)
        let trend = try await db.monthlyTrend(since: from)
        let scanned = try await db.monthlyTrendScanning(since: from)
        #expect(trend.mapValues { $0.mapValues { [$0.received, $0.closed] } } == scanned.mapValues { $0.mapValues { [$0.received, $0.closed] } })
        var pages: [[String]] = []
        var query = CaseQuery()
        query.limit = 10
        var total = 0
        repeat {
            let page = try await db.cases(matching: query, now: now)
            pages.append(page.items.map(\.caseNumber.rawValue))
            total = page.total
            query.after = page.next
        } while query.after != nil
        var overdueQuery = CaseQuery()
        overdueQuery.overdue = true
        overdueQuery.limit = 100
        var search = CaseQuery()
        search.text = "农民工"
        #expect(try await db.cases(matching: search, now: now).items.map(\.caseNumber) == [numbers[5]])
        _ = try await db.reconcile(now: now, limits: ReconciliationLimits())
        return Answers(
            backlog: try await db.backlog(now: now, lights: lights),
            indicators: indicators,
            daily: daily,
            trend: trend.mapValues { $0.mapValues { [$0.received, $0.closed] } },
            pages: pages,
            total: total,
            overdue: try await db.cases(matching: overdueQuery, now: now).items.map(\.caseNumber.rawValue),
            flags: try await db.flags(matching: FlagQuery()).map { "\($0.flag.kind) \($0.flag.subject)" }.sorted()
        )
    }

    @Test func bothBackendsAnswerAlike() async throws {
        let sqlite = try await StoreBackend.sqlite.withNode { try await Self.answers($0) }
        let postgres = try await StoreBackend.postgres.withNode { db in
            let answers = try await Self.answers(db)
            let figures = try await db.operationalFigures()
            #expect(figures.databaseBytes > 0)
            return answers
        }
        #expect(sqlite.total == 36 && sqlite.pages.joined().count == 36)
        #expect(!sqlite.overdue.isEmpty, "some cases are overdue")
        #expect(sqlite.backlog.values.reduce(0) { $0 + $1.open } > 0)
        #expect(postgres == sqlite)
    }
}
