import ArgumentParser
import Foundation
import XinfangHTTP

/// `xinfang fuzz --target registration|packet --seconds N --seed S`: the seeded mutation fuzzer of
/// the registration and packet decoders; exit 1 on a finding.
struct Fuzz: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Fuzz the registration and packet decoders for a bounded time (seeded, repeatable).")

    @Option(name: .long, help: "registration, packet, or all.") var target: String = "all"
    @Option(name: .long, help: "Seconds per target.") var seconds: Double = 30
    @Option(name: .long, help: "The seed (the same seed tries the same inputs).") var seed: UInt64 = 1
    @Option(name: .long, help: "Stop a target after this many inputs.") var maxInputs: Int = .max

    func run() async throws {
        let targets =
            target == "all" ? Fuzzer.Target.allCases : [try Fuzzer.Target(rawValue: target).orThrow(ValidationError("unknown target \(target)"))]
        var failed = false
        for t in targets {
            let report = try await Fuzzer(seed: seed).run(t, seconds: seconds, maxInputs: maxInputs) { partial in
                if partial.inputs % 20_000 == 0 { FileHandle.standardError.write(Data("… \(partial)\n".utf8)) }
            }
            emit("\(report)")
            for finding in report.findings { emit("  FINDING \(finding)") }
            failed = failed || !report.findings.isEmpty
        }
        if failed { throw ExitCode.failure }
    }
}

extension Optional {
    func orThrow(_ error: @autoclosure () -> any Error) throws -> Wrapped {
        guard let value = self else { throw error() }
        return value
    }
}
