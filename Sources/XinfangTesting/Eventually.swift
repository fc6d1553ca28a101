/// Asks `condition` every `interval` until it holds or `seconds` have passed, and says whether it
/// held: for a test that waits on what other processes or nodes do, whose pace depends on the
/// machine's load, where a fixed sleep would be too short on a busy machine and too long on an idle
/// one.
public func eventually(
    within seconds: Double,
    every interval: Duration = .milliseconds(100),
    _ condition: () async throws -> Bool
) async throws -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: .milliseconds(Int(seconds * 1000)))
    while true {
        if try await condition() { return true }
        if clock.now >= deadline { return false }
        try await Task.sleep(for: interval)
    }
}
