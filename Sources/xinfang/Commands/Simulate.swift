import ArgumentParser
import Foundation
import XinfangSimulation

/// `xinfang simulate`: the deterministic simulation of the whole hierarchy, one seed or a soak.
struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the deterministic simulation of the example hierarchy (faults, then healing, then the invariants).",
        discussion: """
            `--seed N` replays one run and prints its trace; `--seeds N` runs seeds first..first+N-1 \
            (a soak), printing seeds per second and every failure with its seed.
            """
    )

    @Option(help: "Replay this one seed.") var seed: UInt64?
    @Option(help: "How many seeds to run (a soak).") var seeds: Int = 1
    @Option(help: "The first seed of a soak.") var first: UInt64 = 1
    @Option(help: "Steps of the fault phase per seed.") var steps: Int = 300
    @Option(help: "Runs at a time.") var parallel: Int = ProcessInfo.processInfo.activeProcessorCount
    @Flag(help: "Run the workload without faults.") var noFaults = false
    @Option(help: "Where the nodes' SQLite files go (a failing seed's files are kept).") var dir: String = ".xinfang-sim"

    func validate() throws {
        guard (1...10_000_000).contains(seeds) else { throw ValidationError("--seeds must be between 1 and 10000000") }
        guard (1...100_000).contains(steps) else { throw ValidationError("--steps must be between 1 and 100000") }
        guard (1...64).contains(parallel) else { throw ValidationError("--parallel must be between 1 and 64") }
    }

    func run() async throws {
        let root = URL(fileURLWithPath: dir, isDirectory: true)
        func options(_ seed: UInt64) -> SimulationOptions {
            SimulationOptions(seed: seed, steps: steps, faults: !noFaults, directory: root.appendingPathComponent("seed-\(seed)"))
        }
        if let seed {
            let result = await Simulation.run(options(seed))
            say(result.passed ? "seed \(seed) passed" : result.report)
            if result.passed {
                say("last steps:")
                for line in result.trace { say("  \(line)") }
            }
            say(Self.summary(result))
            if !result.passed { throw ExitCode.failure }
            return
        }
        let started = Date()
        var done = 0
        var failed: [UInt64] = []
        var next = first
        let end = first + UInt64(seeds)
        await withTaskGroup(of: SimulationResult.self) { group in
            for _ in 0..<min(parallel, seeds) {
                let seed = next
                next += 1
                group.addTask { await Simulation.run(options(seed)) }
            }
            while let result = await group.next() {
                done += 1
                if !result.passed {
                    failed.append(result.seed)
                    say(result.report)
                }
                if done % 100 == 0 || done == seeds {
                    let rate = Double(done) / max(Date().timeIntervalSince(started), 0.001)
                    say(String(format: "%d/%d seeds, %.1f seeds/s, %d failed", done, seeds, rate, failed.count))
                }
                if next < end {
                    let seed = next
                    next += 1
                    group.addTask { await Simulation.run(options(seed)) }
                }
            }
        }
        let elapsed = Date().timeIntervalSince(started)
        say(
            String(
                format: "%d seeds in %.1f s (%.1f seeds/s); %d failed%@",
                seeds,
                elapsed,
                Double(seeds) / elapsed,
                failed.count,
                failed.isEmpty ? "" : ": " + failed.sorted().map(String.init).joined(separator: " ")
            )
        )
        if !failed.isEmpty { throw ExitCode.failure }
    }

    /// Writes a line at once (unbuffered), so a soak's progress shows in a log file as it runs.
    func say(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func summary(_ r: SimulationResult) -> String {
        let counts = r.counts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        return "cases=\(r.cases) events=\(r.events) conflicts=\(r.conflicts) liveness-rounds=\(r.livenessRounds) \(counts)\nstate \(r.stateHash)"
    }
}
