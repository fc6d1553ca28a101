public import Foundation

/// The statutory periods of a case (domain rules §2 and §8).
public enum DeadlineKind: String, Codable, Sendable, CaseIterable {
    /// 受理告知: 15 days from receipt (条例 Art. 22–23).
    case notice
    /// 异议: the receiver of a handoff may object within 5 working days (条例 Art. 23 ¶3).
    case objection
    /// 办理: 60 days from acceptance, plus an approved extension of at most 30 (条例 Art. 34).
    case handling
    /// 交办: the result is owed to the assigner by the date it set (条例 Art. 22(3)).
    case assignment
    /// The petitioner may ask for 复查 within 30 days of the written reply (条例 Art. 35).
    case reviewRequestWindow
    /// The reviewer answers within 30 days of the request.
    case reviewDecision
    /// The petitioner may ask for 复核 within 30 days of the review opinion (条例 Art. 36).
    case reReviewRequestWindow
    /// The re-reviewer answers within 30 days of the request.
    case reReviewDecision

    public var label: String {
        switch self {
        case .notice: "受理告知期限"
        case .objection: "异议期限（5个工作日）"
        case .handling: "办理期限"
        case .assignment: "交办期限"
        case .reviewRequestWindow: "复查申请期限"
        case .reviewDecision: "复查答复期限"
        case .reReviewRequestWindow: "复核申请期限"
        case .reReviewDecision: "复核答复期限"
        }
    }

    /// Whether the deadline binds an organ (and so can be overdue), rather than bounding a petitioner's window.
    public var isObligation: Bool { self != .reviewRequestWindow && self != .reReviewRequestWindow }
}

/// One computed deadline of a case.
public struct Deadline: Codable, Equatable, Sendable {
    public var kind: DeadlineKind
    /// The last day of the period (China Standard Time by default).
    public var dueDate: CivilDate
    /// The last millisecond of that day.
    public var dueAt: Date
    /// When the obligation was met, or the window used; nil while open.
    public var metAt: Date?

    /// Whether an organ's obligation was missed: unmet past its end, or met late.
    public func isOverdue(now: Date) -> Bool {
        guard kind.isObligation else { return false }
        if let metAt { return metAt > dueAt }
        return now > dueAt
    }

    /// Whether the period is still running (unmet and not past its end).
    public func isOpen(now: Date) -> Bool { metAt == nil && now <= dueAt }
}

/// The statutory numbers, named once.
public enum StatutoryPeriods {
    /// 受理告知 (条例 Art. 22–23).
    public static let noticeDays = 15
    /// 异议 (条例 Art. 23 ¶3).
    public static let objectionWorkingDays = 5
    /// 办理 (条例 Art. 34), before an extension of at most `ActionLimits.extensionDaysMax`.
    public static let handlingDays = 60
    /// The petitioner's 复查 and 复核 request windows (条例 Art. 35, 36).
    public static let reviewRequestDays = 30
    /// The reviewer's and re-reviewer's answer periods (条例 Art. 35, 36), hearing days not counted.
    public static let reviewDecisionDays = 30
}

extension DeadlineCalendar {
    /// A deadline of `kind` that runs `days` days from the day after `start` (民法典 Art. 201, 203).
    func period(_ kind: DeadlineKind, days: Int, from start: CivilDate, workingDays: Bool = false, metAt: Date?) -> Deadline {
        let last = workingDays ? addingWorkingDays(days, to: start) : addingStatutoryDays(days, to: start)
        return Deadline(kind: kind, dueDate: last, dueAt: endOfDay(last), metAt: metAt)
    }

    /// A due date an organ set (交办, 督办): the whole civil day of `dueAt`, moved to the first
    /// working day after it when it is a rest day, as every period's last day is.
    public func dueDay(of dueAt: Date) -> CivilDate { firstWorkingDay(onOrAfter: civilDate(of: dueAt)) }

    /// The instant a due date an organ set ends: 24:00 of `dueDay(of:)`.
    public func dueEnd(of dueAt: Date) -> Date { endOfDay(dueDay(of: dueAt)) }
}

extension CaseState {
    /// Every deadline that applies to the case so far, computed from its chain and a calendar.
    ///
    /// Each period starts the day after its event, in the calendar's civil time, and ends at
    /// 24:00 of its last day, moved to the next working day when that is a rest day (`DeadlineCalendar`).
    /// The case view, the flags, the dashboard, the CSV and the indicators all read these.
    public func deadlines(calendar: DeadlineCalendar) -> [Deadline] {
        typealias P = StatutoryPeriods
        var result: [Deadline] = []
        func day(_ instant: Date) -> CivilDate { calendar.civilDate(of: instant) }
        if let offer = pendingOffer {
            result.append(calendar.period(.objection, days: P.objectionWorkingDays, from: day(offer.offeredAt), workingDays: true, metAt: nil))
        } else {
            result.append(noticeDeadline(calendar: calendar))
        }
        if let acceptedAt {
            result.append(calendar.period(.handling, days: P.handlingDays + (extension_?.days ?? 0), from: day(acceptedAt), metAt: reply?.at))
        }
        if let assignment, let due = assignment.dueAt {
            let last = calendar.dueDay(of: due)
            result.append(Deadline(kind: .assignment, dueDate: last, dueAt: calendar.endOfDay(last), metAt: closedAt))
        }
        // The petitioner's window after a written opinion, and the answer period of the stage it opens.
        func window(_ kind: DeadlineKind, after opinion: Opinion, usedAt: Date?) {
            result.append(calendar.period(kind, days: P.reviewRequestDays, from: opinion.windowStart(calendar: calendar), metAt: usedAt))
        }
        func answer(_ kind: DeadlineKind, for stage: ReviewStage) {
            let days = P.reviewDecisionDays + (stage.hearing?.days ?? 0)
            result.append(calendar.period(kind, days: days, from: day(stage.requestedAt), metAt: stage.decision?.at))
        }
        if let reply, status != .accepted, status != .extended {
            window(.reviewRequestWindow, after: reply, usedAt: review?.requestedAt)
        }
        if let review {
            answer(.reviewDecision, for: review)
            if let decision = review.decision { window(.reReviewRequestWindow, after: decision, usedAt: reReview?.requestedAt) }
        }
        if let reReview { answer(.reReviewDecision, for: reReview) }
        return result
    }

    /// 受理告知: 15 days from the current handler's receipt, met by its intake decision. The case
    /// view shows it while no offer is pending; the indicators (及时受理) count it always, so both
    /// judge "on time" by this one deadline.
    public func noticeDeadline(calendar: DeadlineCalendar) -> Deadline {
        calendar.period(.notice, days: StatutoryPeriods.noticeDays, from: calendar.civilDate(of: receivedAt), metAt: acceptedAt ?? disposal?.at)
    }

    /// The end of the petitioner's evaluation window after the closure (R55, unconfirmed length),
    /// counted as a period of whole days like every other.
    public func evaluationDue(calendar: DeadlineCalendar) -> Date? {
        closedAt.map {
            calendar.period(.reviewRequestWindow, days: IndicatorRules.evaluationWindowDays, from: calendar.civilDate(of: $0), metAt: nil).dueAt
        }
    }

    /// The earliest unmet obligation: what the holder owes next, and by when.
    public func nextObligation(calendar: DeadlineCalendar) -> Deadline? {
        nextObligation(among: deadlines(calendar: calendar))
    }

    /// The same, from deadlines already computed (a caller that needs both computes them once).
    public func nextObligation(among deadlines: [Deadline]) -> Deadline? {
        guard !status.isFinal else { return nil }
        return deadlines.filter { $0.kind.isObligation && $0.metAt == nil }.min { $0.dueAt < $1.dueAt }
    }
}

extension Supervision {
    /// The end of the day the holder's written feedback is due (a rest day moves it to the next working day).
    public func feedbackDue(calendar: DeadlineCalendar) -> Date { calendar.dueEnd(of: dueAt) }
}
