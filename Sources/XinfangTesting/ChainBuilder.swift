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
    /// The tree the lifecycle's accused-organ rule reads, when the story needs one.
    public var topology: Topology?
    /// The format the next events are written in (`DataFormats`).
    public var format = 1

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
        let action = try Lifecycle.admit(action, on: state, context: ActionContext(node: actor, now: now, calendar: calendar, topology: topology))
        let event = CaseEvent(
            caseNumber: state.caseNumber,
            epoch: state.epoch,
            seq: state.headSeq + 1,
            prevHash: state.headHash,
            origin: actor,
            time: HLCTimestamp.tick(after: events.last?.time, nowMs: now.milliseconds),
            actor: "经办人",
            body: .act(action),
            format: format
        )
        try state.apply(event)
        events.append(event)
    }

    /// Sets the clock to `instant` (never backwards past the last event: the next action comes a minute after it).
    public mutating func at(_ instant: Date) { now = instant }

    /// Moves time forward.
    public mutating func advance(days: Double) { now = now.addingTimeInterval(days * 86_400) }
}
