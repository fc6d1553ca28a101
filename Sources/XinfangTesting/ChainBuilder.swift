public import Foundation
public import XinfangCore
import XinfangStore

/// Drives one case through Core alone (no store): checks each action with the lifecycle, appends
/// it as the next event and folds it, exactly as a node does, so Core tests read as stories.
public struct ChainBuilder {
    public private(set) var events: [CaseEvent]
    public private(set) var state: CaseState
    public var calendar: DeadlineCalendar
    public var now: Date

    /// Opens a case registered at `node` at `now`.
    public init(node: NodeID = Fixtures.county, now: Date, calendar: DeadlineCalendar = .standard, region: String = "430102") throws {
        self.calendar = calendar
        self.now = now
        let event = CaseEvent(
            caseNumber: CaseNumber.mint(node: node, date: calendar.civilDate(of: now), sequence: 1),
            epoch: 0,
            seq: 1,
            prevHash: nil,
            origin: node,
            time: HLCTimestamp(wallMs: now.milliseconds, logical: 0),
            actor: "登记员",
            body: .register(Fixtures.registration(receivedAt: now, region: region))
        )
        events = [event]
        state = try CaseState.opened(by: event)
    }

    /// Applies `action` as `node` (the holder by default) at the current time, one minute later than the last.
    public mutating func act(_ action: CaseAction, as node: NodeID? = nil) throws {
        now = max(now, state.lastEventAt.addingTimeInterval(60))
        let actor = node ?? state.holder
        try Lifecycle.check(action, on: state, context: ActionContext(node: actor, now: now, calendar: calendar))
        let event = CaseEvent(
            caseNumber: state.caseNumber,
            epoch: state.epoch,
            seq: state.headSeq + 1,
            prevHash: state.headHash,
            origin: actor,
            time: HLCTimestamp.tick(after: events.last?.time, nowMs: now.milliseconds),
            actor: "经办人",
            body: .act(action)
        )
        try state.apply(event)
        events.append(event)
    }

    /// Moves time forward.
    public mutating func advance(days: Double) { now = now.addingTimeInterval(days * 86_400) }
}
