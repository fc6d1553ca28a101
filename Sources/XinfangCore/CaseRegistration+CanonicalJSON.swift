import Foundation

/// A registration's canonical JSON written by hand (`CanonicalJSONWriter`): the register event's
/// body, the largest of a chain, is encoded at every event's hash check (`CaseEvent.encoded`), and
/// `JSONEncoder` spent most of a receiver's 12 % there (docs/BENCHMARKS.md). Every value of a
/// registration is written here, nested ones included: `RegistrationJSONTests` holds the bytes to
/// the encoder's over registrations with every optional field set and unset, and debug builds
/// assert the equality at every encoding.
extension CaseRegistration: CanonicalJSONWritable {
    public func writeCanonical(into out: inout CanonicalJSONWriter) {
        out.openObject()
        out.key("category")
        out.openObject()
        out.string("level1", category.level1)
        out.string("level2", category.level2)
        out.string("level3", category.level3)
        out.closeObject()
        out.string("channel", channel.rawValue)
        out.object("collective", collective)
        out.bool("confidential", confidential)
        out.object("intake", intake)
        out.string("issueRegion", issueRegion.rawValue)
        out.bool("jointLetter", jointLetter)
        out.bool("lawRelated", lawRelated)
        out.strings("linkedCases", linkedCases.map(\.rawValue))
        out.object("lookup", lookup)
        out.number("personsInvolved", personsInvolved)
        out.objects("petitioners", petitioners)
        out.string("purpose", purpose.rawValue)
        out.date("receivedAt", receivedAt)
        out.string("registeredBy", registeredBy)
        out.string("respondent", respondent)
        out.string("respondentNode", respondentNode?.rawValue)
        out.object("source", source)
        out.string("summary", summary)
        out.string("text", text)
        out.bool("urgent", urgent)
        out.closeObject()
    }

    /// The register event's body as the encoder writes `CaseEventBody.register(self)`.
    public func bodyJSON() -> String {
        var out = CanonicalJSONWriter(capacity: 1_024 + text.utf8.count)
        out.openObject()
        out.string("action", "register")
        out.object("registration", self)
        out.closeObject()
        return String(decoding: out.bytes, as: UTF8.self)
    }
}

extension Petitioner: CanonicalJSONWritable {
    public func writeCanonical(into out: inout CanonicalJSONWriter) {
        out.openObject()
        out.string("address", address)
        out.string("idNumber", idNumber)
        out.string("idType", idType?.rawValue)
        out.bool("isLead", isLead)
        if let masked {
            out.key("masked")
            out.openObject()
            out.string("address", masked.address)
            out.string("idNumber", masked.idNumber)
            out.string("mobile", masked.mobile)
            out.closeObject()
        }
        if let matchKeys { out.strings("matchKeys", matchKeys) }
        out.string("mobile", mobile)
        out.string("name", name)
        out.object("sealed", sealed)
        out.closeObject()
    }
}

extension SealedValue: CanonicalJSONWritable {
    public func writeCanonical(into out: inout CanonicalJSONWriter) {
        out.openObject()
        out.string("alg", alg)
        out.string("box", box)
        out.string("kid", kid)
        out.closeObject()
    }
}

extension CollectiveVisit: CanonicalJSONWritable {
    public func writeCanonical(into out: inout CanonicalJSONWriter) {
        out.openObject()
        out.number("batches", batches)
        out.number("personVisits", personVisits)
        out.closeObject()
    }
}

extension IntakeFinding: CanonicalJSONWritable {
    public func writeCanonical(into out: inout CanonicalJSONWriter) {
        out.openObject()
        out.string("earlierCase", earlierCase.rawValue)
        out.string("earlierHolder", earlierHolder.rawValue)
        out.string("kind", kind.rawValue)
        out.closeObject()
    }
}

extension IntakeSource: CanonicalJSONWritable {
    public func writeCanonical(into out: inout CanonicalJSONWriter) {
        out.openObject()
        out.string("externalId", externalId)
        out.date("submittedAt", submittedAt)
        out.string("system", system)
        out.closeObject()
    }
}
