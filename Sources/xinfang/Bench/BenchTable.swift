import Foundation

/// One line of the suite's table: a scenario's figure, the machine's limit measured in the same
/// run, and how the figure stands against its goal.
struct BenchRow: Sendable {
    var id: String
    var scenario: String
    /// The measured figure, with its unit ("12,345 events/s", "p50 3.1 ms, p99 9.0 ms").
    var figure: String
    /// The limit beside it ("raw insert 110,000 /s"), or "—".
    var limit: String
    /// The figure over the limit (or the limit over the figure for times), nil when there is none.
    var ratio: Double?
    var goal: String
    var met: Bool
}

enum BenchTable {
    /// The table, as Markdown (readable in a terminal, pasted as is into docs/BENCHMARKS.md).
    static func render(_ rows: [BenchRow]) -> String {
        var lines = [
            "| id | scenario | figure | limit (same run) | ratio | goal | met |",
            "|---|---|---|---|---|---|---|",
        ]
        for row in rows {
            let ratio = row.ratio.map { String(format: "%.2f", $0) } ?? "—"
            lines.append("| \(row.id) | \(row.scenario) | \(row.figure) | \(row.limit) | \(ratio) | \(row.goal) | \(row.met ? "yes" : "**no**") |")
        }
        return lines.joined(separator: "\n")
    }
}

/// Figures with thousands separators, as the table prints them.
func grouped(_ value: Double) -> String {
    let whole = Int(value.rounded())
    let digits = String(abs(whole))
    var out = ""
    for (i, c) in digits.enumerated() {
        if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(c)
    }
    return (whole < 0 ? "-" : "") + out
}

/// Milliseconds between two `DispatchTime` readings.
func milliseconds(since start: UInt64) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
}

/// The p-th percentile (0…1) of sorted values.
func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    let rank = Int((Double(sorted.count) * p).rounded(.up)) - 1
    return sorted[min(sorted.count - 1, max(0, rank))]
}

/// Writes a progress line at once (the suite's figures come after long loads).
func progress(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Resident memory of a process, from /proc on Linux (MB; 0 where it cannot be read).
enum ProcessMemory {
    /// `VmRSS` (now) or `VmHWM` (peak) of `pid` ("self" for this process).
    static func megabytes(_ field: String = "VmRSS", pid: String = "self") -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("\(field):") }),
            let kb = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return 0 }
        return kb / 1024
    }
}
