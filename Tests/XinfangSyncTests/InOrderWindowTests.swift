import Synchronization
import Testing
import XinfangSync

/// `InOrderWindow` hands the answers on in the order the items were sent, however they arrive, and
/// goes on sending while items remain: answers that arrive out of order and are recorded together
/// do not end the run early.
struct InOrderWindowTests {
    /// Lets an item's answer wait until another item has answered.
    actor Gate {
        var answered: Set<Int> = []
        var waiting: [Int: [CheckedContinuation<Void, Never>]] = [:]

        func answer(_ item: Int) {
            answered.insert(item)
            for waiter in waiting.removeValue(forKey: item) ?? [] { waiter.resume() }
        }

        func wait(for item: Int) async {
            if answered.contains(item) { return }
            await withCheckedContinuation { waiting[item, default: []].append($0) }
        }
    }

    /// Each even item answers only after the odd one sent after it: every pair arrives reversed.
    @Test func answersArrivingOutOfOrderAreRecordedInOrderAndTheRunGoesOn() async throws {
        let gate = Gate()
        let count = 7
        let inFlight = Mutex((now: 0, most: 0))
        var items = (0..<count).makeIterator()
        var recorded: [Int] = []
        try await InOrderWindow.run(
            width: 2,
            limit: count,
            next: { items.next() },
            send: { item in
                inFlight.withLock {
                    $0.now += 1
                    $0.most = max($0.most, $0.now)
                }
                if item % 2 == 0, item + 1 < count { await gate.wait(for: item + 1) }
                inFlight.withLock { $0.now -= 1 }
                await gate.answer(item)
                return item * 10
            },
            record: { item, answer in
                #expect(answer == item * 10)
                recorded.append(item)
                return true
            }
        )
        #expect(recorded == Array(0..<count))
        #expect(inFlight.withLock { $0.most } == 2)
    }

    /// `limit` bounds what is sent; a record that says stop ends the sending, and what is in
    /// flight is still recorded. Answers arrive in order (each after its predecessor's).
    @Test func theLimitAndAStopFromRecordEndTheSending() async throws {
        for (limit, stopAfter, expected) in [(3, Int.max, [0, 1, 2]), (10, 1, [0, 1, 2])] {
            let gate = Gate()
            var items = (0..<10).makeIterator()
            let sent = Mutex<[Int]>([])
            var recorded: [Int] = []
            try await InOrderWindow.run(
                width: 2,
                limit: limit,
                next: { items.next() },
                send: { item in
                    sent.withLock { $0.append(item) }
                    if item > 0 { await gate.wait(for: item - 1) }
                    await gate.answer(item)
                },
                record: { item, _ in
                    recorded.append(item)
                    return item < stopAfter
                }
            )
            #expect(recorded == expected)
            #expect(sent.withLock { $0.sorted() } == expected)
        }
    }
}
