import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import XinfangCore
import XinfangStore

/// Turns every error that leaves a route into a problem document, so a client never sees an
/// empty or HTML error body: unknown routes, wrong methods, oversized bodies and server faults alike.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The routes' methods: a known path asked with another method is 405, not 404.
    var methods = MethodTable()
    /// The node's name, for the header of an error page under the dashboard.
    var nodeName = ""

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try await HTML.$nodeName.withValue(nodeName) { try await answer(request, context: context, next: next) }
    }

    func answer(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as APIProblem {
            return try problem.response(from: request, context: context)
        } catch let error as StoreError {
            // Refusals (bad input, a refused transition, an unknown case) are the client's; only a
            // failure of the store itself is logged, and never with the request's content.
            switch error {
            case .database, .brokenChain, .newerSchema: context.logger.error("store failure", metadata: ["error": "\(error)"])
            default: break
            }
            return try APIProblem(error).response(from: request, context: context)
        } catch let refusal as PolicyRefusal {
            return try APIProblem(refusal).response(from: request, context: context)
        } catch let failure as ValidationFailure {
            return try APIProblem(failure).response(from: request, context: context)
        } catch let error as LifecycleError {
            return try APIProblem(error).response(from: request, context: context)
        } catch is NIOTooManyBytesError {
            return try APIProblem.bodyTooLarge.response(from: request, context: context)
        } catch let error as HTTPError {
            let allowed = error.status == .notFound ? methods.allowed(for: request.uri.path) : []
            if !allowed.isEmpty {
                let names = allowed.map(\.rawValue).joined(separator: ", ")
                var response = try APIProblem(.methodNotAllowed, code: "method-not-allowed", detail: "此地址只接受 \(names) 请求。")
                    .response(from: request, context: context)
                response.headers[.allow] = names
                return response
            }
            let code =
                switch error.status {
                case .notFound: "route-not-found"
                case .methodNotAllowed: "method-not-allowed"
                case .contentTooLarge: "body-too-large"
                default: "http-\(error.status.code)"
                }
            return try APIProblem(error.status, code: code, detail: error.body ?? "\(error.status.code) \(error.status.reasonPhrase)")
                .response(from: request, context: context)
        } catch let error where ClientGone.covers(error) {
            // The client hung up, sent what HTTP cannot parse, or was cut off by a time-out
            // (`ConnectionGuard`): its doing, not a fault of this node; the answer may not arrive.
            context.logger.debug("request ended by the client or a time-out", metadata: ["error": "\(error)"])
            return try APIProblem(.badRequest, code: "request-incomplete", detail: "请求未完整送达。").response(from: request, context: context)
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(error)"])
            return try APIProblem(.internalServerError, code: "internal-error", detail: "服务器内部错误。").response(from: request, context: context)
        }
    }
}

/// Errors that mean the request did not arrive whole: the connection closed or broke under it,
/// or its bytes are not HTTP.
enum ClientGone {
    static func covers(_ error: any Error) -> Bool {
        error is ChannelError || error is IOError || error is HTTPParserError || error is CancellationError
    }
}

extension APIProblem {
    static let bodyTooLarge = APIProblem(
        .contentTooLarge,
        code: "body-too-large",
        detail: "请求体超过 \(APILimits.bodyBytesMax) 字节的上限。"
    )
}

/// The limits of the user API, named once and documented in `schemas/openapi.yaml`.
public enum APILimits {
    /// The largest request body accepted, in bytes.
    public static let bodyBytesMax = 256 * 1024
    /// The longest idempotency key accepted.
    public static let idempotencyKeyLengthMax = 100
}
