import ArgumentParser
import Foundation
import XinfangCore
import XinfangHTTP
import XinfangSimulation

/// `xinfang notices`: the written notices' templates and samples.
struct Notices: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The written notices (文书): export the built-in templates, or render every kind for sample cases.",
        subcommands: [Export.self, Samples.self]
    )

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the built-in notice templates to a folder, to edit and name as the node's noticeTemplates.",
            discussion: "notice.mustache lays out every kind; a file <kind>.mustache in the folder replaces it for one kind."
        )

        @Option(name: .long, help: "The folder to write to (created if missing; existing files are kept).")
        var dir: String

        func run() async throws {
            let folder = URL(fileURLWithPath: dir)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for (name, text) in NoticeTemplates.builtIn.sorted(by: { $0.key < $1.key }) {
                let url = folder.appendingPathComponent("\(name).mustache")
                if FileManager.default.fileExists(atPath: url.path) {
                    print("kept \(url.path) (exists)")
                    continue
                }
                try Data(text.utf8).write(to: url)
                print("wrote \(url.path)")
            }
            print("kinds that may have their own template: \(NoticeKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    struct Samples: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take sample cases through their whole life on the simulated hierarchy and write every notice issued (HTML).",
            discussion: "Each file is the frozen notice as issued; print it to PDF from any browser (deploy/notices.sh uses headless Chromium)."
        )

        @Option(name: .long, help: "The folder to write the notices to.") var out: String
        @Option(name: .long, help: "A folder of templates overriding the built-in ones.") var templates: String?

        func run() async throws {
            let folder = URL(fileURLWithPath: out)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let set = try NoticeTemplates(directory: templates.map { URL(fileURLWithPath: $0) })
            let work = FileManager.default.temporaryDirectory.appendingPathComponent("xinfang-notice-samples-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: work) }
            let samples = try await NoticeSamples.run(directory: work) { try set.render($0) }
            for (index, sample) in samples.enumerated() {
                let url = folder.appendingPathComponent(String(format: "%02d-%@.html", index + 1, sample.kind.rawValue))
                try sample.bytes.write(to: url)
                print("\(url.path)  \(sample.record.docNumber) \(sample.kind.title)  sha256 \(sample.record.sha256.prefix(16))…  (\(sample.organ))")
            }
        }
    }
}
