import Crypto
import Foundation
import Testing
import XinfangCore
import XinfangStore
import XinfangTesting

/// The case file's bytes at rest: named by their hash, stored once, sealed chunk by chunk, read
/// whole or by range, and refused when altered, moved, cut short, too large or not what was promised.
struct BlobStoreTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("xinfang-blobs-\(UUID().uuidString)")
    var store: BlobStore { BlobStore(directory: folder, protector: .development) }
    static let chunk = BlobSealing.chunkBytes

    static func bytes(_ count: Int, seed: UInt64 = 1) -> Data {
        var random = SeededRandom(seed: seed)
        return Data((0..<count).map { _ in UInt8.random(in: 0...255, using: &random) })
    }

    static func hex(_ data: Data) -> String { SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined() }

    func readAll(_ sha256: String, range: Range<Int>? = nil) throws -> Data {
        var out = Data()
        try store.read(sha256, range: range) { out.append($0) }
        return out
    }

    @Test(arguments: [0, 1, chunk - 1, chunk, chunk + 1, 3 * chunk + chunk / 2])
    func aBlobComesBackAsItWentInNamedByItsHash(size: Int) throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = Self.bytes(size, seed: UInt64(size) + 7)
        // Written in uneven pieces, as a network delivers them.
        let writer = try store.writer(limit: .max)
        var offset = 0
        var piece = 1
        while offset < data.count {
            let end = min(data.count, offset + piece)
            try writer.append(data.subdata(in: offset..<end))
            offset = end
            piece = piece * 3 + 1
        }
        let stored = try writer.finish()
        #expect(stored.sha256 == Self.hex(data))
        #expect(stored.size == size)
        #expect(try store.size(stored.sha256) == size)
        #expect(try readAll(stored.sha256) == data)
        // Ranges: at the start, across a chunk boundary, at the end, past the end.
        let boundary = min(size, max(0, Self.chunk - 5))..<min(size, Self.chunk + 5)
        for range in [0..<min(10, size), boundary, max(0, size - 3)..<size, size..<size + 10] {
            #expect(try readAll(stored.sha256, range: range) == data.subdata(in: range.clamped(to: 0..<size)), "\(range)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("incoming").path).isEmpty)
    }

    @Test func theSameBytesAreStoredOnceAndNeverInTheClear() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let letter = Data(String(repeating: "信访人张伟反映拖欠工资，身份证号 110101199003071234。", count: 2_000).utf8)
        let a = try store.put(letter)
        let b = try store.put(letter)
        #expect(a == b)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent(String(a.sha256.prefix(2))).path)
        #expect(files == [a.sha256])
        let raw = try Data(contentsOf: folder.appendingPathComponent(String(a.sha256.prefix(2))).appendingPathComponent(a.sha256))
        #expect(raw.range(of: Data("110101199003071234".utf8)) == nil, "sealed at rest")
        // Another hierarchy's keyring cannot open it.
        let stranger = PersonalDataProtector(
            keyring: DataKeyring(active: "dev", keys: ["dev": Data(repeating: 0x33, count: 32).base64EncodedString()], matchKey: "")
        )
        #expect(throws: BlobStore.Failure.self) {
            try BlobStore(directory: folder, protector: stranger).read(a.sha256) { _ in }
        }
    }

    @Test func alteredMovedOrTruncatedBytesAreRefused() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = Self.bytes(3 * Self.chunk, seed: 9)
        let stored = try store.put(data)
        let file = folder.appendingPathComponent(String(stored.sha256.prefix(2))).appendingPathComponent(stored.sha256)
        let original = try Data(contentsOf: file)
        let header = try #require(BlobSealing.Header(original))
        let sealed = Self.chunk + BlobSealing.overhead
        var flipped = original
        flipped[header.length + sealed + 100] ^= 0x01
        var swapped = original.prefix(header.length)
        swapped.append(original.subdata(in: header.length + sealed..<header.length + 2 * sealed))
        swapped.append(original.subdata(in: header.length..<header.length + sealed))
        swapped.append(original.subdata(in: header.length + 2 * sealed..<original.count))
        let truncated = original.prefix(header.length + 2 * sealed)
        for (name, bytes) in [("flipped", flipped), ("swapped", Data(swapped)), ("truncated", Data(truncated))] {
            try bytes.write(to: file)
            #expect(throws: BlobStore.Failure.self, "\(name)") { try self.readAll(stored.sha256) }
        }
        try original.write(to: file)
        #expect(try readAll(stored.sha256) == data)
        #expect(throws: BlobStore.Failure.invalidHash("../../etc/passwd")) { try self.readAll("../../etc/passwd") }
        #expect(throws: BlobStore.Failure.missing(String(repeating: "a", count: 64))) { try self.readAll(String(repeating: "a", count: 64)) }
    }

    @Test func tooLargeOrNotWhatWasPromisedIsRefusedAndNothingKept() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let writer = try store.writer(limit: 1_000)
        try writer.append(Self.bytes(600))
        #expect(throws: BlobStore.Failure.tooLarge(limit: 1_000)) { try writer.append(Self.bytes(600)) }
        let promised = try store.writer(limit: .max)
        try promised.append(Self.bytes(2_000))
        #expect(throws: BlobStore.Failure.self) { _ = try promised.finish(expected: String(repeating: "0", count: 64)) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("incoming").path).isEmpty)
        let kept = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0 != "incoming" }
        #expect(kept.isEmpty, "no blob stored")
    }
}

/// What a file is, by its bytes, and what its name may be.
struct MediaTypeTests {
    @Test func theFirstBytesTellTheTypeNotTheName() throws {
        let samples: [(MediaType?, [UInt8])] = [
            (.pdf, Array("%PDF-1.7\n".utf8)), (.jpeg, [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]),
            (.png, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0]),
            (.tiff, [0x49, 0x49, 0x2A, 0x00, 8]), (.webp, Array("RIFF\u{0}\u{0}\u{0}\u{0}WEBPVP8 ".utf8)),
            (.wav, Array("RIFF\u{0}\u{0}\u{0}\u{0}WAVEfmt ".utf8)),
            (.mp3, Array("ID3\u{3}\u{0}".utf8)), (.mp3, [0xFF, 0xFB, 0x90, 0x64]), (.m4a, Array("\u{0}\u{0}\u{0}\u{20}ftypM4A ".utf8)),
            (.amr, Array("#!AMR\n".utf8)),
            (nil, Array("PK\u{3}\u{4}".utf8)), (nil, Array("MZ".utf8)), (nil, Array("<html>".utf8)), (nil, []), (nil, [0xFF, 0xD8]),
        ]
        for (expected, bytes) in samples { #expect(MediaType.sniff(bytes) == expected, "\(bytes.prefix(8))") }
    }

    @Test func aNameIsANameThatMatchesTheBytes() throws {
        #expect(try AttachmentName.checked("来信扫描件.PDF", type: .pdf) == "来信扫描件.PDF")
        #expect(try AttachmentName.checked("  现场照片.jpeg ", type: .jpeg) == "现场照片.jpeg")
        let refused: [(String, MediaType, String)] = [
            ("letter.jpg", .pdf, "file-type-mismatch"), ("bomb.zip", .pdf, "file-type-mismatch"), ("noextension", .png, "file-type-mismatch"),
            ("../../etc/passwd.pdf", .pdf, "invalid-file-name"), ("C:\\scan.pdf", .pdf, "invalid-file-name"),
            (".hidden.pdf", .pdf, "invalid-file-name"),
            ("a\u{202E}fdp.exe.pdf", .pdf, "invalid-file-name"), ("line\nbreak.pdf", .pdf, "invalid-file-name"),
            (String(repeating: "长", count: 121) + ".pdf", .pdf, "field-too-long"), ("", .pdf, "missing-field"),
        ]
        for (name, type, code) in refused {
            #expect(throws: ValidationFailure.self, "\(name)") { try AttachmentName.checked(name, type: type) }
            do { _ = try AttachmentName.checked(name, type: type) } catch { #expect(error.code == code, "\(name): \(error.code)") }
        }
    }
}
