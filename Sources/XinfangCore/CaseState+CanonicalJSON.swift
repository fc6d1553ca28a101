import Foundation

extension CaseState {
    /// The state's canonical JSON (`CanonicalJSON.encoder`'s bytes), what the store keeps beside a
    /// case's row: its own fields written by hand (`CanonicalJSONWriter`), as are the nested values
    /// most states hold (a pending offer, the lookup seal), the rarer ones by the encoder; and its
    /// registration, the largest part, copied from the register event's body when `opening` is
    /// that event as checked and the registration is still the one it registered.
    /// `CaseStateJSONTests` (and an assertion in debug builds) hold it to the encoder's bytes.
    public func canonicalJSON(opening: CaseEvent.Encoded? = nil) throws -> String {
        let encoder = CanonicalJSON.encoder
        func json(_ value: (some Encodable)?) throws -> String? {
            try value.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
        }
        var out = CanonicalJSONWriter(capacity: 2_048)
        out.openObject()
        out.date("acceptedAt", acceptedAt)
        out.json("assignment", try json(assignment))
        out.json("attachments", try json(attachments))
        out.string("caseNumber", caseNumber.rawValue)
        out.date("closedAt", closedAt)
        out.number("closureReturns", closureReturns)
        out.date("closureVerifiedAt", closureVerifiedAt)
        out.number("comments", comments)
        out.json("disposal", try json(disposal))
        out.number("epoch", epoch)
        out.json("evaluation", try json(evaluation))
        out.json("extension", try json(extension_))
        out.string("handler", handler?.rawValue)
        out.string("headHash", headHash)
        out.number("headSeq", headSeq)
        out.string("holder", holder.rawValue)
        out.date("holderSince", holderSince)
        out.object("lastDecline", lastDecline)
        out.date("lastEventAt", lastEventAt)
        out.object("lookup", lookup)
        out.number("moves", moves)
        out.json("notices", try json(notices))
        out.string("owner", owner.rawValue)
        out.strings("participants", participants.map(\.rawValue))
        out.object("pendingOffer", pendingOffer)
        out.json("reReview", try json(reReview))
        out.date("receivedAt", receivedAt)
        out.date("registeredAt", registeredAt)
        out.string("registeredAtNode", registeredAtNode.rawValue)
        if let opening, case .register(let registered) = opening.event.body, registered == registration, let copied = opening.registrationJSON {
            out.json("registration", copied)
        } else {
            out.json("registration", try json(registration))
        }
        out.strings("repeats", repeats.map(\.rawValue))
        out.json("reply", try json(reply))
        out.json("resolutions", try json(resolutions))
        out.json("review", try json(review))
        out.string("status", status.rawValue)
        out.json("supervisions", supervisions.isEmpty ? "[]" : try json(supervisions))
        out.date("terminatedAt", terminatedAt)
        out.closeObject()
        let written = String(decoding: out.bytes, as: UTF8.self)
        assert(written == (try? json(self)), "the state's JSON written by hand differs from the encoder's")
        return written
    }
}

extension Offer: CanonicalJSONWritable {
    /// The offer's canonical JSON, by hand (`CaseState.canonicalJSON`).
    public func writeCanonical(into out: inout CanonicalJSONWriter) {
        out.openObject()
        out.date("declinedAt", declinedAt)
        out.date("dueAt", dueAt)
        out.string("from", from.rawValue)
        out.string("mode", mode.rawValue)
        out.date("offeredAt", offeredAt)
        out.string("resumeStatus", resumeStatus.rawValue)
        out.string("to", to.rawValue)
        out.closeObject()
    }
}

extension LookupSeal: CanonicalJSONWritable {
    /// The seal's canonical JSON, by hand (`CaseState.canonicalJSON`).
    public func writeCanonical(into out: inout CanonicalJSONWriter) {
        out.openObject()
        out.string("digest", digest)
        out.object("sealed", sealed)
        out.closeObject()
    }
}
