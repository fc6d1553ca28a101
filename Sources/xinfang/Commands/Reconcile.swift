import ArgumentParser
import Foundation
import Logging
import XinfangCore
import XinfangHTTP
import XinfangStore
import XinfangSync

/// `xinfang reconcile --config FILE`: one reconciliation round over the node's store, now.
struct Reconcile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the reconciliation job once: flags, anti-entropy with the parent, the flag report up.",
        discussion: "Works whether or not the node is serving (SQLite lets both at once). Prints what it did and the open flags."
    )

    @Option(name: .long, help: "The node's configuration file (JSON).")
    var config: String

    @ArgumentParser.Flag(help: "Print the round as JSON.") var json = false

    func run() async throws {
        let logger = bootstrapLogging(level: "warning", label: "xinfang.reconcile")
        let (config, base) = try NodeConfig.load(from: URL(fileURLWithPath: config))
        let services = try await NodeBootstrap.services(config: config, base: base)
        let job = NodeApplication.reconciliation(services, transport: HTTPPacketTransport(), logger: logger)
        let round = try await job.runOnce()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            print(String(decoding: try encoder.encode(round), as: UTF8.self))
            return
        }
        let r = round.reconcile
        print("node \(r.node): scanned \(r.casesScanned) open cases (evaluated \(r.casesEvaluated)); raised \(r.raised), cleared \(r.cleared) flags")
        if let previous = r.previousRunAt { print("previous run: \(previous)") } else { print("previous run: none") }
        if let ae = round.antiEntropy {
            print(
                "anti-entropy with \(ae.peer): \(ae.bytesSent + ae.bytesReceived) bytes, \(ae.differingTops) tops and \(ae.differingLeaves) leaves differ, "
                    + "\(ae.resent) cases resent, \(ae.missingHere) missing here, \(String(format: "%.1f", ae.milliseconds)) ms"
            )
        }
        if let error = round.error { print("parent not reached: \(error)") }
        var query = FlagQuery()
        query.limit = 50
        let open = try await services.database.flags(matching: query)
        print("open flags (\(open.count)\(open.count == 50 ? "+" : "")):")
        for stored in open {
            let f = stored.flag
            print(
                "  [\(f.kind.rawValue)] \(f.kind.label) \(f.subject)\(f.detailKey.isEmpty ? "" : " (\(f.detailKey))") since \(f.since): \(f.detail)"
            )
        }
    }
}
