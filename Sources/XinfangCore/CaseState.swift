public import Foundation

/// A pending or past handoff (交办/转送).
public struct Offer: Codable, Equatable, Sendable {
    public var from: NodeID
    public var to: NodeID
    public var mode: HandoffMode
    public var dueAt: Date?
    public var offeredAt: Date
    /// The status the case returns to if the receiver declines.
    public var resumeStatus: CaseStatus
    /// When the receiver declined (set on `lastDecline`).
    public var declinedAt: Date?
}

/// A 督办: who pressed, when, the feedback due date, and the holder's written feedback.
public struct Supervision: Codable, Equatable, Sendable {
    public var by: NodeID
    public var at: Date
    public var dueAt: Date
    public var note: String
    public var feedback: String?
    public var feedbackAt: Date?
}

/// A 交办 the current handler accepted: the result is owed to the assigner by `dueAt`.
public struct Assignment: Codable, Equatable, Sendable {
    public var assigner: NodeID
    public var handler: NodeID
    public var dueAt: Date?
    public var assignedAt: Date
}

/// The one extension of the handling period.
public struct Extension: Codable, Equatable, Sendable {
    public var days: Int
    public var approver: String
    public var reason: String
    public var at: Date
}

/// A written opinion: the reply, or a review or re-review decision.
public struct Opinion: Codable, Equatable, Sendable {
    public var outcome: ReplyOutcome
    public var text: String
    public var at: Date
    /// The organ that issued it (nil in states materialised before it was recorded; a rebuild fills it).
    public var by: NodeID?
    /// Its 送达 to the petitioner, once recorded.
    public var delivery: Delivery?

    public init(outcome: ReplyOutcome, text: String, at: Date, by: NodeID? = nil, delivery: Delivery? = nil) {
        self.outcome = outcome
        self.text = text
        self.at = at
        self.by = by
        self.delivery = delivery
    }

    /// The day the petitioner's window for the next stage starts from: the 送达 once recorded,
    /// the opinion's own day until then (条例 Art. 35–36: "自收到书面答复之日起").
    public func windowStart(calendar: DeadlineCalendar) -> CivilDate { delivery?.on ?? calendar.civilDate(of: at) }
}

/// The 送达 of a written opinion: when and how it reached the petitioner.
public struct Delivery: Codable, Equatable, Sendable {
    public var on: CivilDate
    public var method: DeliveryMethod
    /// 签收 (true) or 拒收 (false).
    public var signed: Bool
    public var note: String?
    /// When it was recorded.
    public var recordedAt: Date
}

/// A hearing (听证) of a review or re-review; its days are not counted in the answer period.
public struct Hearing: Codable, Equatable, Sendable {
    public var from: CivilDate
    public var to: CivilDate
    public var note: String

    /// The calendar days it took, first and last included.
    public var days: Int { to.daysSinceEpoch - from.daysSinceEpoch + 1 }
}

/// The petitioner's two ratings.
public struct Evaluation: Codable, Equatable, Sendable {
    public var office: Rating
    public var unit: Rating
    public var comment: String?
    public var at: Date
    /// How it reached the organ (nil: recorded by staff before the channel was kept).
    public var via: EvaluationChannel?
}

/// A review (复查) or re-review (复核) stage.
public struct ReviewStage: Codable, Equatable, Sendable {
    public var requestedAt: Date
    public var reason: String
    public var decision: Opinion?
    /// The organ the stage went to (nil in states materialised before it was recorded).
    public var reviewer: NodeID?
    public var hearing: Hearing?

    public init(requestedAt: Date, reason: String, decision: Opinion? = nil, reviewer: NodeID? = nil, hearing: Hearing? = nil) {
        self.requestedAt = requestedAt
        self.reason = reason
        self.decision = decision
        self.reviewer = reviewer
        self.hearing = hearing
    }
}

/// How an intake ended without acceptance (不予受理, 诉访分离, 不再受理) and why.
public struct Disposal: Codable, Equatable, Sendable {
    public var action: ActionName
    public var reason: String?
    public var channel: RouteOutChannel?
    public var earlierCase: CaseNumber?
    public var at: Date
}

/// The current state of a case: the fold of its chain, in order.
///
/// The store keeps it materialised beside the events, in the same transaction, and can rebuild it
/// from the events at any time; `CaseState.fold` is the one definition of what a chain means.
public struct CaseState: Codable, Equatable, Sendable {
    public var caseNumber: CaseNumber
    public var registration: CaseRegistration
    public var registeredAt: Date
    public var registeredAtNode: NodeID
    public var status: CaseStatus
    /// The one node that may append now (DESIGN §3).
    public var holder: NodeID
    /// The node responsible now; differs from the holder only while an offer is pending.
    public var owner: NodeID
    public var epoch: Int
    public var headSeq: Int
    public var headHash: String
    public var lastEventAt: Date
    /// When the current handler received the matter: the registration receipt, or the handoff.
    public var receivedAt: Date
    public var pendingOffer: Offer?
    public var lastDecline: Offer?
    public var assignment: Assignment?
    public var disposal: Disposal?
    public var acceptedAt: Date?
    public var extension_: Extension?
    public var reply: Opinion?
    public var closedAt: Date?
    public var closureVerifiedAt: Date?
    public var closureReturns: Int
    public var evaluation: Evaluation?
    public var review: ReviewStage?
    public var reReview: ReviewStage?
    public var terminatedAt: Date?
    public var comments: Int
    /// Every node that has held the case or been offered it, sorted: the nodes (with their
    /// ancestors) that receive its events.
    public var participants: [NodeID]
    public var supervisions: [Supervision]
    /// Cases registered later for the same matter (重复信访).
    public var repeats: [CaseNumber]
    /// Forks settled by a person (冲突处理), by the losing branch's first event; nil when none.
    public var resolutions: [ConflictResolution]?
    /// When the current holder got the token (the backlog's age is measured from here).
    public var holderSince: Date?
    /// How many times the token moved to another node (offers, declines, escalations, recalls,
    /// closure reports, review requests, takeovers).
    public var moves: Int?
    /// The node that made the intake decision (受理, 不予受理, 诉访分离, 不再受理): the unit the
    /// indicators count the case for. Nil before that decision.
    public var handler: NodeID?
    /// The case file (信访材料): every file added, withdrawn ones kept and marked; nil while none.
    public var attachments: [AttachedFile]?
    /// The written notices issued (文书), with their 送达; nil while none.
    public var notices: [NoticeRecord]?
    /// The 查询码 that opens the case on the public lookup now (the registration's, or the latest
    /// reissued one); nil when none was issued.
    public var lookup: LookupSeal?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case caseNumber, registration, registeredAt, registeredAtNode, status, holder, owner, epoch, headSeq, headHash
        case lastEventAt, receivedAt, pendingOffer, lastDecline, assignment, disposal, acceptedAt
        case extension_ = "extension"
        case reply, closedAt, closureVerifiedAt, closureReturns, evaluation, review, reReview, terminatedAt, comments
        case participants, supervisions, repeats, resolutions, holderSince, moves, handler, attachments, notices, lookup
    }

    /// The supervision still awaiting the holder's feedback, if any.
    public var openSupervision: Supervision? { supervisions.last { $0.feedbackAt == nil } }

    public mutating func addParticipant(_ node: NodeID) {
        if !participants.contains(node) {
            participants.append(node)
            participants.sort()
        }
    }

    /// Whether an assigned case's closure awaits the assigner's verification.
    public var awaitsClosureVerification: Bool { status == .closed && assignment != nil }

    /// Whether the case is work its holder still owes: open in the lifecycle, or a 交办 closure
    /// awaiting the assigner's verification.
    public var isBacklog: Bool { status.isOpen || awaitsClosureVerification }

    /// The unit the indicators count the case for: the node that made the intake decision, or,
    /// before it, the node responsible now.
    public var statisticsUnit: NodeID { handler ?? owner }

    /// The latest written opinion (处理意见, 复查意见 or 复核意见) the petitioner may contest or has
    /// received, by status; nil where none is awaiting 送达.
    public var latestOpinion: Opinion? {
        switch status {
        case .replied, .closed, .closureVerified, .evaluated: reply
        case .reviewDecided: review?.decision
        case .reReviewDecided: reReview?.decision
        default: nil
        }
    }
}

/// How a person settled the losing branch of a fork.
public struct ConflictResolution: Codable, Equatable, Sendable {
    /// The hash of the losing branch's first event.
    public var branch: String
    public var decision: ConflictDecision
    public var reason: String
    public var at: Date
}

/// A chain that does not fold: the events do not form a valid history.
public struct ChainError: Error, Equatable, Sendable, CustomStringConvertible {
    public var caseNumber: CaseNumber
    public var seq: Int
    public var reason: String
    public var description: String { "case \(caseNumber) event \(seq): \(reason)" }
}

extension CaseState {
    /// The state after the registration event that opens a chain.
    public static func opened(by event: CaseEvent) throws(ChainError) -> CaseState {
        guard case .register(let registration) = event.body, event.seq == 1, event.prevHash == nil else {
            throw ChainError(caseNumber: event.caseNumber, seq: event.seq, reason: "a chain must open with a registration at seq 1")
        }
        return CaseState(
            caseNumber: event.caseNumber,
            registration: registration,
            registeredAt: event.date,
            registeredAtNode: event.origin,
            status: .registered,
            holder: event.origin,
            owner: event.origin,
            epoch: event.epoch,
            headSeq: event.seq,
            headHash: event.hash,
            lastEventAt: event.date,
            receivedAt: registration.receivedAt,
            pendingOffer: nil,
            lastDecline: nil,
            assignment: nil,
            disposal: nil,
            acceptedAt: nil,
            extension_: nil,
            reply: nil,
            closedAt: nil,
            closureVerifiedAt: nil,
            closureReturns: 0,
            evaluation: nil,
            review: nil,
            reReview: nil,
            terminatedAt: nil,
            comments: 0,
            participants: [event.origin],
            supervisions: [],
            repeats: [],
            resolutions: nil,
            holderSince: event.date,
            moves: 0,
            handler: nil,
            lookup: registration.lookup
        )
    }

    /// Folds a whole chain, checking its links (sequence, predecessor hash, own hash); with a
    /// topology, also that every takeover came from an ancestor of the holder it displaced.
    public static func fold(_ events: [CaseEvent], topology: Topology? = nil) throws(ChainError) -> CaseState {
        guard let first = events.first else {
            throw ChainError(caseNumber: CaseNumber(rawValue: "?"), seq: 0, reason: "empty chain")
        }
        var state = try opened(by: first.checked().event)
        for event in events.dropFirst() { try state.apply(event, topology: topology) }
        return state
    }

    /// Checks the event's hash, then applies it (`apply(_:topology:)` of a checked event).
    public mutating func apply(_ event: CaseEvent, topology: Topology? = nil) throws(ChainError) {
        try apply(event.checked(), topology: topology)
    }

    /// Applies the next event of the chain, its hash already checked. The event must follow the
    /// head; the lifecycle has already checked that its action is allowed, so this only records
    /// its effect.
    ///
    /// Only the holder appends, at the case's epoch; the one exception is a takeover, appended by
    /// an ancestor of the holder (checked when a topology is given) with the epoch raised by one.
    public mutating func apply(_ checked: CaseEvent.Checked, topology: Topology? = nil) throws(ChainError) {
        let event = checked.event
        guard event.caseNumber == caseNumber, event.seq == headSeq + 1, event.prevHash == headHash else {
            throw ChainError(
                caseNumber: event.caseNumber,
                seq: event.seq,
                reason: "does not follow the head (seq \(headSeq), \(headHash.prefix(12)))"
            )
        }
        if case .act(.takeOver(let by, _)) = event.body {
            guard event.origin == by, by != holder, event.epoch == epoch + 1 else {
                throw ChainError(
                    caseNumber: caseNumber,
                    seq: event.seq,
                    reason: "a takeover is appended by the node taking over, not the holder, with the epoch raised by one"
                )
            }
            if let topology, !topology.isAncestor(by, of: holder) {
                throw ChainError(caseNumber: caseNumber, seq: event.seq, reason: "\(by) took the case over from \(holder), but is not its ancestor")
            }
        } else {
            guard event.origin == holder else {
                throw ChainError(caseNumber: caseNumber, seq: event.seq, reason: "appended by \(event.origin), but the holder is \(holder)")
            }
            guard event.epoch == epoch else {
                throw ChainError(caseNumber: caseNumber, seq: event.seq, reason: "epoch \(event.epoch), but the case is at epoch \(epoch)")
            }
        }
        let action: CaseAction
        switch event.body {
        case .register:
            throw ChainError(caseNumber: caseNumber, seq: event.seq, reason: "a registration may only open a chain")
        case .refuse:
            advanceHead(to: event)  // a refused command is history; the case itself does not change
            return
        case .act(let applied):
            action = applied
        }
        let at = event.date
        let previousHolder = holder
        record(action, at: at, by: event.origin)
        recordFile(action, actor: event.actor, origin: event.origin, at: at)
        recordNotice(action, actor: event.actor, origin: event.origin, at: at)
        if holder != previousHolder {
            holderSince = at
            moves = (moves ?? 0) + 1
        }
        advanceHead(to: event)
    }

    /// The effect of an action appended at `at` by `origin`.
    mutating func record(_ action: CaseAction, at: Date, by origin: NodeID) {
        switch action.name {
        case .offer, .escalate, .accept, .decline, .recall, .takeOver: recordHandoff(action, at: at)
        case .evaluate, .requestReview, .decideReview, .requestReReview, .decideReReview, .deliver, .hearing: recordReview(action, at: at, by: origin)
        default: recordHandling(action, at: at, by: origin)
        }
    }

    /// Offers, escalations, their answers, recalls and takeovers: who holds the case.
    mutating func recordHandoff(_ action: CaseAction, at: Date) {
        switch action {
        case .offer(let to, let mode, let dueAt, _):
            pendingOffer = Offer(from: holder, to: to, mode: mode, dueAt: dueAt, offeredAt: at, resumeStatus: .declined)
            holder = to
            addParticipant(to)
            status = .offered
        case .escalate(let to, _, _):
            pendingOffer = Offer(
                from: holder,
                to: to,
                mode: .escalate,
                dueAt: nil,
                offeredAt: at,
                resumeStatus: CaseStatus.intake.contains(status) ? .declined : status
            )
            holder = to
            addParticipant(to)
            status = .offered
        case .accept:
            if let offer = pendingOffer {
                owner = offer.to
                holder = offer.to
                receivedAt = offer.offeredAt
                assignment =
                    offer.mode == .assign ? Assignment(assigner: offer.from, handler: offer.to, dueAt: offer.dueAt, assignedAt: offer.offeredAt) : nil
            }
            pendingOffer = nil
            status = .received
        case .decline:
            if let offer = pendingOffer {
                holder = offer.from
                owner = offer.from
                lastDecline = offer
                lastDecline?.declinedAt = at
                status = offer.resumeStatus
            } else {
                status = .declined
            }
            pendingOffer = nil
        case .recall(let by, _):
            holder = by
            owner = by
            addParticipant(by)
            pendingOffer = nil
            assignment = nil
            acceptedAt = nil
            handler = nil
            extension_ = nil
            receivedAt = at
            status = .received
        case .takeOver(let by, _):
            if status == .offered {
                status = .received
                receivedAt = at
            }
            pendingOffer = nil
            holder = by
            owner = by
            addParticipant(by)
        default: break
        }
    }

    /// A 复查 or 复核 request opens its stage; the organ it names takes the case (nil: the holder
    /// reviews it itself).
    mutating func request(_ stage: WritableKeyPath<CaseState, ReviewStage?>, _ requested: CaseStatus, reason: String, reviewer: NodeID?, at: Date) {
        self[keyPath: stage] = ReviewStage(requestedAt: at, reason: reason, reviewer: reviewer ?? holder)
        status = requested
        guard let reviewer else { return }
        holder = reviewer
        owner = reviewer
        addParticipant(reviewer)
    }

    /// The petitioner's evaluation, review and re-review, and the 送达 and 听证 of their opinions.
    mutating func recordReview(_ action: CaseAction, at: Date, by origin: NodeID) {
        switch action {
        case .evaluate(let office, let unit, let comment, let via):
            evaluation = Evaluation(office: office, unit: unit, comment: comment, at: at, via: via)
            status = .evaluated
        case .requestReview(let reason, let reviewer, _):
            request(\.review, .reviewRequested, reason: reason, reviewer: reviewer, at: at)
        case .decideReview(let outcome, let opinion):
            review?.decision = Opinion(outcome: outcome, text: opinion, at: at, by: origin)
            status = .reviewDecided
        case .requestReReview(let reason, let reviewer, _):
            request(\.reReview, .reReviewRequested, reason: reason, reviewer: reviewer, at: at)
        case .decideReReview(let outcome, let opinion):
            reReview?.decision = Opinion(outcome: outcome, text: opinion, at: at, by: origin)
            status = .reReviewDecided
        case .deliver(let on, let method, let signed, let note):
            let delivery = Delivery(on: on, method: method, signed: signed, note: note, recordedAt: at)
            switch status {
            case .reviewDecided: review?.decision?.delivery = delivery
            case .reReviewDecided: reReview?.decision?.delivery = delivery
            default: reply?.delivery = delivery
            }
        case .hearing(let from, let to, let note):
            let hearing = Hearing(from: from, to: to, note: note)
            if status == .reReviewRequested { reReview?.hearing = hearing } else { review?.hearing = hearing }
        default: break
        }
    }

    /// Handling at the holder: acceptance or disposal, extension, reply, closure and its
    /// verification, termination, comments, supervision, repeats and conflict resolutions.
    mutating func recordHandling(_ action: CaseAction, at: Date, by origin: NodeID) {
        switch action {
        case .notify:
            acceptedAt = at
            handler = holder
            status = .accepted
        case .reject(let reason):
            disposal = Disposal(action: .reject, reason: reason, at: at)
            handler = holder
            status = .rejected
        case .routeOut(let channel, let note):
            disposal = Disposal(action: .routeOut, reason: note, channel: channel, at: at)
            handler = holder
            status = .routedOut
        case .refuseRepeat(let earlier, let reason):
            disposal = Disposal(action: .refuseRepeat, reason: reason, earlierCase: earlier, at: at)
            handler = holder
            status = .refusedRepeat
        case .extend(let days, let approver, let reason):
            extension_ = Extension(days: days, approver: approver, reason: reason, at: at)
            status = .extended
        case .reply(let outcome, let opinion):
            reply = Opinion(outcome: outcome, text: opinion, at: at, by: origin)
            status = .replied
        case .close:
            closedAt = at
            status = .closed
            if let assignment {
                // The closure report goes to the assigner, who holds the case until it verifies or returns it.
                holder = assignment.assigner
                owner = assignment.assigner
            }
        case .verifyClosure:
            closureVerifiedAt = at
            status = .closureVerified
        case .returnClosure:
            if let assignment {
                holder = assignment.handler
                owner = assignment.handler
            }
            closureReturns += 1
            reply = nil
            closedAt = nil
            status = extension_ == nil ? .accepted : .extended
        case .terminate:
            terminatedAt = at
            status = .terminated
        case .comment:
            comments += 1
        case .supervise(let by, let dueAt, let note):
            supervisions.append(Supervision(by: by, at: at, dueAt: dueAt, note: note))
        case .supervisionFeedback(let text):
            if let index = supervisions.lastIndex(where: { $0.feedbackAt == nil }) {
                supervisions[index].feedback = text
                supervisions[index].feedbackAt = at
            }
        case .repeatPetition(let newCase, _):
            if !repeats.contains(newCase) { repeats.append(newCase) }
        case .resolveConflict(let branch, let decision, let reason):
            resolutions = (resolutions ?? []) + [ConflictResolution(branch: branch, decision: decision, reason: reason, at: at)]
        case .reissueLookupCode(let seal):
            lookup = seal
        case .returnToSender(let reason, let note):
            disposal = Disposal(action: .returnToSender, reason: [reason.label, note].compactMap { $0 }.joined(separator: "："), at: at)
            status = .returnedToSender
        default: break
        }
    }

    mutating func advanceHead(to event: CaseEvent) {
        headSeq = event.seq
        headHash = event.hash
        epoch = event.epoch
        lastEventAt = event.date
    }
}
