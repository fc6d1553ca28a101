public import Foundation

/// The Python tools some tests compare with or run (qrcode, schemathesis and the jsonschema-rs it
/// brings), in a virtual environment inside the checkout (`.build/pytools`) that
/// `deploy/install-test-tools.sh` installs when missing, under a lock, so tests that ask at the
/// same time on a fresh checkout wait for one installation.
public enum PythonTools {
    /// The checkout's root.
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Whether this process has seen the script succeed (callers at the same time each run it:
    /// its lock makes the later ones wait and find the tools in place).
    private actor Installation {
        var done = false

        func ensure() async throws {
            guard !done else { return }
            // An installation from PyPI takes a minute or two; a check of one in place, a second.
            let install = try await SpawnedProcess.run("/bin/bash", [root.appendingPathComponent("deploy/install-test-tools.sh").path], timeout: 900)
            guard install.status == 0 else {
                throw SpawnedProcess.Failure("deploy/install-test-tools.sh exited with \(install.status): \(install.output)\(install.errors)")
            }
            done = true
        }
    }

    private static let installation = Installation()

    /// The path of `program` in the tools' environment (`python`, `schemathesis`), installed first.
    public static func path(_ program: String) async throws -> String {
        try await installation.ensure()
        return root.appendingPathComponent(".build/pytools/bin/\(program)").path
    }
}
