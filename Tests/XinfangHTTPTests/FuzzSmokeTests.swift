import Testing
import XinfangHTTP

/// The fuzzer runs (a few hundred inputs per target; `deploy/fuzz.sh` runs it for minutes): no
/// finding, some inputs accepted and some refused (the mutations reach past the first check).
struct FuzzSmokeTests {
    @Test(arguments: Fuzzer.Target.allCases)
    func aShortFuzzRunFindsNothing(target: Fuzzer.Target) async throws {
        let report = try await Fuzzer(seed: 7).run(target, seconds: 600, maxInputs: 400)  // the count ends it; the time only guards
        #expect(report.inputs == 400)
        #expect(report.findings.isEmpty, "\(report.findings)")
        #expect(report.accepted > 0 && report.refused > 0, "\(report)")
    }

    @Test func theSameSeedTriesTheSameInputs() async throws {
        // The count ends each run; the time only guards (a clean-clone CI run under load once hit
        // a 60 s budget in one of the two runs, which then compared different inputs).
        let a = try await Fuzzer(seed: 11).run(.registration, seconds: 600, maxInputs: 200)
        let b = try await Fuzzer(seed: 11).run(.registration, seconds: 600, maxInputs: 200)
        #expect(a.inputs == 200 && b.inputs == 200)
        #expect(a.accepted == b.accepted && a.refusedBy == b.refusedBy)
    }
}
