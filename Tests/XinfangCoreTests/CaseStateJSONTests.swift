import Foundation
import Testing
import XinfangTesting

@testable import XinfangCore

/// A case's state written by hand (`CaseState.canonicalJSON`) must be the encoder's bytes: the
/// store keeps it and every reader decodes it, and a field the writer forgot would be lost.
struct CaseStateJSONTests {
    static let now = Fixtures.instant("2026-11-02T09:00:00+08:00")

    static func byEncoder(_ state: CaseState) throws -> String {
        String(decoding: try CanonicalJSON.encoder.encode(state), as: UTF8.self)
    }

    /// The state read by hand (`CaseState(reading:)`), nil when the reader does not take it.
    static func readByHand(_ json: String) -> CaseState? {
        CanonicalJSONReader.read(json) { r throws(CanonicalJSONReader.Unreadable) in try CaseState(reading: &r) }
    }

    /// Every state of a story, from registration through review and re-review.
    @Test func everyStateOfAStoryIsWrittenAsTheEncoderWritesIt() throws {
        var b = try ChainBuilder(node: Fixtures.province, now: Self.now)
        var states = [b.state]
        let steps: [(CaseAction, NodeID?)] = [
            (.offer(to: Fixtures.county, mode: .assign, dueAt: Self.now.addingTimeInterval(30 * 86_400), note: "请办理"), nil),
            (.accept, Fixtures.county), (.notify(note: "已受理"), nil), (.extend(days: 30, approver: "局长", reason: "复杂"), nil),
            (.reply(outcome: .explained, opinion: "解释说明\n（见附件）"), nil), (.close(report: "办结报告"), nil),
            (.verifyClosure(note: "认定办结"), Fixtures.province),
        ]
        for (action, node) in steps {
            try b.act(action, as: node)
            states.append(b.state)
        }
        #expect(b.state.assignment != nil && b.state.extension_ != nil && b.state.reply != nil && b.state.closedAt != nil)
        for state in states {
            let written = try state.canonicalJSON()
            #expect(written == (try Self.byEncoder(state)))
            // Read back by hand to the decoder's state (its dates are whole milliseconds).
            let decoded = try CanonicalJSON.decoder.decode(CaseState.self, from: Data(written.utf8))
            #expect(Self.readByHand(written) == decoded, "read by hand: \(state.status)")
            #expect(try CaseState.decodeCanonical(written) == decoded)
        }
    }

    /// A state with every optional field set and every array filled: each is written, in the
    /// encoder's order, and the JSON decodes to the same state.
    @Test func aStateWithEveryFieldIsWrittenAsTheEncoderWritesIt() throws {
        var state = try ChainBuilder(now: Self.now).state
        // Whole milliseconds, as the decoder makes them, so the state decodes equal.
        let at = Date(timeIntervalSince1970: Double(CanonicalJSON.milliseconds(Self.now) + 3_600_400) / 1_000)
        let county = Fixtures.county
        let opinion = Opinion(
            outcome: .supported,
            text: "支持 \"引号\"",
            at: at,
            by: county,
            delivery: Delivery(on: Fixtures.day("2026-11-05"), method: .mail, signed: false, note: "拒收", recordedAt: at)
        )
        let offer = Offer(from: county, to: Fixtures.province, mode: .transfer, dueAt: at, offeredAt: at, resumeStatus: .accepted, declinedAt: at)
        state.pendingOffer = offer
        state.lastDecline = offer
        state.assignment = Assignment(assigner: Fixtures.province, handler: county, dueAt: at, assignedAt: at)
        state.disposal = Disposal(action: .reject, reason: "不符合", channel: .laborArbitration, earlierCase: state.caseNumber, at: at)
        state.acceptedAt = at
        state.extension_ = Extension(days: 30, approver: "局长", reason: "复杂", at: at)
        state.reply = opinion
        state.closedAt = at
        state.closureVerifiedAt = at
        state.closureReturns = 2
        state.evaluation = Evaluation(office: .satisfied, unit: .dissatisfied, comment: "仍有意见", at: at, via: nil)
        let hearing = Hearing(from: Fixtures.day("2026-11-06"), to: Fixtures.day("2026-11-07"), note: "听证")
        state.review = ReviewStage(requestedAt: at, reason: "不服", decision: opinion, reviewer: Fixtures.province, hearing: hearing)
        state.reReview = ReviewStage(requestedAt: at, reason: "仍不服")
        state.terminatedAt = at
        state.comments = 3
        state.addParticipant(Fixtures.province)
        state.supervisions = [Supervision(by: Fixtures.province, at: at, dueAt: at, note: "请反馈", feedback: "已整改", feedbackAt: at)]
        state.repeats = [CaseNumber(rawValue: "430000-20261103-00001"), CaseNumber(rawValue: "430000-20261103-00002")]
        state.resolutions = [ConflictResolution(branch: String(repeating: "ab", count: 32), decision: .adopt, reason: "采纳", at: at)]
        state.holderSince = at
        state.moves = 4
        state.handler = county
        let file = AttachmentRef(sha256: String(repeating: "cd", count: 32), size: 9, mediaType: .pdf, fileName: "来信.pdf", stage: .registration)
        state.attachments = [
            AttachedFile(file: file, addedBy: "登记员", origin: county, at: at, withdrawn: .init(by: "登记员", at: at, reason: "误传"))
        ]
        state.notices = [
            NoticeRecord(kind: .handlingOpinion, docNumber: "芙人社信〔2026〕7号", sha256: String(repeating: "ef", count: 32), size: 8, occasion: "x")
        ]
        state.lookup = LookupSeal(digest: String(repeating: "01", count: 32), sealed: SealedValue(alg: "a", kid: "k", box: "b"))
        let written = try state.canonicalJSON()
        #expect(written == (try Self.byEncoder(state)))
        #expect(try CanonicalJSON.decoder.decode(CaseState.self, from: Data(written.utf8)) == state)
        #expect(Self.readByHand(written) == state, "every field read by hand")
        // With whitespace, the reader leaves it to the decoder, which reads the same state.
        let spaced = written.replacingOccurrences(of: #"{"acceptedAt""#, with: #"{ "acceptedAt""#)
        #expect(Self.readByHand(spaced) == nil)
        #expect(try CaseState.decodeCanonical(spaced) == state)
        // The encoder leaves out only nil optionals: with every one set, each key the state codes is written.
        let keys = try #require(try JSONSerialization.jsonObject(with: Data(written.utf8)) as? [String: Any]).keys
        #expect(Set(keys) == Set(CaseState.CodingKeys.allCases.map(\.stringValue)))
    }

    /// The registration's JSON is copied from the register event's body only while the state still
    /// holds the registration that event made; otherwise it is encoded.
    @Test func theRegistrationIsCopiedFromTheEventThatOpenedTheCaseOnlyWhenItIsTheSame() throws {
        let opening = try ChainBuilder(now: Self.now).events[0].encoded()
        let copied = try #require(opening.registrationJSON)
        guard case .register(let registration) = opening.event.body else {
            Issue.record("not a registration")
            return
        }
        #expect(Array(copied) == Array(try CanonicalJSON.encoder.encode(registration)))
        var state = try CaseState.opened(by: opening.event)
        #expect(try state.canonicalJSON(opening: opening) == Self.byEncoder(state))
        state.registration.summary = "另一事项"
        let written = try state.canonicalJSON(opening: opening)
        #expect(written == (try Self.byEncoder(state)))
        #expect(written.contains("另一事项"))
        let action = try ChainBuilder(now: Self.now)
        #expect(action.events[0].encoded().registrationJSON != nil)
        var acted = action
        try acted.act(.notify(note: nil))
        #expect(acted.events[1].encoded().registrationJSON == nil, "only a register event's body holds a registration")
    }
}
