import Crypto
public import Foundation

/// An authenticated cipher for personal data at rest. AES-256-GCM today; kept behind this
/// interface so that an SM4-GCM implementation can be added for 密评 without touching callers.
public protocol FieldCipher: Sendable {
    /// The algorithm's name, stored with every sealed value.
    var algorithm: String { get }
    /// nonce ‖ ciphertext ‖ tag.
    func seal(_ plaintext: Data, key: Data, associatedData: Data) throws -> Data
    func open(_ sealed: Data, key: Data, associatedData: Data) throws -> Data
}

/// AES-256-GCM with a synthetic nonce: the nonce is an HMAC-SHA-256 of the associated data and
/// the plaintext under a key derived from the data key (the SIV idea). Two different plaintexts
/// never share a nonce (short of a 96-bit collision), and the same plaintext seals to the same
/// box, so sealing is deterministic: every replay of a registration (the simulator, a retried
/// request) makes the same event and the same hash. What that reveals, that two sealed values are
/// equal, the keyed match hashes reveal anyway.
public struct AESGCMCipher: FieldCipher {
    public init() {}
    public var algorithm: String { "A256GCM-SIV" }
    public func seal(_ plaintext: Data, key: Data, associatedData: Data) throws -> Data {
        let nonceKey = SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Data("xinfang nonce key".utf8), using: SymmetricKey(data: key)))
        let tag = HMAC<SHA256>.authenticationCode(for: associatedData + Data([0]) + plaintext, using: nonceKey)
        let nonce = try AES.GCM.Nonce(data: Data(tag).prefix(12))
        let box = try AES.GCM.seal(plaintext, using: SymmetricKey(data: key), nonce: nonce, authenticating: associatedData)
        return box.combined!  // a 12-byte nonce always gives the combined form
    }
    public func open(_ sealed: Data, key: Data, associatedData: Data) throws -> Data {
        try AES.GCM.open(try AES.GCM.SealedBox(combined: sealed), using: SymmetricKey(data: key), authenticating: associatedData)
    }
}

/// A sealed value as the chain stores it: which algorithm and key, and the box (base64).
public struct SealedValue: Codable, Equatable, Sendable {
    public var alg: String
    public var kid: String
    public var box: String

    public init(alg: String, kid: String, box: String) {
        self.alg = alg
        self.kid = kid
        self.box = box
    }
}

/// The masked forms kept beside a sealed petitioner, so a masked view needs no key.
public struct MaskedContact: Codable, Equatable, Sendable {
    public var idNumber: String?
    public var mobile: String?
    public var address: String?
}

/// The hierarchy's data keys (one file, the same at every node, like the topology): the
/// encryption keys by id, the one new values are sealed with, and the key of the keyed hash
/// (HMAC-SHA-256) by which repeats are matched. Rotating adds a key and makes it active; old
/// keys stay to open what they sealed.
public struct DataKeyring: Codable, Sendable {
    public var active: String
    /// Key id → 32 bytes, base64.
    public var keys: [String: String]
    /// 32 bytes, base64. Not rotated: match keys of old cases must stay comparable.
    public var matchKey: String

    public init(active: String, keys: [String: String], matchKey: String) {
        self.active = active
        self.keys = keys
        self.matchKey = matchKey
    }

    /// A new keyring with fresh random keys.
    public static func generate() -> DataKeyring {
        func random() -> String { SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64EncodedString() }
        return DataKeyring(active: "k1", keys: ["k1": random()], matchKey: random())
    }

    /// Adds a fresh key and makes it the active one.
    public mutating func rotate() {
        var n = keys.count + 1
        while keys["k\(n)"] != nil { n += 1 }
        keys["k\(n)"] = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64EncodedString()
        active = "k\(n)"
    }

    /// Checks that every key decodes to 32 bytes and the active one exists.
    public func validated() throws(ValidationFailure) -> DataKeyring {
        func ok(_ s: String?) -> Bool { s.flatMap { Data(base64Encoded: $0) }?.count == 32 }
        guard ok(keys[active]), ok(matchKey), keys.values.allSatisfy({ ok($0) }) else {
            throw ValidationFailure(code: "invalid-data-keyring", field: "dataKeyFile", detail: "数据密钥文件无效：每个密钥须为 32 字节的 base64，且 active 须指向其中之一。")
        }
        return self
    }
}

public struct PersonalDataError: Error, CustomStringConvertible {
    public var description: String
}

/// Seals petitioners' ID numbers, mobiles and addresses before they enter a chain, computes their
/// keyed match hashes, and opens them again for the roles allowed to read them.
public struct PersonalDataProtector: Sendable {
    public let keyring: DataKeyring
    let cipher: any FieldCipher

    public init(keyring: DataKeyring, cipher: any FieldCipher = AESGCMCipher()) {
        self.keyring = keyring
        self.cipher = cipher
    }

    /// A fixed, publicly known keyring for tests, the simulator and benchmarks. `serve` never
    /// uses it: a node refuses to start without its data key file.
    public static let development = PersonalDataProtector(
        keyring: DataKeyring(
            active: "dev",
            keys: ["dev": Data(repeating: 0x11, count: 32).base64EncodedString()],
            matchKey: Data(repeating: 0x22, count: 32).base64EncodedString()
        )
    )

    struct Plain: Codable {
        var idNumber: String?
        var mobile: String?
        var address: String?
    }

    /// The petitioner as the chain stores it: the personal fields sealed, their masked forms and
    /// match keys beside them, no plaintext. A petitioner already sealed is returned unchanged.
    public func protect(_ p: Petitioner) throws -> Petitioner {
        guard p.sealed == nil else { return p }
        var out = p
        out.matchKeys = matchKeys(of: p)
        guard p.idNumber != nil || p.mobile != nil || p.address != nil else { return out }
        let plain = try CanonicalJSON.encoder.encode(Plain(idNumber: p.idNumber, mobile: p.mobile, address: p.address))
        out.sealed = try seal(plain)
        out.masked = MaskedContact(
            idNumber: p.idNumber.map(Masking.idNumber),
            mobile: p.mobile.map(Masking.mobile),
            address: p.address.map(Masking.address)
        )
        out.idNumber = nil
        out.mobile = nil
        out.address = nil
        return out
    }

    /// The petitioner with its sealed fields opened (for a role allowed to read them).
    public func reveal(_ p: Petitioner) throws -> Petitioner {
        guard let sealed = p.sealed else { return p }
        let plain = try JSONDecoder().decode(Plain.self, from: try open(sealed))
        var out = p
        out.idNumber = plain.idNumber
        out.mobile = plain.mobile
        out.address = plain.address
        out.sealed = nil
        out.masked = nil
        return out
    }

    /// Seals bytes with the active key (its id authenticated with them).
    public func seal(_ plaintext: Data) throws -> SealedValue {
        guard let key = keyring.keys[keyring.active].flatMap({ Data(base64Encoded: $0) }) else {
            throw PersonalDataError(description: "the active data key \(keyring.active) is missing")
        }
        let box = try cipher.seal(plaintext, key: key, associatedData: Data(keyring.active.utf8))
        return SealedValue(alg: cipher.algorithm, kid: keyring.active, box: box.base64EncodedString())
    }

    /// Opens a sealed value; throws when the key is unknown or the box was altered.
    public func open(_ sealed: SealedValue) throws -> Data {
        guard sealed.alg == cipher.algorithm, let key = keyring.keys[sealed.kid].flatMap({ Data(base64Encoded: $0) }),
            let box = Data(base64Encoded: sealed.box)
        else { throw PersonalDataError(description: "no key \(sealed.kid) for \(sealed.alg)") }
        return try cipher.open(box, key: key, associatedData: Data(sealed.kid.utf8))
    }

    /// The masked view of a petitioner: name, ID number, mobile and address masked, nothing sealed.
    public static func masked(_ p: Petitioner) -> Petitioner {
        var out = p
        out.name = Masking.name(p.name)
        out.idNumber = p.masked?.idNumber ?? p.idNumber.map(Masking.idNumber)
        out.mobile = p.masked?.mobile ?? p.mobile.map(Masking.mobile)
        out.address = p.masked?.address ?? p.address.map(Masking.address)
        out.sealed = nil
        out.masked = nil
        out.matchKeys = nil
        return out
    }

    /// The keyed hashes (HMAC-SHA-256 under the match key) by which intake recognises the same
    /// petitioner (domain rules R42): the ID document, or the name with the mobile.
    public func matchKeys(of p: Petitioner) -> [String] {
        if let keys = p.matchKeys { return keys }
        let key = SymmetricKey(data: Data(base64Encoded: keyring.matchKey) ?? Data())
        func mac(_ text: String) -> String {
            Data(HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: key)).hexString
        }
        var keys: [String] = []
        if let number = p.idNumber {
            keys.append("id:" + mac("\((p.idType ?? .residentIdentityCard).rawValue)|\(number.uppercased())"))
        }
        if let mobile = p.mobile { keys.append("nm:" + mac("\(p.name)|\(mobile)")) }
        return keys
    }
}

extension CaseRegistration {
    /// The registration with every petitioner masked (the default view).
    public func masked() -> CaseRegistration {
        var r = self
        r.petitioners = petitioners.map(PersonalDataProtector.masked)
        return r
    }

    /// The registration with every petitioner's sealed fields opened.
    public func revealed(by protector: PersonalDataProtector) throws -> CaseRegistration {
        var r = self
        r.petitioners = try petitioners.map { try protector.reveal($0) }
        return r
    }
}

extension DataKeyring: Redacted {
    public var redactedDescription: String { "DataKeyring(active: \(active), keys: \(keys.keys.sorted()), redacted)" }
}
