import Foundation
public import XinfangCore
public import XinfangStore

extension CaseService {
    /// 重发查询码: a new 查询码 for the case (the old one stops opening it), appended at the holder
    /// or sent to it as a command. The code is returned to the asker once, to hand to the petitioner.
    public func reissueLookupCode(
        on number: CaseNumber,
        by actor: Actor,
        scope: CaseScope? = nil
    ) async throws -> (outcome: Outcome, code: LookupCode) {
        let (code, seal) = try database.lookupCodes.next(database.personalData)
        return (try await record(.reissueLookupCode(seal), on: number, by: actor, scope: scope), code)
    }

    /// The petitioner's own evaluation (两个评价) from the public lookup: they proved the case
    /// theirs with its code and second factor, so no account's permission is asked. The ratings
    /// are checked here against the same window the holder checks (`PublicLookup`), then appended
    /// at the holder or sent to it as a signed command.
    public func petitionerEvaluates(
        _ state: CaseState,
        office: Rating,
        unit: Rating,
        comment: String?
    ) async throws -> Outcome {
        let calendar = database.calendar
        let standing = PublicLookup.evaluationStanding(state, calendar: calendar, now: clock.now())
        switch standing.state {
        case .open: break
        case .overdue:
            throw LifecycleError.evaluationWindowEnded(dueDate: standing.dueOn ?? calendar.civilDate(of: clock.now()))
        case .done: throw LifecycleError.alreadyRecorded(.evaluate)
        case .notYet: throw LifecycleError.illegalTransition(action: .evaluate, status: state.status, allowed: [])
        }
        let action = try CaseAction.evaluate(office: office, unit: unit, comment: comment, via: .online).validated()
        let petitioner = Actor(name: PublicLookup.petitionerActor, permissions: [.act], roleLabel: "信访人")
        return try await record(action, on: state.caseNumber, by: petitioner, scope: nil)
    }
}
