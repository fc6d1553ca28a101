public import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization

/// A stand-in for another system over real loopback HTTP (an SMS platform, a webhook receiver):
/// records every request's path and body, and answers with the status `status` says at the time.
public final class RecordingServer: Sendable {
    public struct Request: Sendable {
        public var path: String
        public var headers: [String: String]
        public var body: Data
        public var status: Int
        public var json: [String: any Sendable] { ((try? JSONSerialization.jsonObject(with: body)) as? [String: any Sendable]) ?? [:] }
    }

    let recorded = Mutex<[Request]>([])
    let answer = Mutex<Int>(200)

    public init(status: Int = 200) { answer.withLock { $0 = status } }

    public var requests: [Request] { recorded.withLock { $0 } }
    /// The requests it answered with a 2xx.
    public var accepted: [Request] { requests.filter { (200..<300).contains($0.status) } }
    public func respond(with status: Int) { answer.withLock { $0 = status } }

    /// Runs `body` with the server listening on a loopback port, which `body` receives.
    public func run<T: Sendable>(_ body: @Sendable (Int) async throws -> T) async throws -> T {
        let router = Router()
        router.post("**") { request, _ -> Response in
            let buffer = try await request.body.collect(upTo: 1 << 20)
            let data = Data(buffer.readableBytesView)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName.lowercased()] = field.value }
            let status = self.answer.withLock { $0 }
            self.recorded.withLock { $0.append(Request(path: request.uri.path, headers: headers, body: data, status: status)) }
            return Response(status: .init(code: status), body: .init(byteBuffer: ByteBuffer(string: #"{"messageId":"m\#(self.requests.count)"}"#)))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        return try await app.test(.live) { client in try await body(client.port ?? 0) }
    }
}
