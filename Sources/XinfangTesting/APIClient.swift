public import Foundation
public import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
public import XinfangCore
public import XinfangHTTP
import XinfangStore

/// A response of the user API, with its body parsed as a JSON object where it is one.
public struct APIResponse: Sendable {
    public var status: Int
    public var contentType: String?
    public var body: Data
    /// Every header of the answer.
    public var headers: HTTPFields = [:]

    /// The body as a JSON object (empty when it is not one).
    public var json: [String: any Sendable] {
        ((try? JSONSerialization.jsonObject(with: body)) as? [String: any Sendable]) ?? [:]
    }

    public subscript(key: String) -> String? { json[key] as? String }

    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// Sends requests to a node's router in-process (no sockets), through Hummingbird's test framework.
public struct APIClient: Sendable {
    let client: any TestClientProtocol
    /// The bearer token sent with every request (nil: anonymous).
    public var token: String?

    /// The same client acting with another token (nil: anonymous).
    public func with(token: String?) -> APIClient {
        var copy = self
        copy.token = token
        return copy
    }

    public func request(
        _ method: HTTPRequest.Method,
        _ uri: String,
        body: String? = nil,
        headers: HTTPFields = [.contentType: "application/json"]
    ) async throws -> APIResponse {
        try await send(method, uri, body: body.map { Data($0.utf8) }, headers: headers)
    }

    public func send(
        _ method: HTTPRequest.Method,
        _ uri: String,
        body: Data?,
        headers: HTTPFields = [.contentType: "application/json"]
    ) async throws -> APIResponse {
        var headers = headers
        if let token, headers[.authorization] == nil { headers[.authorization] = "Bearer \(token)" }
        let response = try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(bytes: $0) })
        return APIResponse(
            status: Int(response.status.code),
            contentType: response.headers[.contentType],
            body: Data(response.body.readableBytesView),
            headers: response.headers
        )
    }

    /// Posts one action with its parameters as a JSON object.
    public func act(_ caseNumber: String, _ fields: [String: any Sendable]) async throws -> APIResponse {
        var object = fields
        if object["actor"] == nil { object["actor"] = "周敏" }
        let data = try JSONSerialization.data(withJSONObject: object)
        return try await send(.post, "/api/v1/cases/\(caseNumber)/actions", body: data)
    }
}

extension TestNode {
    /// Runs `body` against this node's full router (middleware included).
    public func withAPI<T: Sendable>(as role: Role? = .leader, _ body: @Sendable (APIClient) async throws -> T) async throws -> T {
        try await services.withAPI(as: role, body)
    }
}

extension NodeServices {
    /// Runs `body` against the full router of a node with these services (middleware included).
    /// `role`: the client acts with a test account of that role (nil: anonymous).
    public func withAPI<T: Sendable>(as role: Role? = .leader, _ body: @Sendable (APIClient) async throws -> T) async throws -> T {
        let token = try await role.asyncMap { try await TestAccounts.provision(database, role: $0, now: clock.now()) }
        let app = Application(router: NodeApplication.router(services: self))
        return try await app.test(.router) { client in try await body(APIClient(client: client, token: token)) }
    }
}

extension Optional {
    func asyncMap<U>(_ transform: (Wrapped) async throws -> U) async rethrows -> U? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
