import Foundation

/// A case's state read from its canonical JSON by hand, as it is written (`canonicalJSON`): its own
/// fields, the registration (two thirds of a state) and the values most states hold (a pending or
/// declined offer, the lookup seal) by `CanonicalJSONReader`; the rarer nested values (an
/// assignment, a reply, a review, the case file…) by the decoder from their own bytes. Every
/// extension of a stored case, every reconciliation round and every page of cases decoded the
/// whole state through `JSONDecoder`. A state the reader does not take goes to the decoder
/// (`decodeCanonical`); `CaseStateJSONTests` hold the values to the decoder's.
extension CaseState: CanonicalJSONReadable {
    /// A state from its canonical JSON: read by hand, or by the decoder when the reader does not
    /// take the bytes (which then throws as it always did).
    public static func decodeCanonical(_ json: String) throws -> CaseState {
        try CanonicalJSONReader.decode(CaseState.self, from: json)
    }

    public init(reading r: inout CanonicalJSONReader) throws(CanonicalJSONReader.Unreadable) {
        typealias Unreadable = CanonicalJSONReader.Unreadable
        var o = try r.openObject()
        acceptedAt = try r.key("acceptedAt", &o) ? r.date() : nil
        assignment = try r.key("assignment", &o) ? r.decoded(Assignment.self) : nil
        attachments = try r.key("attachments", &o) ? r.decoded([AttachedFile].self) : nil
        try r.required("caseNumber", &o)
        caseNumber = try r.raw(CaseNumber.self)
        closedAt = try r.key("closedAt", &o) ? r.date() : nil
        try r.required("closureReturns", &o)
        closureReturns = try r.int()
        closureVerifiedAt = try r.key("closureVerifiedAt", &o) ? r.date() : nil
        try r.required("comments", &o)
        comments = try r.int()
        disposal = try r.key("disposal", &o) ? r.decoded(Disposal.self) : nil
        try r.required("epoch", &o)
        epoch = try r.int()
        evaluation = try r.key("evaluation", &o) ? r.decoded(Evaluation.self) : nil
        extension_ = try r.key("extension", &o) ? r.decoded(Extension.self) : nil
        handler = try r.key("handler", &o) ? r.raw(NodeID.self) : nil
        try r.required("headHash", &o)
        headHash = try r.string()
        try r.required("headSeq", &o)
        headSeq = try r.int()
        try r.required("holder", &o)
        holder = try r.raw(NodeID.self)
        holderSince = try r.key("holderSince", &o) ? r.date() : nil
        lastDecline = try r.key("lastDecline", &o) ? r.read(Offer.self) : nil
        try r.required("lastEventAt", &o)
        lastEventAt = try r.date()
        lookup = try r.key("lookup", &o) ? r.read(LookupSeal.self) : nil
        moves = try r.key("moves", &o) ? r.int() : nil
        notices = try r.key("notices", &o) ? r.decoded([NoticeRecord].self) : nil
        try r.required("owner", &o)
        owner = try r.raw(NodeID.self)
        try r.required("participants", &o)
        participants = try r.array { r throws(Unreadable) in try r.raw(NodeID.self) }
        pendingOffer = try r.key("pendingOffer", &o) ? r.read(Offer.self) : nil
        reReview = try r.key("reReview", &o) ? r.decoded(ReviewStage.self) : nil
        try r.required("receivedAt", &o)
        receivedAt = try r.date()
        try r.required("registeredAt", &o)
        registeredAt = try r.date()
        try r.required("registeredAtNode", &o)
        registeredAtNode = try r.raw(NodeID.self)
        try r.required("registration", &o)
        registration = try r.read(CaseRegistration.self)
        try r.required("repeats", &o)
        repeats = try r.array { r throws(Unreadable) in try r.raw(CaseNumber.self) }
        reply = try r.key("reply", &o) ? r.decoded(Opinion.self) : nil
        resolutions = try r.key("resolutions", &o) ? r.decoded([ConflictResolution].self) : nil
        review = try r.key("review", &o) ? r.decoded(ReviewStage.self) : nil
        try r.required("status", &o)
        status = try r.raw(CaseStatus.self)
        try r.required("supervisions", &o)
        supervisions = try r.emptyArray() ? [] : r.decoded([Supervision].self)
        terminatedAt = try r.key("terminatedAt", &o) ? r.date() : nil
        try r.closeObject(o)
    }
}

extension Offer: CanonicalJSONReadable {
    public init(reading r: inout CanonicalJSONReader) throws(CanonicalJSONReader.Unreadable) {
        var o = try r.openObject()
        declinedAt = try r.key("declinedAt", &o) ? r.date() : nil
        dueAt = try r.key("dueAt", &o) ? r.date() : nil
        try r.required("from", &o)
        from = try r.raw(NodeID.self)
        try r.required("mode", &o)
        mode = try r.raw(HandoffMode.self)
        try r.required("offeredAt", &o)
        offeredAt = try r.date()
        try r.required("resumeStatus", &o)
        resumeStatus = try r.raw(CaseStatus.self)
        try r.required("to", &o)
        to = try r.raw(NodeID.self)
        try r.closeObject(o)
    }
}
