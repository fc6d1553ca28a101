import Foundation
import GRDB
public import XinfangCore

/// What a rebuild of the materialised state found.
public struct RebuildReport: Sendable, Equatable {
    /// Cases whose chains were folded.
    public var cases: Int
    /// Events read.
    public var events: Int
    /// Cases whose stored state differed from the fold of their events (before the rebuild fixed them).
    public var mismatched: [CaseNumber]
}

extension NodeDatabase {
    /// Folds every stored chain and compares the result with the materialised state.
    ///
    /// With `repair`, rewrites the rows that differ in the same transaction. A chain that does not
    /// fold (a broken link or hash) is reported as `StoreError.brokenChain` and nothing is written.
    public func rebuildMaterialisedState(repair: Bool) async throws -> RebuildReport {
        let body: @Sendable (any SQLSession) throws -> RebuildReport = { db in try rebuild(db, repair: repair) }
        return repair ? try await write(body) : try await read(body)
    }

    /// The rebuild inside the caller's transaction (a write transaction when `repair`); with
    /// `rewriteAll`, every row is rewritten (after a migration that added derived columns).
    /// `progress` hears the number of cases folded so far, after each.
    func rebuild(_ db: some SQLSession, repair: Bool, rewriteAll: Bool = false, progress: (Int) -> Void = { _ in }) throws -> RebuildReport {
        var report = RebuildReport(cases: 0, events: 0, mismatched: [])
        var current: [CaseEvent] = []
        func finish() throws {
            guard let number = current.first?.caseNumber else { return }
            // A forked case folds its winning chain, chosen by the fork rule from every stored event.
            var chain = current
            if current.count != current.last?.seq, let topology = hierarchy?.topology {
                chain = EventTree(current).winningChain(topology: topology)
            }
            let folded: CaseState
            do { folded = try CaseState.fold(chain, topology: hierarchy?.topology) } catch { throw StoreError.brokenChain(error) }
            report.cases += 1
            progress(report.cases)
            if try Self.loadState(db, number) != folded {
                report.mismatched.append(number)
                if repair {
                    try save(db, folded)
                    try indexFiles(db, of: folded)
                }
            } else if rewriteAll {
                try save(db, folded)
                try indexFiles(db, of: folded)
            }
            current.removeAll(keepingCapacity: true)
        }
        try db.eachRow("SELECT * FROM events ORDER BY case_number, seq, epoch", arguments: []) { row in
            let event = try CaseEvent(row: row)
            report.events += 1
            if let first = current.first, first.caseNumber != event.caseNumber { try finish() }
            current.append(event)
        }
        try finish()
        // A rewrite recomputes what has a chain; the check for rows without one is the repair's.
        guard !rewriteAll else { return report }
        let orphans = try db.value("SELECT COUNT(*) FROM cases WHERE case_number NOT IN (SELECT case_number FROM events)", as: Int.self) ?? 0
        if orphans > 0 { throw StoreError.database("\(orphans) materialised cases have no events") }
        return report
    }
}
