import Crypto
public import Foundation
public import XinfangCore

/// The case file's bytes (信访材料), kept outside the event log: one sealed file per blob in the
/// node's data folder, `blobs/<first two hex digits>/<SHA-256 of the plaintext>`, so a blob is
/// stored once however many cases and events name it. Files rather than rows of a second SQLite
/// database: a 200 MB scan streams in and out in 1 MiB chunks without a transaction holding it,
/// a range is a seek, a half-received blob is a temporary file that a restart can resume or
/// drop, and backing up the folder is copying files. Every chunk is sealed (`BlobSealing`), and
/// a whole read verifies the SHA-256 it is named by.
public struct BlobStore: Sendable {
    public let directory: URL
    let sealing: BlobSealing
    /// The blobs this process is fetching now, and from whom (shared by the copies of this value).
    public let fetches = Fetches()

    public init(directory: URL, protector: PersonalDataProtector) {
        self.directory = directory
        sealing = BlobSealing(protector)
    }

    public enum Failure: Error, Equatable {
        case tooLarge(limit: Int)
        case hashMismatch(expected: String, actual: String)
        case missing(String)
        case corrupt(String)
        case invalidHash(String)
    }

    /// A stored blob: its hash and plaintext size.
    public struct Stored: Equatable, Sendable {
        public var sha256: String
        public var size: Int
        /// The first bytes, for telling its type (`MediaType.sniff`).
        public var head: Data
    }

    static func isHash(_ text: String) -> Bool { AttachmentLimits.isHash(text) }

    func url(_ sha256: String) -> URL {
        directory.appendingPathComponent(String(sha256.prefix(2))).appendingPathComponent(sha256)
    }

    public func contains(_ sha256: String) -> Bool { Self.isHash(sha256) && FileManager.default.fileExists(atPath: url(sha256).path) }

    /// A blob being written: plaintext goes in as it arrives, sealed chunk by chunk to a temporary
    /// file; `finish` names it by its hash (or drops it when that blob is already stored).
    public final class Writer {
        let store: BlobStore
        let header: BlobSealing.Header
        let temporary: URL
        let handle: FileHandle
        let limit: Int
        var pending = Data()
        var index = 0
        var hasher = SHA256()
        public private(set) var size = 0
        public private(set) var head = Data()

        init(store: BlobStore, limit: Int) throws {
            self.store = store
            self.limit = limit
            header = store.sealing.newHeader()
            let folder = store.directory.appendingPathComponent("incoming")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            temporary = folder.appendingPathComponent(UUID().uuidString)
            guard FileManager.default.createFile(atPath: temporary.path, contents: header.encoded) else {
                throw Failure.corrupt("cannot create \(temporary.path)")
            }
            handle = try FileHandle(forWritingTo: temporary)
            try handle.seekToEnd()
        }

        /// Takes the next bytes; refuses (and forgets the blob) past the limit.
        public func append(_ bytes: Data) throws {
            size += bytes.count
            guard size <= limit else {
                abandon()
                throw Failure.tooLarge(limit: limit)
            }
            hasher.update(data: bytes)
            if head.count < MediaType.sniffBytes { head.append(bytes.prefix(MediaType.sniffBytes - head.count)) }
            pending.append(bytes)
            // A full chunk is sealed only once more follows, so the last one is known as last.
            while pending.count > header.chunkBytes {
                try handle.write(contentsOf: try store.sealing.seal(pending.prefix(header.chunkBytes), index: index, last: false, header: header))
                pending = Data(pending.dropFirst(header.chunkBytes))
                index += 1
            }
        }

        /// Seals the last chunk and stores the blob under its hash. With `expected`, a blob
        /// whose hash differs is refused and forgotten.
        public func finish(expected: String? = nil) throws -> Stored {
            try handle.write(contentsOf: try store.sealing.seal(pending, index: index, last: true, header: header))
            try handle.synchronize()
            try handle.close()
            let sha256 = NodeBackup.hex(hasher.finalize())
            if let expected, expected != sha256 {
                try? FileManager.default.removeItem(at: temporary)
                throw Failure.hashMismatch(expected: expected, actual: sha256)
            }
            try store.name(temporary, as: sha256)
            return Stored(sha256: sha256, size: size, head: head)
        }

        /// Drops what was written.
        public func abandon() {
            try? handle.close()
            try? FileManager.default.removeItem(at: temporary)
        }
    }

    /// Names a whole, synced file in `incoming/` as the blob `sha256` (or drops it when that blob
    /// is already stored), and syncs the folder, so that a blob recorded as here after this is
    /// here after a power failure too.
    func name(_ file: URL, as sha256: String) throws {
        let target = url(sha256)
        let folder = target.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        if FileManager.default.fileExists(atPath: target.path) {
            try FileManager.default.removeItem(at: file)
        } else {
            try FileManager.default.moveItem(at: file, to: target)
            try NodeBackup.synchronize(folder)
        }
    }

    /// A writer for a new blob of at most `limit` bytes.
    public func writer(limit: Int) throws -> Writer { try Writer(store: self, limit: limit) }

    /// Stores `bytes` (small blobs and tests).
    public func put(_ bytes: Data, limit: Int = .max) throws -> Stored {
        let writer = try writer(limit: limit)
        try writer.append(bytes)
        return try writer.finish()
    }

    /// The plaintext of `range` (the whole blob when nil) in chunks, each opened and checked; a
    /// whole read also checks the SHA-256 the blob is named by before its last chunk is handed out.
    public func read(_ sha256: String, range: Range<Int>? = nil, _ body: (Data) throws -> Void) throws {
        let reader = try reader(sha256, range: range)
        while let chunk = try reader.next() { try body(chunk) }
    }

    /// A reader of `range` of a blob (the whole blob when nil), one opened chunk at a time: what a
    /// download streams from, holding one chunk in memory.
    public func reader(_ sha256: String, range: Range<Int>? = nil) throws -> Reader {
        guard Self.isHash(sha256) else { throw Failure.invalidHash(sha256) }
        guard let handle = FileHandle(forReadingAtPath: url(sha256).path) else { throw Failure.missing(sha256) }
        do {
            return try Reader(sha256: sha256, handle: handle, sealing: sealing, range: range)
        } catch {
            try? handle.close()
            throw error
        }
    }

    /// One blob being read, chunk by chunk.
    public final class Reader {
        let sha256: String
        let handle: FileHandle
        let sealing: BlobSealing
        let header: BlobSealing.Header
        let chunks: Int
        /// The plaintext size of the whole blob, and the part of it this reader hands out.
        public let total: Int
        public let range: Range<Int>
        var index: Int
        let end: Int
        var hasher: SHA256?

        init(sha256: String, handle: FileHandle, sealing: BlobSealing, range: Range<Int>?) throws {
            self.sha256 = sha256
            self.handle = handle
            self.sealing = sealing
            guard let header = BlobSealing.Header(try handle.read(upToCount: 300) ?? Data()) else { throw Failure.corrupt("\(sha256): no header") }
            self.header = header
            let fileSize = Int(try handle.seekToEnd())
            let sealedChunk = header.chunkBytes + BlobSealing.overhead
            let count = max(1, (fileSize - header.length + sealedChunk - 1) / sealedChunk)
            chunks = count
            let lastPlain = fileSize - header.length - (count - 1) * sealedChunk - BlobSealing.overhead
            guard lastPlain >= 0 else { throw Failure.corrupt("\(sha256): truncated") }
            let size = (count - 1) * header.chunkBytes + lastPlain
            total = size
            self.range = range.map { $0.clamped(to: 0..<size) } ?? 0..<size
            hasher = range == nil ? SHA256() : nil
            if self.range.isEmpty {
                index = 0
                end = range == nil ? chunks : 0
            } else {
                index = self.range.lowerBound / header.chunkBytes
                end = (self.range.upperBound - 1) / header.chunkBytes + 1
            }
        }

        deinit { try? handle.close() }

        /// The next piece of the range, or nil at its end.
        public func next() throws -> Data? {
            guard index < end else { return nil }
            let sealedChunk = header.chunkBytes + BlobSealing.overhead
            try handle.seek(toOffset: UInt64(header.length + index * sealedChunk))
            let sealed = try handle.read(upToCount: sealedChunk) ?? Data()
            let plain: Data
            do { plain = try sealing.open(sealed, index: index, last: index == chunks - 1, header: header) } catch {
                throw Failure.corrupt("\(sha256): chunk \(index)")
            }
            let start = index * header.chunkBytes
            let slice = plain.subdata(in: max(0, range.lowerBound - start)..<max(0, min(plain.count, range.upperBound - start)))
            if hasher != nil {
                hasher?.update(data: plain)
                if index == chunks - 1 {
                    let actual = NodeBackup.hex(hasher!.finalize())
                    guard actual == sha256 else { throw Failure.hashMismatch(expected: sha256, actual: actual) }
                }
            }
            index += 1
            return slice
        }
    }

    /// The plaintext size of a stored blob, from its file's length.
    public func size(_ sha256: String) throws -> Int { try reader(sha256).total }
}
