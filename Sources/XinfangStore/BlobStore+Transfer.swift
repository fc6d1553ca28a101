import Crypto
public import Foundation
import Synchronization
public import XinfangCore

/// Moving a blob between neighbours as it rests: the sealed chunks are copied, never opened and
/// sealed again (the hierarchy shares the data keyring), so a transfer costs a file read at one
/// end and a write at the other. The receiver checks every chunk as it arrives (it opens under
/// the file's id, index and end, so a truncated, altered or misplaced chunk is refused at once),
/// hashes what it opened, keeps what it checked in `incoming/<sha256>.part` (a restart or a
/// kill -9 resumes after the last whole chunk), and names the blob only once the hash of the whole
/// verifies, after one fsync of the file.
extension BlobStore {
    /// What a sender says about a blob before its chunks: the sealed file's header, its number
    /// of chunks and its plaintext size.
    public struct SealedShape: Equatable, Sendable {
        public var header: Data
        public var chunks: Int
        public var size: Int

        public init(header: Data, chunks: Int, size: Int) {
            self.header = header
            self.chunks = chunks
            self.size = size
        }

        /// Whether the numbers agree with each other and with a header that parses.
        var parsed: BlobSealing.Header? {
            guard let header = BlobSealing.Header(header), header.encoded == self.header, size >= 0 else { return nil }
            return chunks == Swift.max(1, (size + header.chunkBytes - 1) / header.chunkBytes) ? header : nil
        }

        /// How many chunks from `first` make `sealedBytes` stored bytes (whole chunks only).
        public func chunks(from first: Int, sealedBytes: Int) -> Int {
            guard let header = parsed else { return 0 }
            var index = first
            var left = sealedBytes
            while index < chunks, case let length = sealedLength(of: index, chunkBytes: header.chunkBytes), left >= length {
                left -= length
                index += 1
            }
            return index - first
        }

        /// The stored length of chunk `index`.
        func sealedLength(of index: Int, chunkBytes: Int) -> Int {
            (index == chunks - 1 ? size - (chunks - 1) * chunkBytes : chunkBytes) + BlobSealing.overhead
        }
    }

    /// The fetches under way in this process, each with the neighbour it asks: what lets a relay
    /// tell a neighbour asking for chunks it has not yet that they are coming (`blob-arriving`),
    /// and never the neighbour it is asking itself, so two nodes that both lack a file do not
    /// wait on each other.
    public final class Fetches: Sendable {
        private let sources = Mutex<[String: [UInt64: NodeID]]>([:])
        private let next = Atomic<UInt64>(0)

        public init() {}

        /// A fetch of `sha256` from `source` begins; `end` it with the token this returns.
        public func begin(_ sha256: String, from source: NodeID) -> UInt64 {
            let token = next.add(1, ordering: .relaxed).newValue
            sources.withLock { $0[sha256, default: [:]][token] = source }
            return token
        }

        public func end(_ sha256: String, _ token: UInt64) {
            sources.withLock { sources in
                sources[sha256]?[token] = nil
                if sources[sha256]?.isEmpty == true { sources[sha256] = nil }
            }
        }

        /// Whether `sha256` is being fetched here from a neighbour other than `asker`.
        public func coming(_ sha256: String, for asker: NodeID) -> Bool {
            sources.withLock { $0[sha256]?.values.contains { $0 != asker } ?? false }
        }
    }

    /// The shape of a stored blob.
    public func shape(_ sha256: String) throws -> SealedShape {
        let reader = try reader(sha256, range: 0..<0)
        return SealedShape(header: reader.header.encoded, chunks: reader.chunks, size: reader.total)
    }

    /// The stored bytes of chunks `from..<from+count` (clamped to the file), as they rest.
    public func sealedChunks(_ sha256: String, from: Int, count: Int) throws -> Data {
        var out = Data()
        try sealedChunks(sha256, from: from, count: count) { out.append($0) }
        return out
    }

    /// The same, one stored chunk at a time (what a neighbour's request streams from). With
    /// `partial`, from the chunks of a blob still arriving, each checked when it landed: a relay
    /// hands a file on while it fetches it.
    public func sealedChunks(_ sha256: String, from: Int, count: Int, partial: Bool = false, _ body: (Data) throws -> Void) throws {
        // A partial file that has just been completed was renamed, header and chunks unchanged.
        let path = [partial ? partialURL(sha256).path : nil, url(sha256).path].compactMap { $0 }.first { FileManager.default.fileExists(atPath: $0) }
        guard Self.isHash(sha256), let path, let handle = FileHandle(forReadingAtPath: path) else { throw Failure.missing(sha256) }
        defer { try? handle.close() }
        guard let header = BlobSealing.Header(try handle.read(upToCount: 300) ?? Data()) else { throw Failure.corrupt("\(sha256): no header") }
        let sealed = header.chunkBytes + BlobSealing.overhead
        guard from >= 0, count > 0 else { return }
        try handle.seek(toOffset: UInt64(header.length + from * sealed))
        for _ in 0..<count {
            guard let chunk = try handle.read(upToCount: sealed), !chunk.isEmpty else { return }
            try body(chunk)
        }
    }

    /// The shape of a blob still arriving (its size known from the event naming it) and the whole
    /// chunks it has, or nil when none has arrived.
    public func partialShape(_ sha256: String, size: Int) -> (shape: SealedShape, chunks: Int)? {
        guard Self.isHash(sha256), let handle = FileHandle(forReadingAtPath: partialURL(sha256).path) else { return nil }
        defer { try? handle.close() }
        guard let header = BlobSealing.Header((try? handle.read(upToCount: 300)) ?? Data()) else { return nil }
        let shape = SealedShape(header: header.encoded, chunks: Swift.max(1, (size + header.chunkBytes - 1) / header.chunkBytes), size: size)
        let have = receivedChunks(sha256)
        return have > 0 ? (shape, Swift.min(have, shape.chunks)) : nil
    }

    /// The length of the stored bytes of chunks `from..<from+count` of a blob of `shape`.
    public static func sealedLength(of shape: SealedShape, from: Int, count: Int) -> Int {
        guard let header = shape.parsed, from >= 0, from < shape.chunks else { return 0 }
        return (from..<Swift.min(shape.chunks, from + count)).reduce(0) { $0 + shape.sealedLength(of: $1, chunkBytes: header.chunkBytes) }
    }

    func partialURL(_ sha256: String) -> URL {
        directory.appendingPathComponent("incoming").appendingPathComponent("\(sha256).part")
    }

    /// The whole chunks of `sha256` already received (0 when none), for progress and resumption.
    public func receivedChunks(_ sha256: String) -> Int {
        guard Self.isHash(sha256), let handle = FileHandle(forReadingAtPath: partialURL(sha256).path) else { return 0 }
        defer { try? handle.close() }
        guard let header = BlobSealing.Header((try? handle.read(upToCount: 300)) ?? Data()), let length = try? handle.seekToEnd() else { return 0 }
        return Swift.max(0, (Int(length) - header.length) / (header.chunkBytes + BlobSealing.overhead))
    }

    /// Starts or resumes receiving `sha256` of the given shape.
    public func arrival(_ sha256: String, shape: SealedShape) throws -> Arrival { try Arrival(store: self, sha256: sha256, shape: shape) }

    /// A blob arriving as sealed chunks, in order.
    public final class Arrival {
        let store: BlobStore
        let sha256: String
        let shape: SealedShape
        let header: BlobSealing.Header
        let url: URL
        let handle: FileHandle
        /// The index of the next chunk wanted.
        public private(set) var nextChunk: Int
        /// The SHA-256 of the plaintext of the chunks before `nextChunk`.
        var hasher: SHA256

        init(store: BlobStore, sha256: String, shape: SealedShape) throws {
            guard BlobStore.isHash(sha256) else { throw Failure.invalidHash(sha256) }
            guard let header = shape.parsed else { throw Failure.corrupt("\(sha256): the sender's header and sizes disagree") }
            self.store = store
            self.sha256 = sha256
            self.shape = shape
            self.header = header
            url = store.partialURL(sha256)
            let manager = FileManager.default
            try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            // Resume only the same sealed file (the same header: key and file id); a copy from
            // another neighbour was sealed under another file id and starts again.
            var kept = 0
            if let existing = FileHandle(forReadingAtPath: url.path) {
                let head = (try? existing.read(upToCount: shape.header.count)) ?? Data()
                let length = Int((try? existing.seekToEnd()) ?? 0)
                try? existing.close()
                if head == shape.header {
                    kept = Swift.min(shape.chunks, Swift.max(0, (length - header.length) / (header.chunkBytes + BlobSealing.overhead)))
                }
            }
            if kept == 0 {
                guard manager.createFile(atPath: url.path, contents: shape.header) else { throw Failure.corrupt("cannot create \(url.path)") }
            }
            handle = try FileHandle(forUpdating: url)
            // The chunks kept are opened again, in order, for the running hash: the file is synced
            // only once whole, so after a power failure a chunk it kept may not be what was written.
            // The first that does not open is dropped with everything after it, as a torn chunk a
            // crash left after the last whole one.
            var hasher = SHA256()
            var whole = 0
            try handle.seek(toOffset: UInt64(header.length))
            while whole < kept, let sealed = try handle.read(upToCount: shape.sealedLength(of: whole, chunkBytes: header.chunkBytes)),
                let plain = try? store.sealing.open(sealed, index: whole, last: whole == shape.chunks - 1, header: header)
            {
                hasher.update(data: plain)
                whole += 1
            }
            try handle.truncate(atOffset: UInt64(header.length + whole * (header.chunkBytes + BlobSealing.overhead)))
            try handle.seekToEnd()
            self.hasher = hasher
            nextChunk = whole
        }

        deinit { try? handle.close() }

        /// Whether every chunk has arrived.
        public var isComplete: Bool { nextChunk >= shape.chunks }

        /// Takes the stored bytes of the next chunks; each must open as the chunk it is, or
        /// nothing of this call is kept. Kept when it returns (a kill -9 loses none of it); the
        /// file is synced once, whole, by `finish`.
        public func append(_ bytes: Data) throws {
            var offset = bytes.startIndex
            var index = nextChunk
            var hashed = hasher
            // Checked in place (slices share the bytes), then written: one copy of the request in memory.
            while offset < bytes.endIndex {
                guard index < shape.chunks else { throw Failure.corrupt("\(sha256): more chunks than the blob has") }
                let length = shape.sealedLength(of: index, chunkBytes: header.chunkBytes)
                guard bytes.endIndex - offset >= length else { throw Failure.corrupt("\(sha256): chunk \(index) is truncated") }
                do {
                    hashed.update(
                        data: try store.sealing.open(bytes[offset..<offset + length], index: index, last: index == shape.chunks - 1, header: header)
                    )
                } catch {
                    throw Failure.corrupt("\(sha256): chunk \(index) does not open")
                }
                offset += length
                index += 1
            }
            try handle.write(contentsOf: bytes)
            hasher = hashed
            nextChunk = index
        }

        /// Verifies the hash of the whole (of every chunk as it was opened) and names the blob,
        /// the file synced first; a file that does not verify is dropped.
        public func finish() throws -> Stored {
            guard isComplete else { throw Failure.corrupt("\(sha256): \(shape.chunks - nextChunk) chunks missing") }
            let actual = NodeBackup.hex(hasher.finalize())
            guard actual == sha256 else {
                discard()
                throw Failure.hashMismatch(expected: sha256, actual: actual)
            }
            try handle.synchronize()
            try handle.close()
            try store.name(url, as: sha256)
            return Stored(sha256: sha256, size: shape.size, head: Data())
        }

        /// Forgets what arrived (a sender that lied about the blob).
        public func discard() {
            try? handle.close()
            try? FileManager.default.removeItem(at: url)
        }
    }
}
