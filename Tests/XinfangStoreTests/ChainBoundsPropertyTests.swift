import Foundation
import Testing
import XinfangCore
import XinfangSimulation
import XinfangTesting

@testable import XinfangStore

/// Rule 6 of issue 13: every bound of an action is enforced where events are made, so no caller
/// of the store can write an event the node cannot read back. Random action sequences, with
/// parameters drawn in and out of their bounds (days, texts, dates, representatives), go through
/// the store's own API; whatever it accepts must leave chains that decode, fold and verify.
private typealias H = ExampleHierarchy

struct ChainBoundsPropertyTests {
    static let seeds: [UInt64] = Array(1...24)
    /// Every seed on SQLite, the first four on PostgreSQL too (each there starts a cluster).
    static let runs: [(StoreBackend, UInt64)] = seeds.map { (.sqlite, $0) } + seeds.prefix(4).map { (.postgres, $0) }

    struct Draw {
        var random: SeededRandom
        mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &random) }
        mutating func chance(_ percent: Int) -> Bool { int(1...100) <= percent }
        mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }

        /// A text that is valid, padded, empty, blank or too long.
        mutating func text(_ max: Int) -> String {
            switch int(1...10) {
            case 1: return ""
            case 2: return "   "
            case 3: return " 前后有空格 "
            case 4: return String(repeating: "字", count: max + int(1...3))
            case 5: return String(repeating: "字", count: max)
            default: return "内容\(int(1...999))"
            }
        }

        /// A date in range, in the past, far ahead, or outside the encodable years.
        mutating func date(around now: Date) -> Date {
            switch int(1...8) {
            case 1: return now.addingTimeInterval(-Double(int(1...400)) * 86_400)
            case 2: return now.addingTimeInterval(Double(int(367...5_000)) * 86_400)
            case 3: return Date(timeIntervalSince1970: 1e13)
            case 4: return Date(timeIntervalSince1970: -1e10)
            default: return now.addingTimeInterval(Double(int(0...366)) * 86_400)
            }
        }

        mutating func day(around now: Date) -> CivilDate {
            DeadlineCalendar.standard.civilDate(of: now).adding(days: pick([-400, -40, -3, -1, 0, 0, 1, 2, 30, 40_000]))
        }
    }

    func action(_ name: ActionName, _ d: inout Draw, holder: NodeID, now: Date) -> CaseAction {
        let nodes = [H.province, H.changsha, H.furong, H.yuelu, H.huaihua]
        switch name {
        case .offer:
            return .offer(
                to: d.pick(nodes),
                mode: d.pick([.assign, .transfer]),
                dueAt: d.chance(80) ? d.date(around: now) : nil,
                note: d.chance(50) ? d.text(2_000) : nil
            )
        case .accept: return .accept
        case .decline: return .decline(reason: d.text(2_000))
        case .notify: return .notify(note: d.chance(50) ? d.text(2_000) : nil)
        case .reject: return .reject(reason: d.text(2_000))
        case .routeOut: return .routeOut(channel: d.pick(RouteOutChannel.allCases), note: nil)
        case .refuseRepeat: return .refuseRepeat(earlierCase: nil, reason: d.text(2_000))
        case .extend: return .extend(days: d.pick([-1, 0, 1, 15, 30, 31, 365, Int.max]), approver: d.text(50), reason: d.text(2_000))
        case .reply: return .reply(outcome: d.pick(ReplyOutcome.allCases), opinion: d.text(20_000))
        case .close: return .close(report: d.chance(50) ? d.text(20_000) : nil)
        case .verifyClosure: return .verifyClosure(note: nil)
        case .returnClosure: return .returnClosure(reason: d.text(2_000))
        case .evaluate:
            return .evaluate(
                office: d.pick(Rating.allCases),
                unit: d.pick(Rating.allCases),
                comment: d.chance(50) ? d.text(2_000) : nil,
                via: d.pick([nil, .online, .phone])
            )
        case .requestReview:
            return .requestReview(reason: d.text(2_000), reviewer: d.chance(30) ? d.pick(nodes) : nil, routing: d.chance(20) ? d.text(500) : nil)
        case .decideReview: return .decideReview(outcome: d.pick(ReplyOutcome.allCases), opinion: d.text(20_000))
        case .requestReReview: return .requestReReview(reason: d.text(2_000), reviewer: nil)
        case .decideReReview: return .decideReReview(outcome: d.pick(ReplyOutcome.allCases), opinion: d.text(20_000))
        case .terminate: return .terminate(reason: d.text(2_000))
        case .comment: return .comment(text: d.text(20_000))
        case .escalate: return .escalate(to: d.pick(nodes), reason: d.text(2_000))
        case .recall: return .recall(by: d.pick(nodes), reason: d.text(2_000))
        case .supervise: return .supervise(by: d.pick(nodes), dueAt: d.date(around: now), note: d.text(2_000))
        case .supervisionFeedback: return .supervisionFeedback(text: d.text(20_000))
        case .repeatPetition: return .repeatPetition(newCase: CaseNumber(rawValue: "430102-20261102-00001"), note: nil)
        case .takeOver: return .takeOver(by: d.pick(nodes), reason: d.text(2_000))
        case .resolveConflict: return .resolveConflict(branch: String(repeating: "a", count: 64), decision: .dismiss, reason: d.text(2_000))
        case .deliver: return .deliver(on: d.day(around: now), method: d.pick(DeliveryMethod.allCases), signed: d.chance(80), note: nil)
        case .hearing:
            let from = d.day(around: now)
            return .hearing(from: from, to: from.adding(days: d.pick([-1, 0, 2, 29, 30, 400])), note: d.text(2_000))
        case .attach:
            let type = d.pick(MediaType.allCases)
            return .attach(
                AttachmentRef(
                    sha256: d.pick([String(repeating: "ab", count: 32), String(repeating: "cd", count: 32), "AB", ""]),
                    size: d.pick([-1, 0, 1_000, AttachmentLimits.fileBytesMax, AttachmentLimits.fileBytesMax + 1]),
                    mediaType: type,
                    fileName: d.pick(["扫描件.\(type.extensions.first!)", "../x.pdf", "noext", d.text(200)]),
                    stage: d.pick(AttachmentStage.allCases)
                )
            )
        case .withdrawAttachment:
            return .withdrawAttachment(sha256: d.pick([String(repeating: "ab", count: 32), "zz"]), reason: d.text(2_000))
        case .issueNotice:
            return .issueNotice(
                NoticeRecord(
                    kind: d.pick(NoticeKind.allCases),
                    docNumber: d.pick(["芙人社信〔2026〕1号", "", "a/b", d.text(100)]),
                    sha256: d.pick([String(repeating: "ab", count: 32), "AB"]),
                    size: d.pick([-1, 0, 5_000, 5 << 20]),
                    occasion: d.pick(["acceptance@1", "", d.text(200)])
                )
            )
        case .serveNotice:
            return .serveNotice(
                docNumber: d.pick(["芙人社信〔2026〕1号", "", d.text(100)]),
                on: d.day(around: now),
                method: d.pick(DeliveryMethod.allCases),
                signed: d.chance(50),
                note: nil
            )
        case .returnToSender:
            return .returnToSender(reason: d.pick(SenderReturnReason.allCases), note: d.chance(50) ? d.text(2_000) : nil)
        case .reissueLookupCode:
            let sealed = SealedValue(alg: "A256GCM", kid: "k1", box: d.pick(["AAAA", d.text(300)]))
            return .reissueLookupCode(LookupSeal(digest: d.pick([String(repeating: "ab", count: 32), "AB"]), sealed: sealed))
        }
    }

    @Test(arguments: runs) func randomActionsThroughTheStoreLeaveChainsThatReadBack(backend: StoreBackend, seed: UInt64) async throws {
        var d = Draw(random: SeededRandom(seed: seed))
        let (topology, keys) = ExampleHierarchy.topology(baseURL: { "http://127.0.0.1/\($0)" })
        let node = H.furong
        try await backend.withNode(node, hierarchy: Hierarchy(topology: topology, key: keys[node]!)) { db in
            var now = Fixtures.instant("2026-11-02T09:00:00+08:00")
            var registration = Fixtures.registration(receivedAt: now)
            if d.chance(30) {
                registration.purpose = .accusation
                registration.respondentNode = d.pick([H.changsha, H.yuelu, H.province])
            }
            var numbers: [CaseNumber] = []
            for _ in 0..<3 { numbers.append(try await db.register(registration, actor: "登记员", now: now).state.caseNumber) }
            var accepted = 0
            for _ in 0..<120 {
                now = now.addingTimeInterval(Double(d.int(60...(3 * 86_400))))
                let number = d.pick(numbers)
                guard let state = try await db.caseState(number), state.holder == node else { continue }
                let name =
                    d.chance(70)
                    ? (Lifecycle.availableActions(on: state, context: ActionContext(node: node, now: now, calendar: db.calendar)).randomElement(
                        using: &d.random
                    ) ?? .comment) : d.pick(ActionName.allCases)
                do {
                    _ = try await db.act(
                        on: number,
                        action: action(name, &d, holder: state.holder, now: now),
                        actor: d.pick(["承办人", "局长"]),
                        now: now
                    )
                    accepted += 1
                } catch let error as StoreError {
                    switch error {
                    case .refused, .invalid: break
                    default: throw error
                    }
                }
            }
            #expect(accepted > 5, "seed \(seed) exercised the store (\(accepted) actions taken)")
            for number in numbers {
                let events = try await db.allEvents(of: number)  // decodes every stored body
                let state = try CaseState.fold(events, topology: topology)
                #expect(state == (try await db.caseState(number)), "seed \(seed): the materialised state is the fold of the chain")
                for event in events {
                    #expect(event.body.boundsFailure == nil, "seed \(seed) event \(event.seq): \(event.body.boundsFailure.map(\.description) ?? "")")
                    #expect(topology.node(event.origin)?.verifies(event) == true, "seed \(seed) event \(event.seq) verifies")
                    let reencoded = try CanonicalJSON.decoder.decode(CaseEventBody.self, from: CanonicalJSON.encoder.encode(event.body))
                    #expect(reencoded == event.body, "seed \(seed) event \(event.seq) round-trips")
                }
            }
            // What a sender copies into its packets is each event's canonical encoding (`StoredEventJSON`).
            let rows = try await db.read { session in try session.fetchAll("SELECT * FROM events", []) }
            for row in rows {
                let canonical = try CanonicalJSON.encoder.encode(try CaseEvent(row: row))
                #expect(StoredEventJSON.json(row) == canonical, "seed \(seed): \(String(decoding: canonical, as: UTF8.self))")
            }
            let report = try await db.rebuildMaterialisedState(repair: false)
            #expect(report.mismatched.isEmpty)
        }
    }

    /// The same through a registration: out-of-bound registrations are refused by the store
    /// whoever calls it (import, simulator), never stored.
    @Test(arguments: StoreBackend.allCases) func aRegistrationOutOfBoundsIsRefusedByTheStore(backend: StoreBackend) async throws {
        try await backend.withNode(H.furong) { db in
            let now = Fixtures.instant("2026-11-02T09:00:00+08:00")
            var tooMany = Fixtures.registration(receivedAt: now)
            tooMany.channel = .visit
            tooMany.collective = CollectiveVisit(batches: 1, personVisits: 40)
            tooMany.petitioners = (0..<6).map { Fixtures.petitioner(name: "代表\($0)", lead: true, person: 7_000 + $0) }
            var hugeCount = Fixtures.registration(receivedAt: now)
            hugeCount.personsInvolved = Int.max
            var farPast = Fixtures.registration(receivedAt: Date(timeIntervalSince1970: -1e10))
            farPast.summary = "摘要"
            for (label, registration, code) in [
                ("six representatives", tooMany, "too-many-representatives"), ("persons involved", hugeCount, "invalid-field"),
                ("receipt far in the past", farPast, "invalid-field"),
            ] {
                await #expect(throws: StoreError.self, "\(label)") {
                    _ = try await db.register(registration, actor: "导入", now: now, receivedAtPastMaxDays: Int(Int32.max))
                }
                do { _ = try await db.register(registration, actor: "导入", now: now, receivedAtPastMaxDays: Int(Int32.max)) } catch StoreError.invalid(
                    let failure
                ) {
                    #expect(failure.code == code, "\(label): \(failure)")
                }
            }
            #expect(try await db.counts().cases == 0)
        }
    }
}
