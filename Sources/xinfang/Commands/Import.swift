import ArgumentParser
import Foundation
import XinfangCore
import XinfangHTTP
import XinfangService
import XinfangStore

/// `xinfang import --config FILE ledger.csv`: registers an existing case ledger (台账) at a node.
struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import a case ledger (台账) from CSV: every good row is registered, every bad row reported with its reason.",
        discussion: """
            The CSV has Chinese headers (UTF-8, with or without a BOM): \(Ledger.required.joined(separator: ", ")) are required; \
            \(Ledger.optional.joined(separator: ", ")) are optional. Each row is checked like a registration through the API \
            (categories, ID numbers, mobiles, limits) and goes through the intake check. A refused row does not stop the import: \
            the refused rows are written to the report (line, column, reason) and the good ones are kept. Importing the same \
            ledger again registers nothing twice (each row's content is its idempotency key). Works while the node is serving.
            """
    )

    @Option(name: .long, help: "The node's configuration file (JSON).")
    var config: String

    @Option(name: .long, help: "Where to write the refused rows (CSV); default: the ledger's name with .refused.csv.")
    var report: String?

    @Argument(help: "The ledger (CSV).")
    var ledger: String

    /// The largest ledger file read.
    static let fileBytesMax = 512 * 1024 * 1024

    func run() async throws {
        _ = bootstrapLogging(level: "warning", label: "xinfang.import")
        let (config, base) = try NodeConfig.load(from: URL(fileURLWithPath: config))
        let services = try await NodeBootstrap.services(config: config, base: base)
        let url = URL(fileURLWithPath: ledger)
        let size = (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        guard size <= Self.fileBytesMax else { throw ValidationError("the ledger is larger than \(Self.fileBytesMax / 1024 / 1024) MiB; split it") }
        guard let text = String(data: try Data(contentsOf: url), encoding: .utf8) else {
            throw ValidationError("the ledger is not UTF-8 text (save it from Excel as “CSV UTF-8”)")
        }
        let rows: [(line: Int, fields: [String])]
        do { rows = try CSV.rows(text) } catch { throw ValidationError("the ledger is not valid CSV: \(error)") }
        guard let header = rows.first else { throw ValidationError("the ledger is empty") }
        let columns: [String: Int]
        do { columns = try Ledger.columns(header.fields) } catch { throw ValidationError(error.detail) }
        let body = rows.dropFirst()
        guard body.count <= Ledger.rowsMax else { throw ValidationError("the ledger has more than \(Ledger.rowsMax) rows; split it") }

        var created = 0
        var again = 0
        var refused: [[String]] = []
        let progress = Progress(total: body.count)
        for (index, row) in body.enumerated() {
            defer { progress.show(done: index + 1, refused: refused.count) }
            do {
                let registration = try Ledger.registration(
                    row.fields,
                    columns: columns,
                    utcOffsetSeconds: services.database.calendar.utcOffsetSeconds
                )
                let key = "ledger-" + Data(row.fields.joined(separator: "\u{1F}").utf8).sha256Hex.prefix(32)
                let (_, isNew) = try await services.cases.register(
                    registration,
                    by: .officer(registration.registeredBy),
                    idempotencyKey: NodeDatabase.IdempotencyKey(key: key, fingerprint: key),
                    receivedAtPastMaxDays: Ledger.receivedAtPastMaxDays
                )
                if isNew { created += 1 } else { again += 1 }
            } catch let failure as ValidationFailure {
                refused.append([String(row.line), failure.field ?? "", failure.detail])
            } catch StoreError.invalid(let failure) {
                refused.append([String(row.line), Ledger.column(forField: failure.field), failure.detail])
            }
        }
        progress.finish()
        let reportPath = report ?? url.deletingPathExtension().path + ".refused.csv"
        if !refused.isEmpty {
            try CSV.document(header: ["行号", "字段", "原因"], rows: refused).write(toFile: reportPath, atomically: true, encoding: .utf8)
        }
        try await Users.audit(
            services,
            action: "import",
            object: url.lastPathComponent,
            detail: "imported=\(created) again=\(again) refused=\(refused.count)"
        )
        print("imported \(created) cases, \(again) already imported, \(refused.count) rows refused (of \(body.count))")
        if !refused.isEmpty { print("refused rows and reasons: \(reportPath)") }
    }
}

/// A progress bar on standard error, redrawn at most every 1 % (and at the end).
final class Progress {
    let total: Int
    var shown = -1
    let isTerminal = isatty(2) == 1

    init(total: Int) { self.total = total }

    func show(done: Int, refused: Int) {
        let percent = total == 0 ? 100 : done * 100 / total
        guard percent != shown || done == total else { return }
        shown = percent
        let width = 30
        let filled = width * percent / 100
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let line = "[\(bar)] \(percent)% \(done)/\(total) rows, \(refused) refused"
        FileHandle.standardError.write(Data((isTerminal ? "\r" + line : line + "\n").utf8))
    }

    func finish() { if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) } }
}
