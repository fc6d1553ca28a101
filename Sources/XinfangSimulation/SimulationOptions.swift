public import Foundation
public import XinfangCore
public import XinfangStore

/// What one simulated run does.
public struct SimulationOptions: Sendable {
    public var seed: UInt64
    /// Steps of the workload-and-faults phase.
    public var steps: Int
    /// Whether the fault phase injects faults (drops, duplicates, partitions, crashes, skew).
    public var faults: Bool
    /// The liveness bound: sync rounds after healing within which every replica must agree.
    public var livenessRoundsMax: Int
    /// Where the nodes' SQLite files go (a fresh directory per run).
    public var directory: URL
    /// Whether one county, drawn by the seed, starts on the release before
    /// (`PeerProtocol.previousRelease`) and is upgraded at a step drawn by the seed: a hierarchy
    /// upgraded node by node.
    public var mixedVersions: Bool
    /// Nodes whose store is on a database server rather than in `directory`: each start of the
    /// node opens its store on the transactions the closure makes (a slice of the seeds runs the
    /// province on PostgreSQL this way). The database must be empty and migrated at the run's start.
    public var serverStores: [NodeID: @Sendable () -> any SQLTransactions] = [:]

    public init(
        seed: UInt64,
        steps: Int = 300,
        faults: Bool = true,
        livenessRoundsMax: Int = 60,
        directory: URL,
        mixedVersions: Bool = true
    ) {
        self.seed = seed
        self.steps = steps
        self.faults = faults
        self.livenessRoundsMax = livenessRoundsMax
        self.directory = directory
        self.mixedVersions = mixedVersions
    }
}

/// The outcome of one run: the invariants that failed (none for a pass), figures, and the trace.
public struct SimulationResult: Sendable {
    public var seed: UInt64
    /// SHA-256 over every node's cases, heads and event counts: equal for equal runs.
    public var stateHash: String
    public var cases: Int
    public var events: Int
    public var conflicts: Int
    public var counts: [String: Int]
    public var livenessRounds: Int
    public var failures: [String]
    /// The last steps before the end (or the failure).
    public var trace: [String]

    public var passed: Bool { failures.isEmpty }

    /// A failure report: the seed, what failed, the trace, and how to replay it.
    public var report: String {
        var lines = ["simulation seed \(seed) FAILED:"]
        lines += failures.prefix(20).map { "  - \($0)" }
        lines.append("last steps:")
        lines += trace.map { "  \($0)" }
        lines.append("replay: swift run xinfang simulate --seed \(seed)")
        return lines.joined(separator: "\n")
    }
}
