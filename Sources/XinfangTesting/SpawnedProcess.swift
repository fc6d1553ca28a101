public import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn`, for the tests that start `xinfang` or a script.
///
/// Foundation's `Process.run()` on Linux (Swift 6.3.1) can crash the whole test process: it lists
/// `/proc/self/fd` to close the parent's descriptors in the child and copies 256 bytes of each
/// directory entry, past the end of glibc's buffer when an entry sits at its tail
/// (swift-corelibs-foundation PR #5472, merged upstream after this toolchain). A clean-clone CI run
/// of this project died that way once. This spawner asks glibc itself to close them
/// (`posix_spawn_file_actions_addclosefrom_np`) and to change directory
/// (`posix_spawn_file_actions_addchdir_np`), both looked up at run time (glibc 2.34 and later),
/// and offers the part of `Process` the tests use.
public final class SpawnedProcess: @unchecked Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    public let processIdentifier: pid_t
    /// The variable that asks `xinfang` to stop when the process that started it ends (any value
    /// but "1" leaves it running).
    public static let stopWithParent = "XINFANG_STOP_WITH_PARENT"
    private let lock = NSLock()
    private var exitStatus: Int32?

    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
    private typealias ChangeDirectory = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, UnsafePointer<CChar>?) -> Int32

    private static func function<T>(_ name: String, as type: T.Type) throws -> T {
        // The program's own namespace, which has glibc (dlopen of no file).
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), name) else {
            throw Failure("glibc has no \(name) (2.34 or later needed)")
        }
        return unsafeBitCast(symbol, to: type)
    }

    /// Starts `executable` with `arguments` in `workDirectory`, standard output appended to `output`
    /// and standard error to `errors` (by default to `output` too), standard input from /dev/null,
    /// no other descriptor of this process inherited.
    public init(executable: String, arguments: [String], workDirectory: String, output: String, errors: String? = nil) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let closeFrom = try Self.function("posix_spawn_file_actions_addclosefrom_np", as: CloseFrom.self)
        let changeDirectory = try Self.function("posix_spawn_file_actions_addchdir_np", as: ChangeDirectory.self)
        var steps: [Int32] = [
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0),
            posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_APPEND | O_CREAT, 0o644),
            errors.map { posix_spawn_file_actions_addopen(&actions, 2, $0, O_WRONLY | O_APPEND | O_CREAT, 0o644) }
                ?? posix_spawn_file_actions_adddup2(&actions, 1, 2),
            closeFrom(&actions, 3),
        ]
        steps.append(workDirectory.withCString { changeDirectory(&actions, $0) })
        if let failed = steps.first(where: { $0 != 0 }) { throw Failure("posix_spawn file actions: \(String(cString: strerror(failed)))") }
        let argv = ([executable] + arguments).map { strdup($0) }
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        // This process's environment, and `xinfang`'s request to stop once this process has ended
        // (`XINFANG_STOP_WITH_PARENT`), so that a test run that stops on a fatal error leaves no
        // node running.
        var environment = ProcessInfo.processInfo.environment
        environment[Self.stopWithParent] = environment[Self.stopWithParent] ?? "1"
        let envp = environment.map { strdup("\($0.key)=\($0.value)") }
        defer { for pointer in envp { free(pointer) } }
        let rc = posix_spawn(&pid, executable, &actions, nil, argv + [nil], envp + [nil])
        guard rc == 0 else { throw Failure("posix_spawn \(executable): \(String(cString: strerror(rc)))") }
        processIdentifier = pid
    }

    /// Whether the child still runs (reaps it when it has ended).
    public var isRunning: Bool {
        lock.withLock {
            guard exitStatus == nil else { return false }
            var status: Int32 = 0
            let reaped = waitpid(processIdentifier, &status, WNOHANG)
            guard reaped == processIdentifier else { return reaped == 0 }
            // As `Process.terminationStatus`: the exit code, or the signal that ended it.
            let signal = status & 0x7f
            exitStatus = signal == 0 ? (status >> 8) & 0xff : signal
            return false
        }
    }

    /// The exit code, or the number of the signal that ended the child; call after `isRunning` is false.
    public var terminationStatus: Int32 { lock.withLock { exitStatus ?? -1 } }

    /// SIGINT, as Ctrl-C.
    public func interrupt() { kill(processIdentifier, SIGINT) }

    /// Waits for the child to end (polling every 20 ms) and answers its `terminationStatus`; a
    /// child still running after `timeout` seconds is killed (SIGKILL) and the wait fails.
    public func waitForExit(timeout: TimeInterval) async throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while isRunning {
            guard Date() < deadline else {
                kill(processIdentifier, SIGKILL)
                throw Failure("the process did not exit within \(timeout) s")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return terminationStatus
    }

    /// What a program run to its end wrote, and how it ended.
    public struct Outcome: Sendable {
        public let status: Int32
        public let output: String
        public let errors: String
    }

    /// Runs `executable` to its end and answers its status, its standard output and its standard
    /// error. The wait suspends (it never parks one of Swift's cooperative threads, as Foundation's
    /// `Process.waitUntilExit()` does: a test suite whose few such threads were all parked so
    /// hung for good) and is bounded: a program still running after `timeout` seconds is killed
    /// and the run fails.
    public static func run(
        _ executable: String,
        _ arguments: [String],
        in workDirectory: String = FileManager.default.temporaryDirectory.path,
        timeout: TimeInterval = 600
    ) async throws -> Outcome {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("spawned-\(UUID().uuidString)").path
        let (output, errors) = (base + ".out", base + ".err")
        defer {
            try? FileManager.default.removeItem(atPath: output)
            try? FileManager.default.removeItem(atPath: errors)
        }
        let process = try SpawnedProcess(executable: executable, arguments: arguments, workDirectory: workDirectory, output: output, errors: errors)
        let status = try await process.waitForExit(timeout: timeout)
        func text(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
        return Outcome(status: status, output: text(output), errors: text(errors))
    }
}
