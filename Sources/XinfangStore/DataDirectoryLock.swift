public import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One serving process per store: an exclusive advisory lock (`flock`) on `xinfang.lock` in the
/// node's data folder, held for the life of `xinfang serve`. A second server on the same folder
/// would accept writes, run a second sync loop and a second reconciler; it refuses to start
/// instead. The lock goes with the process (a `kill -9` releases it), so a crash never leaves a
/// folder locked. Tools that open the store beside a running node (`users`, `import`) do not take it.
public final class DataDirectoryLock: Sendable {
    let descriptor: Int32
    public static let fileName = "xinfang.lock"

    /// Another process holds the lock.
    public struct InUse: Error, CustomStringConvertible {
        public var directory: String
        public var holder: String
        public var description: String {
            "the data folder \(directory) is in use by another xinfang process\(holder.isEmpty ? "" : " (pid \(holder))"): "
                + "stop it first; two servers on one store would both accept writes"
        }
    }

    /// Takes the lock on `directory` (created if needed), or throws `InUse`.
    public init(directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent(Self.fileName).path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError.database("cannot open \(path) (errno \(errno))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            close(fd)
            throw InUse(directory: directory.path, holder: holder)
        }
        // The holder's pid, for the message a second process prints.
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        descriptor = fd
    }

    /// Releases the lock (the process ending releases it too).
    public func release() {
        _ = flock(descriptor, LOCK_UN)
    }

    deinit { close(descriptor) }
}
