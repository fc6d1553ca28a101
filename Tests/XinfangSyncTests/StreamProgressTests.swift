import Foundation
import Testing
import XinfangSync

/// The catch-up's progress lines (issue 19, P4): one per neighbour per window, only for a stream
/// worth a line, with the window's sums.
struct StreamProgressTests {
    static let t0 = Date(timeIntervalSince1970: 1_790_000_000)

    @Test func aWindowOfABusyStreamGivesOneLineWithItsSums() {
        let progress = StreamProgress()
        var lines: [StreamProgress.Window] = []
        // 200 items a packet, a packet a second, for 25 seconds.
        for second in 0..<25 {
            if let line = progress.record("430100", items: 200, now: Self.t0.addingTimeInterval(Double(second))) { lines.append(line) }
        }
        #expect(lines.count == 2)
        #expect(lines.first == StreamProgress.Window(packets: 11, items: 2200, seconds: 10))
        #expect(lines.first?.perSecond == 220)
        // The second window starts where the first ended.
        #expect(lines.last == StreamProgress.Window(packets: 10, items: 2000, seconds: 10))
    }

    @Test func aQuietStreamGivesNoLineAndNeighboursAreCountedApart() {
        let progress = StreamProgress()
        var lines = 0
        for second in 0..<60 {
            let now = Self.t0.addingTimeInterval(Double(second))
            if progress.record("430100", items: 3, now: now) != nil { lines += 1 }
            if progress.record("430000", items: 3, now: now) != nil { lines += 1 }
        }
        #expect(lines == 0)
        // A burst at one neighbour after the quiet: only its own window counts.
        for second in 60..<71 {
            if progress.record("430000", items: 200, now: Self.t0.addingTimeInterval(Double(second))) != nil { lines += 1 }
        }
        #expect(lines == 1)
        #expect(progress.record("430100", items: 3, now: Self.t0.addingTimeInterval(75)) == nil)
    }
}
