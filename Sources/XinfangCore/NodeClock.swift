public import Foundation

/// The source of "now" for everything that decides with time. Core never reads the wall clock;
/// drivers pass a clock in, so tests and the simulator control time.
public protocol NodeClock: Sendable {
    func now() -> Date
}
