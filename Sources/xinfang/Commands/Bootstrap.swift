import ArgumentParser
import Foundation
import Logging
import XinfangCore
import XinfangHTTP
import XinfangStore
import XinfangSync

/// `xinfang bootstrap --config FILE --from-parent`: rebuilds a lost store from the parent's replicas.
struct Bootstrap: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Rebuild a node's lost store from its parent's replicas (the node stopped, its data folder empty): every chain verified, its counters set past what the chains show, its case files fetched."
    )

    @Option(name: .long, help: "The node's configuration file.") var config: String
    @ArgumentParser.Flag(name: .customLong("from-parent"), help: "Rebuild from the parent named in the topology (the one source today).")
    var fromParent = false
    @Option(name: .long, help: "Seconds to wait for the case files (0: leave them to the node, which fetches them when it serves).")
    var filesTimeout: Int = 600

    func validate() throws {
        guard fromParent else { throw ValidationError("say where from: --from-parent") }
        guard (0...86_400).contains(filesTimeout) else { throw ValidationError("--files-timeout 0…86400") }
    }

    func run() async throws {
        let logger = bootstrapLogging(level: "warning", label: "xinfang.bootstrap")
        let (config, base) = try NodeConfig.load(from: URL(fileURLWithPath: self.config))
        let directory = NodeConfig.resolve(config.dataDirectory, against: base)
        // A running node holds the lock: it is refused, its store is not touched.
        let lock = try DataDirectoryLock(directory: directory)
        defer { lock.release() }
        let services = try await NodeBootstrap.services(config: config, base: base)
        let database = services.database
        let held = try await database.counts()
        guard held.cases == 0 else {
            throw ValidationError(
                "the store in \(directory.path) holds \(held.cases) cases: bootstrap rebuilds a lost store into an empty data folder. "
                    + "Move the data folder aside first, or restore a backup (xinfang restore)."
            )
        }
        let clock = SystemClock()
        let report = try await ParentBootstrap(database: database, clock: clock).run { done, total in
            FileHandle.standardError.write(Data("rebuilt \(done) of \(total) cases…\n".utf8))
        }
        let integrity = try await database.verifyIntegrity { n in FileHandle.standardError.write(Data("verified \(n) events…\n".utf8)) }
        guard integrity.ok else {
            print("BROKEN: \(integrity.problems.prefix(5).joined(separator: "; "))")
            throw ExitCode.failure
        }
        let counters = try await database.reseatCounters()
        let files = try await fetchFiles(database, settings: services.blobTransfer, logger: logger, timeout: filesTimeout)
        try await Users.audit(
            services,
            action: "store.bootstrap",
            object: report.parent.rawValue,
            detail: "cases=\(report.cases) events=\(report.events) refused=\(report.refused.count)"
        )
        try printReport(report, events: integrity.events, counters: counters, files: files, directory: directory)
    }

    /// Runs the node's own case-file fetcher until nothing is wanted or `timeout` seconds pass;
    /// the case files fetched and still wanted.
    func fetchFiles(
        _ database: NodeDatabase,
        settings: BlobTransferSettings,
        logger: Logger,
        timeout: Int
    ) async throws -> (fetched: Int, wanted: Int) {
        let wanted = try await database.blobWantCount()
        guard wanted > 0, timeout > 0 else { return (0, wanted) }
        let fetcher = BlobFetcher(
            database: database,
            transport: HTTPPacketTransport(),
            clock: SystemClock(),
            logger: logger,
            settings: settings,
            idleCheckSeconds: 1
        )
        let deadline = Date().addingTimeInterval(Double(timeout))
        var left = wanted
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await fetcher.run() }
            while left > 0, Date() < deadline {
                try await Task.sleep(for: .milliseconds(500))
                let now = try await database.blobWantCount()
                if now != left { FileHandle.standardError.write(Data("case files: \(wanted - now) of \(wanted) fetched…\n".utf8)) }
                left = now
            }
            group.cancelAll()
        }
        return (wanted - left, left)
    }

    func printReport(
        _ report: ParentBootstrap.Report,
        events: Int,
        counters: NodeDatabase.ReseatedCounters,
        files: (fetched: Int, wanted: Int),
        directory: URL
    ) throws {
        print("rebuilt the store from the parent \(report.parent): \(report.cases) cases, \(events) events verified (hashes, links, signatures)")
        for refused in report.refused.prefix(20) {
            print("  not taken: \(refused.caseNumber) (\(refused.code ?? "refused"): \(refused.detail ?? ""))")
        }
        if report.refused.count > 20 { print("  … \(report.refused.count - 20) more not taken") }
        print(
            "registration numbers go on after \(counters.caseSequence) (\(NodeDatabase.caseSequenceMargin) skipped: numbers the lost store may have given); "
                + (counters.noticeSequences.isEmpty
                    ? "no 文号 was issued here"
                    : "文号 go on after "
                        + counters.noticeSequences.sorted { $0.key < $1.key }.map { "\($0.value) in \($0.key)" }.joined(separator: ", ")
                        + " (\(NodeDatabase.noticeSequenceMargin) skipped a year)")
        )
        print(
            files.wanted == 0
                ? "case files: \(files.fetched) fetched, none missing"
                : "case files: \(files.fetched) fetched, \(files.wanted) still to fetch: the node fetches them when it serves (a blobMissing flag names each)"
        )
        let since = report.lastReceivedAt.map { $0.formatted(.iso8601) } ?? "never"
        if report.heldByChildCount > 0 {
            let list = directory.appendingPathComponent("bootstrap-held-cases.txt")
            try (report.heldByChild.map(\.rawValue).joined(separator: "\n") + "\n").write(to: list, atomically: true, encoding: .utf8)
            print(
                "The parent last heard from this node at \(since). \(report.heldByChildCount) cases were held here then; "
                    + "what was done on them here after that, and any case registered here and not yet sent, never reached the parent "
                    + "and is not in the rebuilt store. Check them with their handlers: \(list.path)"
            )
            for number in report.heldByChild.prefix(20) { print("  \(number)") }
            if report.heldByChildCount > 20 { print("  … \(report.heldByChildCount - 20) more in the file") }
        } else {
            print("The parent last heard from this node at \(since); it held no case here then.")
        }
        print(
            "Not rebuilt, as they are kept only here: accounts, API tokens and sessions, the audit trail before now, queued messages. "
                + "Create the first administrator again: xinfang users create --config \(self.config) --username admin --name NAME --role systemAdmin"
        )
    }
}
