/// Tests that start many servers or processes on loopback (a test cluster, the demo) take turns,
/// so that one's load never makes another's requests time out on a 2-core machine. The rest of
/// the suite (the simulator, unit tests) still runs beside them.
public actor LoopbackTurns {
    public static let shared = LoopbackTurns()
    var busy = false
    var waiting: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        if busy {
            await withCheckedContinuation { waiting.append($0) }
        } else {
            busy = true
        }
    }

    func release() {
        if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
    }

    /// Runs `body` when no other loopback-heavy test runs.
    public static func run<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        await shared.acquire()
        do {
            let result = try await body()
            await shared.release()
            return result
        } catch {
            await shared.release()
            throw error
        }
    }
}
