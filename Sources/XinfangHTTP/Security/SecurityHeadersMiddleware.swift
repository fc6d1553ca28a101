import HTTPTypes
import Hummingbird

/// Hardening headers on every answer, pages and API alike, errors included: the dashboard uses no
/// script and loads nothing from elsewhere, so its policy allows nothing but its own inline style,
/// its own forms and images inline; no page may be framed (its action forms cannot be clicked
/// through a frame), no answer is sniffed for another type, and no address leaks in a referrer.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The pages' content security policy.
    static var contentSecurityPolicy: String {
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    }

    static var headers: [(HTTPField.Name, String)] {
        [
            (.contentSecurityPolicy, contentSecurityPolicy),
            (HTTPField.Name("X-Frame-Options")!, "DENY"),
            (HTTPField.Name("X-Content-Type-Options")!, "nosniff"),
            (HTTPField.Name("Referrer-Policy")!, "no-referrer"),
        ]
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        for (name, value) in Self.headers where response.headers[name] == nil { response.headers[name] = value }
        return response
    }
}
