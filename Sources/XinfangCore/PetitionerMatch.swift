/// The keys by which an intake recognises the same petitioner (同人, domain rules R42): keyed
/// hashes of the ID document, or of the name together with the mobile number, computed when the
/// petitioner is sealed and carried in the registration, so every level matches alike and the
/// index that holds them does not hold the personal data itself.
public enum PetitionerMatch {
    /// The distinct match keys of every petitioner of a registration, sorted.
    public static func keys(of registration: CaseRegistration, protector: PersonalDataProtector) -> [String] {
        Array(Set(registration.petitioners.flatMap { protector.matchKeys(of: $0) })).sorted()
    }
}
