import Crypto
import Foundation
import XinfangCore
import XinfangStore

extension Simulation {
    /// The invariants of issue 4, checked after the liveness phase. Each failure names the case
    /// and the nodes.
    func checkInvariants() async throws -> [String] {
        var failures: [String] = []
        // Nodes one release apart agree on a version: none of their packets is refused for it.
        if let refused = counts["version-refused"] { failures.append("\(refused) packets were refused for their peer protocol version") }
        var contents: [NodeID: [CaseNumber: (head: String, events: Set<String>)]] = [:]
        for (node, database) in stores {
            // Materialised state equals the fold of the chain: nothing applied twice or skipped.
            do {
                let report = try await database.rebuildMaterialisedState(repair: false)
                if !report.mismatched.isEmpty { failures.append("\(node): materialised state differs from the chain for \(report.mismatched)") }
            } catch {
                failures.append("\(node): chain does not fold: \(error)")
            }
            contents[node] = try await database.replicaContents()
        }
        // No acknowledged event is lost: the node that acknowledged it still has it.
        for entry in acknowledged where !(contents[entry.node]?[entry.caseNumber]?.events.contains(entry.hash) ?? false) {
            failures.append("\(entry.node) lost acknowledged event \(entry.hash.prefix(12)) of \(entry.caseNumber)")
        }
        let numbers = Set(contents.values.flatMap(\.keys))
        for number in numbers.sorted(by: { $0.rawValue < $1.rawValue }) {
            let holders = contents.filter { $0.value[number] != nil }
            // Every replica has the same head and the same history, losing branches included.
            let heads = Set(holders.values.map { $0[number]!.head })
            if heads.count > 1 { failures.append("\(number): heads differ across \(holders.keys.sorted())") }
            let histories = Set(holders.values.map { $0[number]!.events })
            if histories.count > 1 {
                let sizes = holders.map { "\($0.key)=\($0.value[number]!.events.count)" }.sorted()
                failures.append("\(number): histories differ: \(sizes.joined(separator: ", "))")
            }
            guard let (anyNode, _) = holders.first, let state = try await stores[anyNode]!.caseState(number) else { continue }
            // Every node that must replicate the case has it: the participants and their ancestors.
            let required = Set(state.participants.flatMap { [$0] + topology.ancestors(of: $0) })
            for node in required.sorted(by: { $0.rawValue < $1.rawValue }) where contents[node]?[number] == nil {
                failures.append("\(number): missing at \(node), which must replicate it (participants \(state.participants))")
            }
            // One holder: every replica names the same one.
            var holderNames: Set<NodeID> = []
            var commandIDs: [String: Int] = [:]
            for node in holders.keys {
                if let s = try await stores[node]!.caseState(number) { holderNames.insert(s.holder) }
            }
            if holderNames.count > 1 {
                failures.append("\(number): replicas name different holders \(holderNames.sorted { $0.rawValue < $1.rawValue })")
            }
            // A command is applied at most once on the chain. (A chain begun before the hierarchy
            // raised its formats and continued after holds both, and folded above.)
            var formats: Set<Int> = []
            for event in try await stores[anyNode]!.events(of: number) {
                if let id = event.command?.id { commandIDs[id, default: 0] += 1 }
                formats.insert(event.format)
            }
            if formats.count > 1 { count("mixedFormatChains") }
            for (id, n) in commandIDs where n > 1 { failures.append("\(number): command \(id) applied \(n) times") }
            // A conflict is visible on every replica alike.
            var conflictSets: Set<[String]> = []
            for node in holders.keys {
                conflictSets.insert(try await stores[node]!.conflicts(of: number).map { "\($0.branch):\($0.resolvedAt != nil)" })
            }
            if conflictSets.count > 1 { failures.append("\(number): conflicts differ across replicas") }
        }
        return failures
    }

    /// Every open case is held by a live node or flagged within the limit: a node down for longer
    /// than the silence limit plus one reconciliation interval is flagged `peerUnreachable` by its
    /// nearest live ancestor (on the child towards it). Checked at the end of the fault phase.
    func checkDownNodesAreFlagged() async throws -> [String] {
        var failures: [String] = []
        let bound = Self.limits.peerUnreachableSeconds + Self.limits.intervalSeconds
        // The ancestor runs its job now if it is due, as its schedule would.
        try await runDueReconciliations()
        for (down, since) in downSince.sorted(by: { $0.key.rawValue < $1.key.rawValue }) where time.timeIntervalSince(since) >= bound {
            var child = down
            var ancestor = topology.parent(of: down)
            while let a = ancestor, stores[a] == nil {
                child = a
                ancestor = topology.parent(of: a)
            }
            guard let a = ancestor, child == down || time.timeIntervalSince(downSince[child] ?? time) >= bound else { continue }
            let flags = try await openFlags(at: a)
            if !flags.contains(where: { $0.kind == .peerUnreachable && $0.subject == child.rawValue }) {
                failures.append("\(down) down for \(Int(time.timeIntervalSince(since))) s, but \(a) has no peerUnreachable flag for \(child)")
            }
        }
        return failures
    }

    /// A hash of every node's cases, heads and event counts: the same seed gives the same hash.
    func stateHash() async throws -> (hash: String, cases: Int, events: Int, conflicts: Int) {
        var lines: [String] = []
        var events = 0
        var conflicts = 0
        var numbers: Set<CaseNumber> = []
        for node in topology.nodes.map(\.id) {
            guard let database = stores[node] else { continue }
            for (number, content) in try await database.replicaContents() {
                lines.append("\(node) \(number) \(content.head) \(content.events.count)")
                numbers.insert(number)
                if node == topology.nodes[0].id {
                    events += content.events.count
                    conflicts += try await database.conflicts(of: number).count
                }
            }
        }
        let digest = SHA256.hash(data: Data(lines.sorted().joined(separator: "\n").utf8))
        return (digest.map { String(format: "%02x", $0) }.joined(), numbers.count, events, conflicts)
    }
}
