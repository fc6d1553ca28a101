import Foundation
public import Hummingbird
import NIOCore
import XinfangCore
import XinfangStore

/// An RFC 9457 problem document: every refusal of the API is one, with a stable `code`, a human
/// `detail` (Chinese) and the offending `field` where there is one.
public struct APIProblem: Error, HTTPResponseError, Sendable, Equatable {
    public var status: HTTPResponse.Status
    public var code: String
    public var detail: String
    public var field: String?
    /// Extra members, e.g. the current `state` of a refused transition.
    public var extra: [String: String] = [:]
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, code: String, detail: String, field: String? = nil, extra: [String: String] = [:]) {
        self.status = status
        self.code = code
        self.detail = detail
        self.field = field
        self.extra = extra
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        // Under the dashboard a person reads the answer: a page in Chinese with a way back.
        if request.uri.path == "/" || request.uri.path.hasPrefix("/ui/") {
            var response = HTML.response(Templates.render(ErrorPage(self), "error"), status: status)
            for field in headers where field.name != .contentType { response.headers.append(field) }
            return response
        }
        var members: [String: String] = extra
        members["type"] = "https://xinfang.example/problems/\(code)"
        members["title"] = status.reasonPhrase
        members["code"] = code
        members["detail"] = detail
        if let field { members["field"] = field }
        var object: [String: any Sendable] = members
        object["status"] = status.code
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        var fields = headers
        fields[.contentType] = "application/problem+json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data + [0x0A])))
    }
}

extension APIProblem {
    /// Bad input named by field.
    init(_ failure: ValidationFailure) {
        let status: HTTPResponse.Status =
            switch failure.code {
            case "node-not-in-subtree": .notFound
            default: .badRequest
            }
        self.init(status, code: failure.code, detail: failure.detail, field: failure.field)
    }

    /// A policy refusal: not at this asker's word (403), not here (422), or the holder's alone (409).
    init(_ refusal: PolicyRefusal) {
        let status: HTTPResponse.Status =
            switch refusal.reason {
            case .needsHierarchy, .unknownNode, .noParent, .notACommand: .unprocessableContent
            case .holderOnly: .conflict
            case .notAnAncestor, .notTheParent, .notTheReviewer, .notPermitted: .forbidden
            case .signedByAnother: .badRequest
            }
        self.init(status, code: refusal.code, detail: refusal.detail, field: refusal.field)
    }

    /// A lifecycle refusal: 409, naming the current state.
    init(_ error: LifecycleError) {
        var extra: [String: String] = [:]
        switch error {
        case .illegalTransition(_, let status, let allowed):
            extra["state"] = status.rawValue
            extra["allowedActions"] = allowed.map(\.rawValue).joined(separator: ",")
        case .notAwaitingVerification(let status):
            extra["state"] = status.rawValue
        default: break
        }
        if case .invalid(let failure) = error {
            // A bound of the action's parameters: bad input, as the decoder would have said.
            self.init(failure)
            return
        }
        let status: HTTPResponse.Status =
            switch error {
            case .notAnAncestor: .forbidden
            case .respondentOrgan: .badRequest  // the named receiver is one the case may never go to
            default: .conflict
            }
        self.init(status, code: error.code, detail: error.description, field: error.field, extra: extra)
    }

    /// A store error: not found, refused, invalid, busy, or a server fault.
    init(_ error: StoreError) {
        switch error {
        case .caseNotFound: self.init(.notFound, code: "case-not-found", detail: error.description)
        case .refused(let lifecycle): self.init(lifecycle)
        case .invalid(let failure): self.init(failure)
        case .idempotencyKeyReused:
            self.init(.unprocessableContent, code: "idempotency-key-reused", detail: error.description, field: "Idempotency-Key")
        case .busy:
            self.init(.serviceUnavailable, code: "store-busy", detail: error.description)
            headers[.retryAfter] = "1"
        case .brokenChain, .newerSchema, .database:
            self.init(.internalServerError, code: "store-failure", detail: error.description)
        }
    }
}

extension LifecycleError {
    /// The action field a refusal concerns, if any.
    var field: String? {
        switch self {
        case .offerToSelf, .respondentOrgan: "to"
        case .noAttachment: "sha256"
        case .noticeNotDue: "noticeKind"
        case .invalid(let failure): failure.field
        case .illegalTransition, .notAwaitingVerification, .closureAwaitingVerification, .noOpenSupervision, .notAnAncestor, .alreadyRecorded,
            .noOpinionToDeliver, .evaluationWindowEnded, .notPublic, .notFromASystem:
            "action"
        case .notHolder, .periodEnded, .periodOpen: nil
        }
    }
}
