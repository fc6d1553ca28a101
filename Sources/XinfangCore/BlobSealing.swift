import Crypto
public import Foundation

/// How the case file's bytes are sealed at rest (they carry personal data): in chunks of 1 MiB,
/// each AES-256-GCM under the hierarchy's data key with a random nonce, its associated data
/// naming the file, the chunk's index and whether it is the last. A chunk cannot be altered,
/// moved, dropped from the end or swapped with another file's without the open failing, and a
/// sealed file can be copied to any node of the hierarchy as it is (they share the keyring).
///
/// A sealed file is a header (`XFB1`, the key id, a random 16-byte file id, the chunk size)
/// followed by the chunks, each nonce ‖ ciphertext ‖ tag; every chunk but the last holds exactly
/// `chunkBytes` of plaintext, so a range is found without reading what comes before it.
public struct BlobSealing: Sendable {
    public static let magic = Array("XFB1".utf8)
    public static let chunkBytes = 1 << 20
    /// Nonce and tag around each chunk's ciphertext.
    public static let overhead = 28

    public struct Header: Equatable, Sendable {
        public var keyID: String
        public var fileID: Data
        public var chunkBytes: Int

        /// The header's bytes.
        public var encoded: Data {
            var out = Data(BlobSealing.magic)
            let kid = Data(keyID.utf8)
            out.append(UInt8(kid.count))
            out.append(kid)
            out.append(fileID)
            withUnsafeBytes(of: UInt32(chunkBytes).bigEndian) { out.append(contentsOf: $0) }
            return out
        }

        /// Reads a header from the first bytes of a sealed file; nil when they are not one.
        public init?(_ bytes: Data) {
            let b = [UInt8](bytes.prefix(4 + 1 + 255 + 16 + 4))
            guard b.count >= 5, Array(b[0..<4]) == BlobSealing.magic else { return nil }
            let kidLength = Int(b[4])
            guard b.count >= 5 + kidLength + 20, let kid = String(bytes: b[5..<5 + kidLength], encoding: .utf8) else { return nil }
            keyID = kid
            fileID = Data(b[5 + kidLength..<5 + kidLength + 16])
            let size = b[5 + kidLength + 16..<5 + kidLength + 20].reduce(0) { $0 << 8 | Int($1) }
            guard size > 0, size <= 1 << 24 else { return nil }
            chunkBytes = size
        }

        public init(keyID: String, fileID: Data, chunkBytes: Int) {
            self.keyID = keyID
            self.fileID = fileID
            self.chunkBytes = chunkBytes
        }

        public var length: Int { 4 + 1 + Data(keyID.utf8).count + 16 + 4 }
    }

    public enum Failure: Error, Equatable {
        case unknownKey(String)
        case corrupt(String)
    }

    let keyring: DataKeyring

    public init(keyring: DataKeyring) { self.keyring = keyring }

    public init(_ protector: PersonalDataProtector) { keyring = protector.keyring }

    /// A header for a new file under the active key.
    public func newHeader() -> Header {
        var rng = SystemRandomNumberGenerator()
        return Header(keyID: keyring.active, fileID: Data((0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) }), chunkBytes: Self.chunkBytes)
    }

    func key(_ id: String) throws(Failure) -> SymmetricKey {
        guard let raw = keyring.keys[id].flatMap({ Data(base64Encoded: $0) }), raw.count == 32 else { throw .unknownKey(id) }
        return SymmetricKey(data: raw)
    }

    static func associatedData(_ header: Header, index: Int, last: Bool) -> Data {
        var out = Data("xinfang blob".utf8)
        out.append(header.fileID)
        withUnsafeBytes(of: UInt64(index).bigEndian) { out.append(contentsOf: $0) }
        out.append(last ? 1 : 0)
        return out
    }

    /// The sealed form of chunk `index` of a file.
    public func seal(_ plaintext: Data, index: Int, last: Bool, header: Header) throws -> Data {
        let box = try AES.GCM.seal(
            plaintext,
            using: try key(header.keyID),
            nonce: AES.GCM.Nonce(),
            authenticating: Self.associatedData(header, index: index, last: last)
        )
        return box.combined!
    }

    /// The plaintext of sealed chunk `index`; throws when it was altered, moved or is not the
    /// chunk it claims to be (`last` included).
    public func open(_ sealed: Data, index: Int, last: Bool, header: Header) throws(Failure) -> Data {
        do {
            return try AES.GCM.open(
                try AES.GCM.SealedBox(combined: sealed),
                using: try key(header.keyID),
                authenticating: Self.associatedData(header, index: index, last: last)
            )
        } catch let failure as Failure {
            throw failure
        } catch {
            throw .corrupt("chunk \(index) does not open")
        }
    }
}
