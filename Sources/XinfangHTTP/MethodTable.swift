import HTTPTypes
import Hummingbird
import Synchronization

/// Which methods each route of the node answers, so a request with another method on a known
/// path is answered 405 with an `Allow` header instead of 404 (issue 16: the contract other
/// systems read). Filled once from the router's routes, before the node serves.
final class MethodTable: Sendable {
    private let routes = Mutex<[(path: RouterPath, method: HTTPRequest.Method)]>([])

    func fill<Context>(from router: Router<Context>) {
        let all = router.routes.map { (path: $0.path, method: $0.method) }
        routes.withLock { $0 = all }
    }

    /// The methods the routes matching `path` answer (empty: no route has this path).
    func allowed(for path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        let names: [String] = routes.withLock { routes in
            routes.filter { Self.matches($0.path, segments) }.map { $0.method.rawValue }
        }
        return Set(names).sorted().compactMap { HTTPRequest.Method($0) }
    }

    static func matches(_ route: RouterPath, _ segments: [Substring]) -> Bool {
        var index = 0
        for element in route.components {
            if element.description == "**" { return true }
            guard index < segments.count, element ~= segments[index] else { return false }
            index += 1
        }
        return index == segments.count
    }
}
