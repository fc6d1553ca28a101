public import Foundation

/// Events read from their canonical JSON by hand (`CanonicalJSONReader`): a receiver decoded every
/// event of a packet through `JSONDecoder`, about 11 % of its time (docs/BENCHMARKS.md). Each type
/// reads the keys its `Decodable` form reads, to the same values; a key it does not know, one
/// missing that the decoder requires, or a value the decoder's own `init(from:)` would refuse is
/// `Unreadable`, and the caller decodes with `CanonicalJSON.decoder` (`CaseEvent.decodeCanonical`).
/// `CanonicalJSONReaderTests` hold every field, set and unset, to the decoder's values.
extension CaseEvent: CanonicalJSONReadable {
    /// An event from its canonical JSON: read by hand, or by the decoder when the reader does not
    /// take the bytes (which then throws as it always did).
    public static func decodeCanonical(_ data: Data) throws -> CaseEvent {
        if let event = CanonicalJSONReader.read(data, { reader throws(CanonicalJSONReader.Unreadable) in try CaseEvent(reading: &reader) }) {
            return event
        }
        return try CanonicalJSON.decoder.decode(CaseEvent.self, from: data)
    }

    public init(reading r: inout CanonicalJSONReader) throws(CanonicalJSONReader.Unreadable) {
        var actor: String?
        var body: CaseEventBody?
        var caseNumber: CaseNumber?
        var command: CaseCommand?
        var epoch: Int?
        var format: Int?
        var hash: String?
        var origin: NodeID?
        var prevHash: String?
        var seq: Int?
        var signature: String?
        var time: HLCTimestamp?
        var object = try r.openObject()
        while let key = try r.nextKey(&object) {
            switch key {
            case "actor": actor = try r.string()
            case "body": body = try r.read(CaseEventBody.self)
            case "caseNumber": caseNumber = try r.raw(CaseNumber.self)
            case "command": command = try r.decoded(CaseCommand.self)
            case "epoch": epoch = try r.int()
            case "format": format = try r.int()
            case "hash": hash = try r.string()
            case "origin": origin = try r.raw(NodeID.self)
            case "prevHash": prevHash = try r.string()
            case "seq": seq = try r.int()
            case "signature": signature = try r.string()
            case "time": time = try r.read(HLCTimestamp.self)
            default: throw CanonicalJSONReader.Unreadable()
            }
        }
        guard let actor, let body, let caseNumber, let epoch, let hash, let origin, let seq, let time else {
            throw CanonicalJSONReader.Unreadable()
        }
        self.caseNumber = caseNumber
        self.epoch = epoch
        self.seq = seq
        self.prevHash = prevHash
        self.origin = origin
        self.time = time
        self.actor = actor
        self.body = body
        self.hash = hash
        self.command = command
        self.signature = signature
        self.formatField = format
    }
}

extension HLCTimestamp: CanonicalJSONReadable {
    public init(reading r: inout CanonicalJSONReader) throws(CanonicalJSONReader.Unreadable) {
        var logical: Int32?
        var wallMs: Int64?
        var object = try r.openObject()
        while let key = try r.nextKey(&object) {
            switch key {
            case "logical": logical = try r.int32()
            case "wallMs": wallMs = try r.int64()
            default: throw CanonicalJSONReader.Unreadable()
            }
        }
        guard let logical, let wallMs else { throw CanonicalJSONReader.Unreadable() }
        self.init(wallMs: wallMs, logical: logical)
    }
}

/// A body opens with its `action` (the least of its keys); then a registration, a refusal's code
/// and detail, or an action's other fields, as `CaseEventBody.init(from:)` reads them.
extension CaseEventBody: CanonicalJSONReadable {
    public init(reading r: inout CanonicalJSONReader) throws(CanonicalJSONReader.Unreadable) {
        var object = try r.openObject()
        guard try r.nextKey(&object) == "action" else { throw CanonicalJSONReader.Unreadable() }
        let action = try r.string()
        switch action {
        case "register":
            guard try r.nextKey(&object) == "registration" else { throw CanonicalJSONReader.Unreadable() }
            self = .register(try r.read(CaseRegistration.self))
            guard try r.nextKey(&object) == nil else { throw CanonicalJSONReader.Unreadable() }
        case Self.refusedKind:
            guard try r.nextKey(&object) == "code" else { throw CanonicalJSONReader.Unreadable() }
            let code = try r.string()
            guard try r.nextKey(&object) == "detail" else { throw CanonicalJSONReader.Unreadable() }
            let detail = try r.string()
            guard try r.nextKey(&object) == nil else { throw CanonicalJSONReader.Unreadable() }
            self = .refuse(code: code, detail: detail)
        default:
            var fields = ActionFields(action: action)
            while let key = try r.nextKey(&object) { try fields.read(key, from: &r) }
            guard let action = try? CaseAction(fields: fields) else { throw CanonicalJSONReader.Unreadable() }
            self = .act(action)
        }
    }
}

extension ActionFields {
    /// One of the action's fields (`action` itself is read by the body).
    mutating func read(_ key: String, from r: inout CanonicalJSONReader) throws(CanonicalJSONReader.Unreadable) {
        switch key {
        case "approver": approver = try r.string()
        case "branch": branch = try r.string()
        case "by": by = try r.string()
        case "channel": channel = try r.string()
        case "comment": comment = try r.string()
        case "days": days = try r.int()
        case "decision": decision = try r.string()
        case "deliveredOn": deliveredOn = try Self.civilDate(&r)
        case "docNumber": docNumber = try r.string()
        case "dueAt": dueAt = try r.date()
        case "earlierCase": earlierCase = try r.string()
        case "fileName": fileName = try r.string()
        case "hearingFrom": hearingFrom = try Self.civilDate(&r)
        case "hearingTo": hearingTo = try Self.civilDate(&r)
        case "lookupDigest": lookupDigest = try r.string()
        case "lookupSealed": lookupSealed = try r.read(SealedValue.self)
        case "mediaType": mediaType = try r.string()
        case "method": method = try r.string()
        case "mode": mode = try r.string()
        case "newCase": newCase = try r.string()
        case "note": note = try r.string()
        case "noticeKind": noticeKind = try r.string()
        case "occasion": occasion = try r.string()
        case "officeRating": officeRating = try r.string()
        case "opinion": opinion = try r.string()
        case "outcome": outcome = try r.string()
        case "reason": reason = try r.string()
        case "report": report = try r.string()
        case "returnReason": returnReason = try r.string()
        case "reviewer": reviewer = try r.string()
        case "routing": routing = try r.string()
        case "sha256": sha256 = try r.string()
        case "signed": signed = try r.bool()
        case "size": size = try r.int()
        case "stage": stage = try r.string()
        case "text": text = try r.string()
        case "to": to = try r.string()
        case "unitRating": unitRating = try r.string()
        case "via": via = try r.string()
        default: throw CanonicalJSONReader.Unreadable()
        }
    }

    private static func civilDate(_ r: inout CanonicalJSONReader) throws(CanonicalJSONReader.Unreadable) -> CivilDate {
        guard let date = CivilDate(iso: try r.string()) else { throw CanonicalJSONReader.Unreadable() }
        return date
    }
}

extension CaseRegistration: CanonicalJSONReadable {
    public init(reading r: inout CanonicalJSONReader) throws(CanonicalJSONReader.Unreadable) {
        var category: ContentCategory?
        var channel: Channel?
        var collective: CollectiveVisit?
        var confidential: Bool?
        var intake: IntakeFinding?
        var issueRegion: RegionCode?
        var jointLetter: Bool?
        var lawRelated: Bool?
        var linkedCases: [CaseNumber]?
        var lookup: LookupSeal?
        var personsInvolved: Int?
        var petitioners: [Petitioner]?
        var purpose: Purpose?
        var receivedAt: Date?
        var registeredBy: String?
        var respondent: String?
        var respondentNode: NodeID?
        var source: IntakeSource?
        var summary: String?
        var text: String?
        var urgent: Bool?
        var object = try r.openObject()
        while let key = try r.nextKey(&object) {
            switch key {
            case "category": category = try r.read(ContentCategory.self)
            case "channel": channel = try r.raw(Channel.self)
            case "collective": collective = try r.read(CollectiveVisit.self)
            case "confidential": confidential = try r.bool()
            case "intake": intake = try r.read(IntakeFinding.self)
            case "issueRegion": issueRegion = try r.raw(RegionCode.self)
            case "jointLetter": jointLetter = try r.bool()
            case "lawRelated": lawRelated = try r.bool()
            case "linkedCases": linkedCases = try r.array { r throws(CanonicalJSONReader.Unreadable) in try r.raw(CaseNumber.self) }
            case "lookup": lookup = try r.read(LookupSeal.self)
            case "personsInvolved": personsInvolved = try r.int()
            case "petitioners": petitioners = try r.array { r throws(CanonicalJSONReader.Unreadable) in try r.read(Petitioner.self) }
            case "purpose": purpose = try r.raw(Purpose.self)
            case "receivedAt": receivedAt = try r.date()
            case "registeredBy": registeredBy = try r.string()
            case "respondent": respondent = try r.string()
            case "respondentNode": respondentNode = try r.raw(NodeID.self)
            case "source": source = try r.read(IntakeSource.self)
            case "summary": summary = try r.string()
            case "text": text = try r.string()
            case "urgent": urgent = try r.bool()
            default: throw CanonicalJSONReader.Unreadable()
            }
        }
        guard let category, let channel, let issueRegion, let jointLetter, let lawRelated, let linkedCases, let petitioners,
            let purpose, let receivedAt, let registeredBy, let summary, let text, let urgent
        else { throw CanonicalJSONReader.Unreadable() }
        self.init(
            channel: channel,
            jointLetter: jointLetter,
            collective: collective,
            petitioners: petitioners,
            personsInvolved: personsInvolved,
            purpose: purpose,
            category: category,
            issueRegion: issueRegion,
            summary: summary,
            text: text,
            respondent: respondent,
            receivedAt: receivedAt,
            registeredBy: registeredBy,
            urgent: urgent,
            lawRelated: lawRelated,
            linkedCases: linkedCases
        )
        self.respondentNode = respondentNode
        self.intake = intake
        self.confidential = confidential
        self.lookup = lookup
        self.source = source
    }
}

extension Petitioner: CanonicalJSONReadable {
    public init(reading r: inout CanonicalJSONReader) throws(CanonicalJSONReader.Unreadable) {
        var address: String?
        var idNumber: String?
        var idType: IDType?
        var isLead: Bool?
        var masked: MaskedContact?
        var matchKeys: [String]?
        var mobile: String?
        var name: String?
        var sealed: SealedValue?
        var object = try r.openObject()
        while let key = try r.nextKey(&object) {
            switch key {
            case "address": address = try r.string()
            case "idNumber": idNumber = try r.string()
            case "idType": idType = try r.raw(IDType.self)
            case "isLead": isLead = try r.bool()
            case "masked": masked = try r.read(MaskedContact.self)
            case "matchKeys": matchKeys = try r.array { r throws(CanonicalJSONReader.Unreadable) in try r.string() }
            case "mobile": mobile = try r.string()
            case "name": name = try r.string()
            case "sealed": sealed = try r.read(SealedValue.self)
            default: throw CanonicalJSONReader.Unreadable()
            }
        }
        guard let name, let isLead else { throw CanonicalJSONReader.Unreadable() }
        self.init(name: name, idType: idType, idNumber: idNumber, mobile: mobile, address: address, isLead: isLead)
        self.sealed = sealed
        self.masked = masked
        self.matchKeys = matchKeys
    }
}

extension MaskedContact: CanonicalJSONReadable {
    public init(reading r: inout CanonicalJSONReader) throws(CanonicalJSONReader.Unreadable) {
        var address: String?
        var idNumber: String?
        var mobile: String?
        var object = try r.openObject()
        while let key = try r.nextKey(&object) {
            switch key {
            case "address": address = try r.string()
            case "idNumber": idNumber = try r.string()
            case "mobile": mobile = try r.string()
            default: throw CanonicalJSONReader.Unreadable()
            }
        }
        self.init(idNumber: idNumber, mobile: mobile, address: address)
    }
}

extension SealedValue: CanonicalJSONReadable {
    public init(reading r: inout CanonicalJSONReader) throws(CanonicalJSONReader.Unreadable) {
        var alg: String?
        var box: String?
        var kid: String?
        var object = try r.openObject()
        while let key = try r.nextKey(&object) {
            switch key {
            case "alg": alg = try r.string()
            case "box": box = try r.string()
            case "kid": kid = try r.string()
            default: throw CanonicalJSONReader.Unreadable()
            }
        }
        guard let alg, let box, let kid else { throw CanonicalJSONReader.Unreadable() }
        self.init(alg: alg, kid: kid, box: box)
    }
}

extension LookupSeal: CanonicalJSONReadable {
    public init(reading r: inout CanonicalJSONReader) throws(CanonicalJSONReader.Unreadable) {
        var digest: String?
        var sealed: SealedValue?
        var object = try r.openObject()
        while let key = try r.nextKey(&object) {
            switch key {
            case "digest": digest = try r.string()
            case "sealed": sealed = try r.read(SealedValue.self)
            default: throw CanonicalJSONReader.Unreadable()
            }
        }
        guard let digest, let sealed else { throw CanonicalJSONReader.Unreadable() }
        self.init(digest: digest, sealed: sealed)
    }
}

extension ContentCategory: CanonicalJSONReadable {
    public init(reading r: inout CanonicalJSONReader) throws(CanonicalJSONReader.Unreadable) {
        var level1: String?
        var level2: String?
        var level3: String?
        var object = try r.openObject()
        while let key = try r.nextKey(&object) {
            switch key {
            case "level1": level1 = try r.string()
            case "level2": level2 = try r.string()
            case "level3": level3 = try r.string()
            default: throw CanonicalJSONReader.Unreadable()
            }
        }
        guard let level1, let level2, let level3 else { throw CanonicalJSONReader.Unreadable() }
        self.init(level1, level2, level3)
    }
}

extension CollectiveVisit: CanonicalJSONReadable {
    public init(reading r: inout CanonicalJSONReader) throws(CanonicalJSONReader.Unreadable) {
        var batches: Int?
        var personVisits: Int?
        var object = try r.openObject()
        while let key = try r.nextKey(&object) {
            switch key {
            case "batches": batches = try r.int()
            case "personVisits": personVisits = try r.int()
            default: throw CanonicalJSONReader.Unreadable()
            }
        }
        guard let batches, let personVisits else { throw CanonicalJSONReader.Unreadable() }
        self.init(batches: batches, personVisits: personVisits)
    }
}

extension IntakeFinding: CanonicalJSONReadable {
    public init(reading r: inout CanonicalJSONReader) throws(CanonicalJSONReader.Unreadable) {
        var earlierCase: CaseNumber?
        var earlierHolder: NodeID?
        var kind: Kind?
        var object = try r.openObject()
        while let key = try r.nextKey(&object) {
            switch key {
            case "earlierCase": earlierCase = try r.raw(CaseNumber.self)
            case "earlierHolder": earlierHolder = try r.raw(NodeID.self)
            case "kind": kind = try r.raw(Kind.self)
            default: throw CanonicalJSONReader.Unreadable()
            }
        }
        guard let earlierCase, let earlierHolder, let kind else { throw CanonicalJSONReader.Unreadable() }
        self.init(kind: kind, earlierCase: earlierCase, earlierHolder: earlierHolder)
    }
}

extension IntakeSource: CanonicalJSONReadable {
    public init(reading r: inout CanonicalJSONReader) throws(CanonicalJSONReader.Unreadable) {
        var externalId: String?
        var submittedAt: Date?
        var system: String?
        var object = try r.openObject()
        while let key = try r.nextKey(&object) {
            switch key {
            case "externalId": externalId = try r.string()
            case "submittedAt": submittedAt = try r.date()
            case "system": system = try r.string()
            default: throw CanonicalJSONReader.Unreadable()
            }
        }
        guard let externalId, let system else { throw CanonicalJSONReader.Unreadable() }
        self.init(system: system, externalId: externalId, submittedAt: submittedAt)
    }
}
