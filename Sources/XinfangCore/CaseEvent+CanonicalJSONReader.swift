public import Foundation

/// Events read from their canonical JSON by hand (`CanonicalJSONReader`): a receiver decoded every
/// event of a packet through `JSONDecoder`, about 11 % of its time (docs/BENCHMARKS.md). Each type
/// asks for the keys its `Decodable` form reads, in the order the writer writes them, to the same
/// values; a key it does not ask for, one missing that the decoder requires, or a value the
/// decoder's own `init(from:)` would refuse is `Unreadable`, and the caller decodes with
/// `CanonicalJSON.decoder` (`CaseEvent.decodeCanonical`). `CanonicalJSONReaderTests` hold every
/// field, set and unset, to the decoder's values.
extension CaseEvent: CanonicalJSONReadable {
    /// An event from its canonical JSON: read by hand, or by the decoder when the reader does not
    /// take the bytes (which then throws as it always did).
    public static func decodeCanonical(_ data: Data) throws -> CaseEvent {
        try CanonicalJSONReader.decode(CaseEvent.self, from: data)
    }

    public init(reading r: inout CanonicalJSONReader) throws(CanonicalJSONReader.Unreadable) {
        var o = try r.openObject()
        try r.required("actor", &o)
        actor = try r.string()
        try r.required("body", &o)
        body = try r.read(CaseEventBody.self)
        try r.required("caseNumber", &o)
        caseNumber = try r.raw(CaseNumber.self)
        command = try r.key("command", &o) ? r.decoded(CaseCommand.self) : nil
        try r.required("epoch", &o)
        epoch = try r.int()
        formatField = try r.key("format", &o) ? r.int() : nil
        try r.required("hash", &o)
        hash = try r.string()
        try r.required("origin", &o)
        origin = try r.raw(NodeID.self)
        prevHash = try r.key("prevHash", &o) ? r.string() : nil
        try r.required("seq", &o)
        seq = try r.int()
        signature = try r.key("signature", &o) ? r.string() : nil
        try r.required("time", &o)
        time = try r.read(HLCTimestamp.self)
        try r.closeObject(o)
    }
}

extension HLCTimestamp: CanonicalJSONReadable {
    public init(reading r: inout CanonicalJSONReader) throws(CanonicalJSONReader.Unreadable) {
        var o = try r.openObject()
        try r.required("logical", &o)
        let logical = try r.int32()
        try r.required("wallMs", &o)
        let wallMs = try r.int64()
        try r.closeObject(o)
        self.init(wallMs: wallMs, logical: logical)
    }
}

/// A body opens with its `action` (the least of its keys); then a registration, a refusal's code
/// and detail, or an action's other fields, as `CaseEventBody.init(from:)` reads them.
extension CaseEventBody: CanonicalJSONReadable {
    public init(reading r: inout CanonicalJSONReader) throws(CanonicalJSONReader.Unreadable) {
        var o = try r.openObject()
        try r.required("action", &o)
        let action = try r.string()
        switch action {
        case "register":
            try r.required("registration", &o)
            self = .register(try r.read(CaseRegistration.self))
        case Self.refusedKind:
            try r.required("code", &o)
            let code = try r.string()
            try r.required("detail", &o)
            self = .refuse(code: code, detail: try r.string())
        default:
            var fields = ActionFields(action: action)
            try fields.readFields(&r, &o)
            guard let action = try? CaseAction(fields: fields) else { throw CanonicalJSONReader.Unreadable() }
            self = .act(action)
        }
        try r.closeObject(o)
    }
}

extension ActionFields {
    /// The action's fields after `action` (which the body reads), each when present.
    mutating func readFields(_ r: inout CanonicalJSONReader, _ o: inout CanonicalJSONReader.ObjectCursor) throws(CanonicalJSONReader.Unreadable) {
        func text(
            _ name: StaticString,
            _ r: inout CanonicalJSONReader,
            _ o: inout CanonicalJSONReader.ObjectCursor
        ) throws(CanonicalJSONReader.Unreadable) -> String? {
            try r.key(name, &o) ? r.string() : nil
        }
        func day(
            _ name: StaticString,
            _ r: inout CanonicalJSONReader,
            _ o: inout CanonicalJSONReader.ObjectCursor
        ) throws(CanonicalJSONReader.Unreadable) -> CivilDate? {
            guard r.key(name, &o) else { return nil }
            guard let date = CivilDate(iso: try r.string()) else { throw CanonicalJSONReader.Unreadable() }
            return date
        }
        approver = try text("approver", &r, &o)
        branch = try text("branch", &r, &o)
        by = try text("by", &r, &o)
        channel = try text("channel", &r, &o)
        comment = try text("comment", &r, &o)
        days = try r.key("days", &o) ? r.int() : nil
        decision = try text("decision", &r, &o)
        deliveredOn = try day("deliveredOn", &r, &o)
        docNumber = try text("docNumber", &r, &o)
        dueAt = try r.key("dueAt", &o) ? r.date() : nil
        earlierCase = try text("earlierCase", &r, &o)
        fileName = try text("fileName", &r, &o)
        hearingFrom = try day("hearingFrom", &r, &o)
        hearingTo = try day("hearingTo", &r, &o)
        lookupDigest = try text("lookupDigest", &r, &o)
        lookupSealed = try r.key("lookupSealed", &o) ? r.read(SealedValue.self) : nil
        mediaType = try text("mediaType", &r, &o)
        method = try text("method", &r, &o)
        mode = try text("mode", &r, &o)
        newCase = try text("newCase", &r, &o)
        note = try text("note", &r, &o)
        noticeKind = try text("noticeKind", &r, &o)
        occasion = try text("occasion", &r, &o)
        officeRating = try text("officeRating", &r, &o)
        opinion = try text("opinion", &r, &o)
        outcome = try text("outcome", &r, &o)
        reason = try text("reason", &r, &o)
        report = try text("report", &r, &o)
        returnReason = try text("returnReason", &r, &o)
        reviewer = try text("reviewer", &r, &o)
        routing = try text("routing", &r, &o)
        sha256 = try text("sha256", &r, &o)
        signed = try r.key("signed", &o) ? r.bool() : nil
        size = try r.key("size", &o) ? r.int() : nil
        stage = try text("stage", &r, &o)
        self.text = try text("text", &r, &o)
        to = try text("to", &r, &o)
        unitRating = try text("unitRating", &r, &o)
        via = try text("via", &r, &o)
    }
}

extension CaseRegistration: CanonicalJSONReadable {
    public init(reading r: inout CanonicalJSONReader) throws(CanonicalJSONReader.Unreadable) {
        var o = try r.openObject()
        try r.required("category", &o)
        category = try r.read(ContentCategory.self)
        try r.required("channel", &o)
        channel = try r.raw(Channel.self)
        collective = try r.key("collective", &o) ? r.read(CollectiveVisit.self) : nil
        confidential = try r.key("confidential", &o) ? r.bool() : nil
        intake = try r.key("intake", &o) ? r.read(IntakeFinding.self) : nil
        try r.required("issueRegion", &o)
        issueRegion = try r.raw(RegionCode.self)
        try r.required("jointLetter", &o)
        jointLetter = try r.bool()
        try r.required("lawRelated", &o)
        lawRelated = try r.bool()
        try r.required("linkedCases", &o)
        linkedCases = try r.array { r throws(CanonicalJSONReader.Unreadable) in try r.raw(CaseNumber.self) }
        lookup = try r.key("lookup", &o) ? r.read(LookupSeal.self) : nil
        personsInvolved = try r.key("personsInvolved", &o) ? r.int() : nil
        try r.required("petitioners", &o)
        petitioners = try r.array { r throws(CanonicalJSONReader.Unreadable) in try r.read(Petitioner.self) }
        try r.required("purpose", &o)
        purpose = try r.raw(Purpose.self)
        try r.required("receivedAt", &o)
        receivedAt = try r.date()
        try r.required("registeredBy", &o)
        registeredBy = try r.string()
        respondent = try r.key("respondent", &o) ? r.string() : nil
        respondentNode = try r.key("respondentNode", &o) ? r.raw(NodeID.self) : nil
        source = try r.key("source", &o) ? r.read(IntakeSource.self) : nil
        try r.required("summary", &o)
        summary = try r.string()
        try r.required("text", &o)
        text = try r.string()
        try r.required("urgent", &o)
        urgent = try r.bool()
        try r.closeObject(o)
    }
}

extension Petitioner: CanonicalJSONReadable {
    public init(reading r: inout CanonicalJSONReader) throws(CanonicalJSONReader.Unreadable) {
        var o = try r.openObject()
        address = try r.key("address", &o) ? r.string() : nil
        idNumber = try r.key("idNumber", &o) ? r.string() : nil
        idType = try r.key("idType", &o) ? r.raw(IDType.self) : nil
        try r.required("isLead", &o)
        isLead = try r.bool()
        masked = try r.key("masked", &o) ? r.read(MaskedContact.self) : nil
        matchKeys = try r.key("matchKeys", &o) ? r.array { r throws(CanonicalJSONReader.Unreadable) in try r.string() } : nil
        mobile = try r.key("mobile", &o) ? r.string() : nil
        try r.required("name", &o)
        name = try r.string()
        sealed = try r.key("sealed", &o) ? r.read(SealedValue.self) : nil
        try r.closeObject(o)
    }
}

extension MaskedContact: CanonicalJSONReadable {
    public init(reading r: inout CanonicalJSONReader) throws(CanonicalJSONReader.Unreadable) {
        var o = try r.openObject()
        address = try r.key("address", &o) ? r.string() : nil
        idNumber = try r.key("idNumber", &o) ? r.string() : nil
        mobile = try r.key("mobile", &o) ? r.string() : nil
        try r.closeObject(o)
    }
}

extension SealedValue: CanonicalJSONReadable {
    public init(reading r: inout CanonicalJSONReader) throws(CanonicalJSONReader.Unreadable) {
        var o = try r.openObject()
        try r.required("alg", &o)
        alg = try r.string()
        try r.required("box", &o)
        box = try r.string()
        try r.required("kid", &o)
        kid = try r.string()
        try r.closeObject(o)
    }
}

extension LookupSeal: CanonicalJSONReadable {
    public init(reading r: inout CanonicalJSONReader) throws(CanonicalJSONReader.Unreadable) {
        var o = try r.openObject()
        try r.required("digest", &o)
        digest = try r.string()
        try r.required("sealed", &o)
        sealed = try r.read(SealedValue.self)
        try r.closeObject(o)
    }
}

extension ContentCategory: CanonicalJSONReadable {
    public init(reading r: inout CanonicalJSONReader) throws(CanonicalJSONReader.Unreadable) {
        var o = try r.openObject()
        try r.required("level1", &o)
        level1 = try r.string()
        try r.required("level2", &o)
        level2 = try r.string()
        try r.required("level3", &o)
        level3 = try r.string()
        try r.closeObject(o)
    }
}

extension CollectiveVisit: CanonicalJSONReadable {
    public init(reading r: inout CanonicalJSONReader) throws(CanonicalJSONReader.Unreadable) {
        var o = try r.openObject()
        try r.required("batches", &o)
        batches = try r.int()
        try r.required("personVisits", &o)
        personVisits = try r.int()
        try r.closeObject(o)
    }
}

extension IntakeFinding: CanonicalJSONReadable {
    public init(reading r: inout CanonicalJSONReader) throws(CanonicalJSONReader.Unreadable) {
        var o = try r.openObject()
        try r.required("earlierCase", &o)
        earlierCase = try r.raw(CaseNumber.self)
        try r.required("earlierHolder", &o)
        earlierHolder = try r.raw(NodeID.self)
        try r.required("kind", &o)
        kind = try r.raw(Kind.self)
        try r.closeObject(o)
    }
}

extension IntakeSource: CanonicalJSONReadable {
    public init(reading r: inout CanonicalJSONReader) throws(CanonicalJSONReader.Unreadable) {
        var o = try r.openObject()
        try r.required("externalId", &o)
        externalId = try r.string()
        submittedAt = try r.key("submittedAt", &o) ? r.date() : nil
        try r.required("system", &o)
        system = try r.string()
        try r.closeObject(o)
    }
}
