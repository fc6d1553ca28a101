import Foundation

/// The keys by which an intake recognises the same petitioner (同人, domain rules R42): the ID
/// document, or the name together with the mobile number. Keys are hashes, so the index that
/// holds them does not hold the personal data itself.
public enum PetitionerMatch {
    /// The match keys of one petitioner: `id:` + hash of the document type and number, and
    /// `nm:` + hash of the name and mobile (when both are known).
    public static func keys(of petitioner: Petitioner) -> [String] {
        var keys: [String] = []
        if let number = petitioner.idNumber {
            keys.append("id:" + digest("\((petitioner.idType ?? .residentIdentityCard).rawValue)|\(number.uppercased())"))
        }
        if let mobile = petitioner.mobile {
            keys.append("nm:" + digest("\(petitioner.name)|\(mobile)"))
        }
        return keys
    }

    /// The distinct match keys of every petitioner of a registration, sorted.
    public static func keys(of registration: CaseRegistration) -> [String] {
        Array(Set(registration.petitioners.flatMap { keys(of: $0) })).sorted()
    }

    static func digest(_ text: String) -> String { Data(text.utf8).sha256Hex }
}
