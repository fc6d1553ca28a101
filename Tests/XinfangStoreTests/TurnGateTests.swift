import Synchronization
import Testing

@testable import XinfangStore

/// The work ahead of packets' transactions takes turns (`TurnGate`): one caller's work at a time,
/// in the order the callers came, and every turn handed on, also through a long queue.
struct TurnGateTests {
    final class Log: Sendable {
        let state = Mutex<(order: [Int], running: Int, most: Int)>(([], 0, 0))
        let released = Mutex(false)
    }

    /// Starts `count` callers one after another, each once the one before it waits (or, for the
    /// first, holds the gate), and returns the order their work ran in and the most that ran at once.
    func run(_ count: Int, on gate: TurnGate) async -> (order: [Int], mostAtOnce: Int) {
        let log = Log()
        return await withTaskGroup(of: Void.self) { group in
            for caller in 0..<count {
                group.addTask {
                    await gate.inTurn {
                        log.state.withLock {
                            $0.order.append(caller)
                            $0.running += 1
                            $0.most = max($0.most, $0.running)
                        }
                        // The first holds the gate until every other caller waits behind it.
                        while caller == 0, !log.released.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(1)) }
                        try? await Task.sleep(for: .microseconds(200))
                        log.state.withLock { $0.running -= 1 }
                    }
                }
                // The next caller comes only once this one holds the gate or waits for it.
                while log.state.withLock({ $0.order.isEmpty }) || gate.waitingCount < caller {
                    try? await Task.sleep(for: .milliseconds(1))
                }
            }
            log.released.withLock { $0 = true }
            await group.waitForAll()
            return log.state.withLock { ($0.order, $0.most) }
        }
    }

    /// Twelve callers, and a queue long enough to grow the gate's queue past its first storage.
    @Test(arguments: [12, 150])
    func callersRunOneAtATimeInTheOrderTheyCame(_ callers: Int) async {
        let gate = TurnGate()
        let (order, most) = await run(callers, on: gate)
        #expect(order == Array(0..<callers))
        #expect(most == 1)
        #expect(gate.waitingCount == 0)
        // Free again: the next caller runs at once.
        #expect(await gate.inTurn { 7 } == 7)
    }
}
