import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Synchronization

/// Who a request was served for, filled in by `AuthMiddleware` and read by the access log (the
/// context is copied inwards, this box is shared).
public final class AccessRecord: Sendable {
    private let name = Mutex<String?>(nil)
    public init() {}

    /// The signed-in account's name.
    var user: String? {
        get { name.withLock { $0 } }
        set { name.withLock { $0 = newValue } }
    }
}

/// One line per request at info level: method, route template (never the path's case numbers or
/// ids), status, duration and the signed-in user's account name. No query string, body or
/// personal data (issue 16).
struct AccessLogMiddleware<Context: NodeContext>: RouterMiddleware {
    static var serverTiming: HTTPField.Name { HTTPField.Name("Server-Timing")! }

    static func milliseconds(since started: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - started
        return Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        var status = 500
        defer {
            let ms = Self.milliseconds(since: started)
            var metadata: Logger.Metadata = [
                "http.method": "\(request.method.rawValue)",
                "http.route": "\(context.endpointPath ?? "(no route)")",
                "http.status": "\(status)",
                "http.duration_ms": "\(String(format: "%.1f", ms))",
            ]
            if let user = context.accessRecord.user { metadata["user"] = "\(user)" }
            context.logger.info("request", metadata: metadata)
        }
        do {
            var response = try await next(request, context)
            status = Int(response.status.code)
            // The W3C header browsers' developer tools show: the time the server took, without the
            // network (`xinfang bench` reads it for P10).
            response.headers[Self.serverTiming] = "app;dur=\(String(format: "%.2f", Self.milliseconds(since: started)))"
            return response
        } catch let error as any HTTPResponseError {
            status = Int(error.status.code)
            throw error
        }
    }
}
