/// Sends items with up to `width` of them unanswered at once and hands each answer on in the order
/// the items were sent: the dispatcher's packets to a neighbour (`PeerDispatcher.sendWindowed`),
/// and the P1 benchmark's, which sends as the dispatcher does.
public enum InOrderWindow {
    /// Sends what `next` makes ready (nil: nothing more), at most `limit` items, while fewer than
    /// `width` are unanswered; `record` gets each answer in the order the items were sent and says
    /// whether to go on (false: `next` is not asked again; the items in flight are still recorded).
    /// An error from `send` or `record` ends the run.
    public static func run<Item: Sendable, Answer: Sendable>(
        width: Int,
        limit: Int,
        next: () async throws -> Item?,
        send: @escaping @Sendable (Item) async throws -> Answer,
        record: (Item, Answer) async throws -> Bool
    ) async throws {
        try await withThrowingTaskGroup(of: (Int, Answer).self) { group in
            var inFlight: [Int: Item] = [:]
            var answers: [Int: Answer] = [:]
            var sent = 0
            var recorded = 0
            var goesOn = true
            repeat {
                while goesOn, sent - recorded < width, sent < limit {
                    guard let item = try await next() else {
                        goesOn = false
                        break
                    }
                    let index = sent
                    inFlight[index] = item
                    sent += 1
                    group.addTask { (index, try await send(item)) }
                }
                guard let (index, answer) = try await group.next() else { return }
                answers[index] = answer
                while let answer = answers.removeValue(forKey: recorded), let item = inFlight.removeValue(forKey: recorded) {
                    recorded += 1
                    if try await !record(item, answer) { goesOn = false }
                }
            } while recorded < sent || (goesOn && sent < limit)
        }
    }
}
