import Foundation
import Testing
import XinfangCore
import XinfangTesting

/// Every action from every lifecycle status: the allowed ones move the case to the expected status,
/// the refused ones throw the expected code and change nothing. The expected table is written out
/// here by hand, independently of `Lifecycle.allowedFrom`, so a change to the rules fails a row.
struct LifecycleTransitionTests {
    static let start = Fixtures.instant("2026-11-02T09:00:00+08:00")
    static let county = Fixtures.county
    static let province = Fixtures.province

    /// How to bring a fresh case into each status (and the variant of a 交办 closure).
    enum Situation: String, CaseIterable, CustomTestStringConvertible {
        case registered, offered, received, declined, rejected, routedOut, refusedRepeat, accepted, extended, replied
        case closed, closedAssigned, closureVerified, evaluated, reviewRequested, reviewDecided, reReviewRequested
        case reReviewDecided, terminated

        var testDescription: String { rawValue }

        func build() throws -> ChainBuilder {
            switch self {
            case .registered: return try ChainBuilder(node: county, now: start)
            case .offered:
                var b = try Self.registered.build()
                try b.act(.offer(to: Fixtures.otherCounty, mode: .transfer, dueAt: nil, note: nil))
                return b
            case .received:
                var b = try ChainBuilder(node: province, now: start)
                try b.act(.offer(to: county, mode: .transfer, dueAt: nil, note: nil))
                try b.act(.accept)
                return b
            case .declined:
                var b = try Self.offered.build()
                try b.act(.decline(reason: "不属本单位职责"))
                return b
            case .rejected:
                var b = try Self.registered.build()
                try b.act(.reject(reason: "已进入诉讼程序"))
                return b
            case .routedOut:
                var b = try Self.registered.build()
                try b.act(.routeOut(channel: .laborArbitration, note: nil))
                return b
            case .refusedRepeat:
                var b = try Self.registered.build()
                try b.act(.refuseRepeat(earlierCase: nil, reason: "已复核终结"))
                return b
            case .accepted:
                var b = try Self.registered.build()
                try b.act(.notify(note: nil))
                return b
            case .extended:
                var b = try Self.accepted.build()
                try b.act(.extend(days: 30, approver: "局长", reason: "情况复杂"))
                return b
            case .replied:
                var b = try Self.accepted.build()
                try b.act(.reply(outcome: .supported, opinion: "支持"))
                return b
            case .closed:
                var b = try Self.replied.build()
                try b.act(.close(report: nil))
                return b
            case .closedAssigned:
                var b = try ChainBuilder(node: province, now: start)
                try b.act(.offer(to: county, mode: .assign, dueAt: start.addingTimeInterval(40 * 86_400), note: nil))
                try b.act(.accept)
                try b.act(.notify(note: nil))
                try b.act(.reply(outcome: .supported, opinion: "支持"))
                try b.act(.close(report: "办结报告"))
                return b
            case .closureVerified:
                var b = try Self.closedAssigned.build()
                try b.act(.verifyClosure(note: nil))
                return b
            case .evaluated:
                var b = try Self.closed.build()
                try b.act(.evaluate(office: .satisfied, unit: .dissatisfied, comment: nil))
                return b
            case .reviewRequested:
                var b = try Self.closed.build()
                try b.act(.requestReview(reason: "不服", reviewer: nil))
                return b
            case .reviewDecided:
                var b = try Self.reviewRequested.build()
                try b.act(.decideReview(outcome: .notSupported, opinion: "维持"))
                return b
            case .reReviewRequested:
                var b = try Self.reviewDecided.build()
                try b.act(.requestReReview(reason: "仍不服", reviewer: nil))
                return b
            case .reReviewDecided:
                var b = try Self.reReviewRequested.build()
                try b.act(.decideReReview(outcome: .notSupported, opinion: "维持"))
                return b
            case .terminated:
                var b = try Self.reReviewDecided.build()
                try b.act(.terminate(reason: "复核终结"))
                return b
            }
        }
    }

    /// One sample of every single-node action.
    static let samples: [CaseAction] = [
        .offer(to: Fixtures.otherCounty, mode: .transfer, dueAt: nil, note: nil), .accept, .decline(reason: "不属本单位"),
        .notify(note: nil), .reject(reason: "r"), .routeOut(channel: .litigation, note: nil),
        .refuseRepeat(earlierCase: nil, reason: "r"), .extend(days: 10, approver: "a", reason: "r"),
        .reply(outcome: .explained, opinion: "o"), .close(report: nil), .verifyClosure(note: nil),
        .returnClosure(reason: "r"), .evaluate(office: .satisfied, unit: .satisfied, comment: nil),
        .requestReview(reason: "r", reviewer: nil), .decideReview(outcome: .supported, opinion: "o"), .requestReReview(reason: "r", reviewer: nil),
        .decideReReview(outcome: .supported, opinion: "o"), .terminate(reason: "r"), .comment(text: "t"),
        .escalate(to: Fixtures.city, reason: "无法化解"), .recall(by: Fixtures.city, reason: "提级办理"),
        .supervise(by: Fixtures.city, dueAt: Fixtures.instant("2027-01-31T00:00:00+08:00"), note: "请加快办理"),
        .supervisionFeedback(text: "已整改"), .repeatPetition(newCase: CaseNumber(rawValue: "430000-20261103-00001"), note: nil),
        .deliver(on: DeadlineCalendar.standard.civilDate(of: start), method: .inPerson, signed: true, note: nil),
        .hearing(from: DeadlineCalendar.standard.civilDate(of: start), to: DeadlineCalendar.standard.civilDate(of: start), note: "听证"),
        .attach(AttachmentRef(sha256: String(repeating: "ab", count: 32), size: 10, mediaType: .pdf, fileName: "来信.pdf", stage: .other)),
        .withdrawAttachment(sha256: String(repeating: "cd", count: 32), reason: "误传"),
    ]

    /// The expected table: for each situation, the allowed actions and the status each leads to;
    /// every other action is refused with the code given (illegal-transition unless listed).
    static let expected: [Situation: (allowed: [ActionName: CaseStatus], refusedCodes: [ActionName: String])] = [
        .registered: (
            [
                .escalate: .offered, .recall: .received, .supervise: .registered, .repeatPetition: .registered, .offer: .offered, .notify: .accepted,
                .reject: .rejected, .routeOut: .routedOut, .refuseRepeat: .refusedRepeat, .comment: .registered,
            ],
            [:]
        ),
        .offered: (
            [.recall: .received, .supervise: .offered, .repeatPetition: .offered, .accept: .received, .decline: .declined, .comment: .offered], [:]
        ),
        .received: (
            [
                .escalate: .offered, .recall: .received, .supervise: .received, .repeatPetition: .received, .offer: .offered, .notify: .accepted,
                .reject: .rejected, .routeOut: .routedOut, .refuseRepeat: .refusedRepeat, .comment: .received,
            ], [:]
        ),
        .declined: (
            [
                .escalate: .offered, .recall: .received, .supervise: .declined, .repeatPetition: .declined, .offer: .offered, .notify: .accepted,
                .reject: .rejected, .routeOut: .routedOut, .refuseRepeat: .refusedRepeat, .comment: .declined,
            ], [:]
        ),
        .rejected: ([.repeatPetition: .rejected, .comment: .rejected], [:]),
        .routedOut: ([.repeatPetition: .routedOut, .comment: .routedOut], [:]),
        .refusedRepeat: ([.repeatPetition: .refusedRepeat, .comment: .refusedRepeat], [:]),
        .accepted: (
            [
                .escalate: .offered, .recall: .received, .supervise: .accepted, .repeatPetition: .accepted, .extend: .extended, .reply: .replied,
                .comment: .accepted,
            ], [:]
        ),
        .extended: (
            [.escalate: .offered, .recall: .received, .supervise: .extended, .repeatPetition: .extended, .reply: .replied, .comment: .extended], [:]
        ),
        .replied: ([.supervise: .replied, .repeatPetition: .replied, .close: .closed, .comment: .replied, .deliver: .replied], [:]),
        .closed: (
            [
                .supervise: .closed, .repeatPetition: .closed, .evaluate: .evaluated, .requestReview: .reviewRequested, .comment: .closed,
                .deliver: .closed,
            ],
            [.verifyClosure: "not-awaiting-verification", .returnClosure: "not-awaiting-verification", .terminate: "period-open"]
        ),
        .closedAssigned: (
            [
                .supervise: .closed, .repeatPetition: .closed, .verifyClosure: .closureVerified, .returnClosure: .accepted, .comment: .closed,
                .deliver: .closed,
            ],
            [
                .evaluate: "closure-awaiting-verification", .requestReview: "closure-awaiting-verification",
                .terminate: "closure-awaiting-verification",
            ]
        ),
        .closureVerified: (
            [
                .repeatPetition: .closureVerified, .evaluate: .evaluated, .requestReview: .reviewRequested, .comment: .closureVerified,
                .deliver: .closureVerified,
            ],
            [.terminate: "period-open"]
        ),
        .evaluated: (
            [.repeatPetition: .evaluated, .requestReview: .reviewRequested, .comment: .evaluated, .deliver: .evaluated], [.terminate: "period-open"]
        ),
        .reviewRequested: (
            [
                .supervise: .reviewRequested, .repeatPetition: .reviewRequested, .decideReview: .reviewDecided, .comment: .reviewRequested,
                .hearing: .reviewRequested,
            ], [:]
        ),
        .reviewDecided: (
            [.repeatPetition: .reviewDecided, .requestReReview: .reReviewRequested, .comment: .reviewDecided, .deliver: .reviewDecided],
            [.terminate: "period-open"]
        ),
        .reReviewRequested: (
            [
                .supervise: .reReviewRequested, .repeatPetition: .reReviewRequested, .decideReReview: .reReviewDecided,
                .comment: .reReviewRequested, .hearing: .reReviewRequested,
            ],
            [:]
        ),
        .reReviewDecided: (
            [.repeatPetition: .reReviewDecided, .terminate: .terminated, .comment: .reReviewDecided, .deliver: .reReviewDecided], [:]
        ),
        .terminated: ([.repeatPetition: .terminated, .comment: .terminated], [:]),
    ]

    @Test(arguments: Situation.allCases)
    func everyActionFromEveryStatus(_ situation: Situation) throws {
        var expectation = try #require(Self.expected[situation])
        let fresh = try situation.build()
        // Material joins the case file in every status and changes none; with nothing attached
        // there is nothing to withdraw.
        expectation.allowed[.attach] = fresh.state.status
        expectation.refusedCodes[.withdrawAttachment] = "no-attachment"
        let context = ActionContext(node: fresh.state.holder, now: fresh.now.addingTimeInterval(60), calendar: .standard)
        #expect(
            Set(Lifecycle.availableActions(on: fresh.state, context: context)) == Set(expectation.allowed.keys.filter { !$0.isCommandOnly }),
            "what the API offers is what succeeds"
        )
        for action in Self.samples {
            var builder = try situation.build()
            let before = builder.state
            if let next = expectation.allowed[action.name] {
                try builder.act(action)
                #expect(builder.state.status == next, "\(situation) + \(action.name) should lead to \(next)")
                #expect(builder.state.headSeq == before.headSeq + 1)
            } else {
                let defaultCode = action.name == .supervisionFeedback && situation != .terminated ? "no-open-supervision" : "illegal-transition"
                let code = expectation.refusedCodes[action.name] ?? defaultCode
                #expect(throws: LifecycleError.self, "\(situation) must refuse \(action.name)") { try builder.act(action) }
                do {
                    try builder.act(action)
                } catch let error as LifecycleError {
                    #expect(error.code == code, "\(situation) + \(action.name): \(error)")
                    if case .illegalTransition(_, let status, _) = error {
                        #expect(status == before.status)
                        #expect(error.description.contains(before.status.rawValue), "the refusal names the state")
                    }
                }
                #expect(builder.state == before, "a refused action changes nothing")
            }
        }
    }

    @Test func onlyTheHolderMayAppend() throws {
        var b = try ChainBuilder(node: Self.county, now: Self.start)
        #expect(throws: LifecycleError.notHolder(holder: Self.county)) { try b.act(.notify(note: nil), as: Self.province) }
        try b.act(.offer(to: Fixtures.otherCounty, mode: .transfer, dueAt: nil, note: nil))
        // The token moved with the offer: the offerer can no longer act, the receiver can.
        #expect(throws: LifecycleError.notHolder(holder: Fixtures.otherCounty)) { try b.act(.comment(text: "x"), as: Self.county) }
        try b.act(.accept, as: Fixtures.otherCounty)
        #expect(b.state.owner == Fixtures.otherCounty && b.state.holder == Fixtures.otherCounty)
    }

    @Test func offerToSelfIsRefused() throws {
        var b = try ChainBuilder(node: Self.county, now: Self.start)
        #expect(throws: LifecycleError.offerToSelf) { try b.act(.offer(to: Self.county, mode: .transfer, dueAt: nil, note: nil)) }
    }

    @Test func declineReturnsTokenToOfferer() throws {
        var b = try ChainBuilder(node: Self.county, now: Self.start)
        try b.act(.offer(to: Fixtures.otherCounty, mode: .transfer, dueAt: nil, note: nil))
        #expect(b.state.holder == Fixtures.otherCounty && b.state.owner == Self.county, "while offered, the receiver holds and the offerer owns")
        try b.act(.decline(reason: "问题属地不在本区"))
        #expect(b.state.holder == Self.county && b.state.owner == Self.county && b.state.status == .declined)
        #expect(b.state.lastDecline?.to == Fixtures.otherCounty)
    }

    @Test func declineAfterFiveWorkingDaysIsRefused() throws {
        // Offered on Monday 2026-11-02: the objection period ends on Monday 2026-11-09.
        var b = try ChainBuilder(node: Self.county, now: Self.start)
        try b.act(.offer(to: Fixtures.otherCounty, mode: .transfer, dueAt: nil, note: nil))
        b.advance(days: 8)
        #expect(throws: LifecycleError.periodEnded(.objection, dueDate: Fixtures.day("2026-11-09"))) {
            try b.act(.decline(reason: "太晚了"))
        }
        try b.act(.accept)
        #expect(b.state.status == .received)
    }

    @Test func assignedClosureGoesToAssignerAndReturnBringsTokenBack() throws {
        var b = try LifecycleTransitionTests.Situation.closedAssigned.build()
        #expect(b.state.holder == Self.province, "the closure report goes to the assigner")
        try b.act(.returnClosure(reason: "事实不清，退回重办"))
        #expect(b.state.holder == Self.county && b.state.status == .accepted && b.state.closureReturns == 1)
        try b.act(.extend(days: 15, approver: "局长", reason: "重办需要时间"))
        try b.act(.reply(outcome: .supported, opinion: "重新答复"))
        try b.act(.close(report: "重办报告"))
        try b.act(.verifyClosure(note: "认定办结"))
        #expect(b.state.status == .closureVerified && b.state.holder == Self.province)
    }

    @Test func returnAfterExtensionResumesExtendedSoNoSecondExtension() throws {
        var b = try ChainBuilder(node: Self.province, now: Self.start)
        try b.act(.offer(to: Self.county, mode: .assign, dueAt: Self.start.addingTimeInterval(80 * 86_400), note: nil))
        try b.act(.accept)
        try b.act(.notify(note: nil))
        try b.act(.extend(days: 30, approver: "局长", reason: "复杂"))
        try b.act(.reply(outcome: .supported, opinion: "o"))
        try b.act(.close(report: nil))
        try b.act(.returnClosure(reason: "重办"))
        #expect(b.state.status == .extended)
        #expect(throws: LifecycleError.self) { try b.act(.extend(days: 5, approver: "局长", reason: "again")) }
    }

    @Test func extensionAfterHandlingDeadlineIsRefused() throws {
        var b = try Situation.accepted.build()
        b.advance(days: 64)  // 60 days end on 2027-01-01, 元旦: the period ends on Monday 2027-01-04
        #expect(throws: LifecycleError.periodEnded(.handling, dueDate: Fixtures.day("2027-01-04"))) {
            try b.act(.extend(days: 30, approver: "局长", reason: "太晚"))
        }
    }

    @Test func reviewWindowClosesAfterThirtyDaysThenTerminationIsAllowed() throws {
        var b = try Situation.closed.build()
        b.advance(days: 31)
        #expect(throws: LifecycleError.self) { try b.act(.requestReview(reason: "晚了", reviewer: nil)) }
        try b.act(.terminate(reason: "复查申请期限届满"))
        #expect(b.state.status == .terminated)
    }

    @Test func reReviewWindowClosesAfterThirtyDays() throws {
        var b = try Situation.reviewDecided.build()
        b.advance(days: 31)
        do {
            try b.act(.requestReReview(reason: "晚了", reviewer: nil))
            Issue.record("a late re-review request must be refused")
        } catch let error as LifecycleError {
            #expect(error.code == "period-ended")
        }
        try b.act(.terminate(reason: "复核申请期限届满"))
        #expect(b.state.status == .terminated)
    }

    @Test func everyContractActionHasALabelAndHierarchyActionsAreMarked() {
        for name in ActionName.allCases { #expect(!name.label.isEmpty) }
        #expect(ActionName.allCases.filter(\.needsHierarchy) == [.escalate, .recall, .supervise, .repeatPetition, .takeOver, .resolveConflict])
        #expect(ActionName.allCases.filter(\.isCommandOnly) == [.recall, .supervise, .repeatPetition])
    }
}
