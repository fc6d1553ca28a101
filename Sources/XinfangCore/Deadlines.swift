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
    public static let noticeDays = 15
    public static let objectionWorkingDays = 5
    public static let handlingDays = 60
    public static let reviewRequestDays = 30
    public static let reviewDecisionDays = 30
}

extension CaseState {
    /// Every deadline that applies to the case so far, computed from its chain and a calendar.
    ///
    /// The periods run from the civil date of their starting event: a period of N days ends at the
    /// end of the N-th day after it (calendar days by default, working days where the calendar
    /// says so); the objection period always counts working days.
    public func deadlines(calendar: DeadlineCalendar) -> [Deadline] {
        typealias P = StatutoryPeriods
        var result: [Deadline] = []
        func add(_ kind: DeadlineKind, from start: Date, days: Int, workingDays: Bool = false, metAt: Date?) {
            let startDate = calendar.civilDate(of: start)
            let due = workingDays ? calendar.addingWorkingDays(days, to: startDate) : calendar.addingStatutoryDays(days, to: startDate)
            result.append(Deadline(kind: kind, dueDate: due, dueAt: calendar.endOfDay(due), metAt: metAt))
        }
        if let offer = pendingOffer {
            add(.objection, from: offer.offeredAt, days: P.objectionWorkingDays, workingDays: true, metAt: nil)
        }
        if pendingOffer == nil {
            add(.notice, from: receivedAt, days: P.noticeDays, metAt: acceptedAt ?? disposal?.at)
        }
        if let acceptedAt {
            add(.handling, from: acceptedAt, days: P.handlingDays + (extension_?.days ?? 0), metAt: reply?.at)
        }
        if let assignment, let due = assignment.dueAt {
            result.append(Deadline(kind: .assignment, dueDate: calendar.civilDate(of: due), dueAt: due, metAt: closedAt))
        }
        if let reply, status != .accepted, status != .extended {
            add(.reviewRequestWindow, from: reply.at, days: P.reviewRequestDays, metAt: review?.requestedAt)
        }
        if let review {
            add(.reviewDecision, from: review.requestedAt, days: P.reviewDecisionDays, metAt: review.decision?.at)
            if let decision = review.decision {
                add(.reReviewRequestWindow, from: decision.at, days: P.reviewRequestDays, metAt: reReview?.requestedAt)
            }
        }
        if let reReview {
            add(.reReviewDecision, from: reReview.requestedAt, days: P.reviewDecisionDays, metAt: reReview.decision?.at)
        }
        return result
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
