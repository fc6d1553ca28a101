import Crypto
import Foundation
import Testing
import XinfangCore
import XinfangStore
import XinfangTesting

/// A blob copied between two stores as sealed chunks: checked chunk by chunk as it lands, resumed
/// after the last whole chunk when the copy stops at any byte, restarted when the sender's sealed
/// file is another, and named only when the whole verifies.
struct BlobTransferTests {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("xinfang-transfer-\(UUID().uuidString)")
    var sender: BlobStore { BlobStore(directory: root.appendingPathComponent("sender"), protector: .development) }
    var receiver: BlobStore { BlobStore(directory: root.appendingPathComponent("receiver"), protector: .development) }
    static let chunk = BlobSealing.chunkBytes
    static let sealed = chunk + BlobSealing.overhead

    func stored(_ size: Int, seed: UInt64 = 3) throws -> (BlobStore.Stored, Data) {
        let data = BlobStoreTests.bytes(size, seed: seed)
        return (try sender.put(data), data)
    }

    func readAll(_ store: BlobStore, _ sha: String) throws -> Data {
        var out = Data()
        try store.read(sha) { out.append($0) }
        return out
    }

    @Test(arguments: [0, 10, chunk, 3 * chunk + 17])
    func aBlobCopiedChunkByChunkIsTheSameBlob(size: Int) throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let (blob, data) = try stored(size)
        let shape = try sender.shape(blob.sha256)
        #expect(shape.size == size && shape.chunks == max(1, (size + Self.chunk - 1) / Self.chunk))
        let arrival = try receiver.arrival(blob.sha256, shape: shape)
        while !arrival.isComplete {
            try arrival.append(try sender.sealedChunks(blob.sha256, from: arrival.nextChunk, count: 2))
        }
        _ = try arrival.finish()
        #expect(try readAll(receiver, blob.sha256) == data)
    }

    @Test func aCopyStoppedAtAnyByteResumesAfterItsLastWholeChunk() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let (blob, data) = try stored(4 * Self.chunk + 99)
        let shape = try sender.shape(blob.sha256)
        let first = try receiver.arrival(blob.sha256, shape: shape)
        try first.append(try sender.sealedChunks(blob.sha256, from: 0, count: 2))
        // A kill -9 in the middle of writing chunk 2: half of it reached the file.
        let part = receiver.directory.appendingPathComponent("incoming/\(blob.sha256).part")
        let handle = try FileHandle(forWritingTo: part)
        try handle.seekToEnd()
        try handle.write(contentsOf: try sender.sealedChunks(blob.sha256, from: 2, count: 1).prefix(Self.sealed / 2))
        try handle.close()
        #expect(receiver.receivedChunks(blob.sha256) == 2)
        let resumed = try receiver.arrival(blob.sha256, shape: shape)
        #expect(resumed.nextChunk == 2, "the torn chunk is dropped, the two whole ones kept")
        try resumed.append(try sender.sealedChunks(blob.sha256, from: 2, count: 4))
        _ = try resumed.finish()
        #expect(try readAll(receiver, blob.sha256) == data)
    }

    /// The file is synced once, whole: after a power failure a chunk the partial file kept may be
    /// zeros or old bytes. A resumed arrival opens what it kept again, keeps the chunks before the
    /// first that does not open, and the whole still verifies.
    @Test func aResumedCopyDropsAKeptChunkThatNoLongerOpensAndWhatFollowsIt() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let (blob, data) = try stored(4 * Self.chunk + 7)
        let shape = try sender.shape(blob.sha256)
        let first = try receiver.arrival(blob.sha256, shape: shape)
        try first.append(try sender.sealedChunks(blob.sha256, from: 0, count: 3))
        #expect(first.nextChunk == 3)
        // Chunk 1 lost in the crash: zeros where it was, chunk 2 intact after it.
        let part = receiver.directory.appendingPathComponent("incoming/\(blob.sha256).part")
        let handle = try FileHandle(forUpdating: part)
        let headerLength = (try handle.seekToEnd()) - UInt64(3 * Self.sealed)
        try handle.seek(toOffset: headerLength + UInt64(Self.sealed))
        try handle.write(contentsOf: Data(count: Self.sealed))
        try handle.close()
        let resumed = try receiver.arrival(blob.sha256, shape: shape)
        #expect(resumed.nextChunk == 1, "chunk 0 kept; chunk 1 and the sound chunk 2 after it fetched again")
        #expect(receiver.receivedChunks(blob.sha256) == 1)
        try resumed.append(try sender.sealedChunks(blob.sha256, from: 1, count: 4))
        _ = try resumed.finish()
        #expect(try readAll(receiver, blob.sha256) == data)
        #expect(receiver.receivedChunks(blob.sha256) == 0, "named, nothing left in incoming")
    }

    /// A relay says a file is coming only to a neighbour other than the one it fetches from, so
    /// two nodes that both lack a file and ask each other are each told it is not here.
    @Test func aFetchUnderWayIsComingForEveryNeighbourButTheOneItAsks() {
        let fetches = BlobStore.Fetches()
        let (sha, other) = (String(repeating: "a", count: 64), String(repeating: "b", count: 64))
        let (province, city, county) = (NodeID(rawValue: "430000"), NodeID(rawValue: "430100"), NodeID(rawValue: "430102"))
        #expect(!fetches.coming(sha, for: county), "nothing under way")
        let fromCounty = fetches.begin(sha, from: county)
        #expect(!fetches.coming(sha, for: county) && fetches.coming(sha, for: province))
        let fromProvince = fetches.begin(sha, from: province)
        #expect(fetches.coming(sha, for: county) && fetches.coming(sha, for: city) && !fetches.coming(other, for: county))
        fetches.end(sha, fromProvince)
        #expect(!fetches.coming(sha, for: county), "the other fetch ended; its token ends only itself")
        fetches.end(sha, fromCounty)
        #expect(!fetches.coming(sha, for: province))
    }

    @Test func aTruncatedAlteredOrMisplacedChunkIsRefusedAndNothingOfItKept() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let (blob, _) = try stored(3 * Self.chunk + 5)
        let shape = try sender.shape(blob.sha256)
        let arrival = try receiver.arrival(blob.sha256, shape: shape)
        let two = try sender.sealedChunks(blob.sha256, from: 0, count: 2)
        #expect(throws: BlobStore.Failure.self) { try arrival.append(two.prefix(Self.sealed + 10)) }
        var altered = two
        altered[Self.sealed + 40] ^= 1
        #expect(throws: BlobStore.Failure.self) { try arrival.append(altered) }
        #expect(throws: BlobStore.Failure.self) { try arrival.append(try sender.sealedChunks(blob.sha256, from: 1, count: 1)) }
        #expect(arrival.nextChunk == 0 && receiver.receivedChunks(blob.sha256) == 0, "a refused call keeps none of its chunks")
        try arrival.append(two)
        #expect(arrival.nextChunk == 2)
        #expect(throws: BlobStore.Failure.self) { _ = try arrival.finish() }
    }

    @Test func anotherSealingOfTheSameBytesStartsAgainAndALyingShapeIsRefused() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let (blob, data) = try stored(2 * Self.chunk + 1)
        let arrival = try receiver.arrival(blob.sha256, shape: try sender.shape(blob.sha256))
        try arrival.append(try sender.sealedChunks(blob.sha256, from: 0, count: 1))
        // The same bytes sealed at another node: another file id, so nothing is resumed from it.
        let other = BlobStore(directory: root.appendingPathComponent("other"), protector: .development)
        _ = try other.put(data)
        let restarted = try receiver.arrival(blob.sha256, shape: try other.shape(blob.sha256))
        #expect(restarted.nextChunk == 0)
        // Sizes that disagree with the chunks, a header that is not one.
        var lying = try sender.shape(blob.sha256)
        lying.size += Self.chunk
        #expect(throws: BlobStore.Failure.self) { _ = try receiver.arrival(blob.sha256, shape: lying) }
        lying = try sender.shape(blob.sha256)
        lying.header = Data("XFB1 nonsense".utf8)
        #expect(throws: BlobStore.Failure.self) { _ = try receiver.arrival(blob.sha256, shape: lying) }
        #expect(throws: BlobStore.Failure.self) { _ = try receiver.arrival("../../x", shape: try sender.shape(blob.sha256)) }
    }

    @Test func chunksThatOpenButAreAnotherBlobAreNotNamedAsThisOne() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let (blob, _) = try stored(1000, seed: 5)
        let (impostor, _) = try stored(1000, seed: 6)
        // The sender serves the impostor's sealed file under the first blob's name.
        let arrival = try receiver.arrival(blob.sha256, shape: try sender.shape(impostor.sha256))
        try arrival.append(try sender.sealedChunks(impostor.sha256, from: 0, count: 1))
        #expect(throws: BlobStore.Failure.self) { _ = try arrival.finish() }
        #expect(!receiver.contains(blob.sha256) && receiver.receivedChunks(blob.sha256) == 0)
    }

    /// A relay hands on the chunks it has checked while it still fetches the rest, and the same
    /// chunks once the file is whole (renamed, unchanged).
    @Test func aRelayHandsOnTheChunksItHasWhileItFetchesTheRest() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let (blob, data) = try stored(3 * Self.chunk + 10)
        let shape = try sender.shape(blob.sha256)
        #expect(receiver.partialShape(blob.sha256, size: data.count) == nil, "nothing yet")
        let arrival = try receiver.arrival(blob.sha256, shape: shape)
        try arrival.append(try sender.sealedChunks(blob.sha256, from: 0, count: 2))
        let (partial, have) = try #require(receiver.partialShape(blob.sha256, size: data.count))
        #expect(partial == shape && have == 2)
        var handedOn = Data()
        try receiver.sealedChunks(blob.sha256, from: 0, count: 4, partial: true) { handedOn.append($0) }
        #expect(handedOn == (try sender.sealedChunks(blob.sha256, from: 0, count: 2)), "only the chunks it has")
        // Downstream, the chunks handed on are the blob's.
        let downstream = BlobStore(directory: root.appendingPathComponent("downstream"), protector: .development)
        let next = try downstream.arrival(blob.sha256, shape: partial)
        try next.append(handedOn)
        try arrival.append(try sender.sealedChunks(blob.sha256, from: 2, count: 2))
        _ = try arrival.finish()
        var rest = Data()
        try receiver.sealedChunks(blob.sha256, from: 2, count: 4, partial: true) { rest.append($0) }
        try next.append(rest)
        _ = try next.finish()
        #expect(try readAll(downstream, blob.sha256) == data)
    }
}
