import Foundation
import Hummingbird
import NIOCore
import XinfangCore

/// The JSON form of the user API: dates are ISO 8601 with the China Standard Time offset on output,
/// and ISO 8601 (any offset, optional fractional seconds) or a plain `YYYY-MM-DD` (end of that day,
/// China Standard Time) on input.
enum APIJSON {
    static let outputOffsetSeconds = 8 * 3600

    static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(secondsFromGMT: outputOffsetSeconds)
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    static func parse(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return date }
        if let day = CivilDate(iso: text) { return day.endOfDay(utcOffsetSeconds: outputOffsetSeconds) }
        return nil
    }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(format(date))
        }
        return encoder
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { try decodeDate($0) }
        return decoder
    }

    /// A date as the API reads one: an ISO 8601 date-time, or a bare `YYYY-MM-DD`.
    @Sendable static func decodeDate(_ decoder: any Decoder) throws -> Date {
        let c = try decoder.singleValueContainer()
        let text = try c.decode(String.self)
        guard let date = parse(text) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "expected an ISO 8601 date-time or YYYY-MM-DD, got \(text)")
        }
        return date
    }

    /// A 200/201/202 JSON response.
    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        let data = try encoder.encode(value)
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data + [0x0A])))
    }

    /// Reads a request body as JSON of type `T`, refusing a wrong content type, an oversized body,
    /// malformed JSON and values of the wrong type with a problem that names the field.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws -> (T, Data) {
        if let contentType = request.headers[.contentType], !contentType.lowercased().hasPrefix("application/json") {
            throw APIProblem(.unsupportedMediaType, code: "unsupported-media-type", detail: "请求体必须是 application/json。")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: APILimits.bodyBytesMax)
        } catch is NIOTooManyBytesError {
            throw APIProblem.bodyTooLarge
        }
        let data = Data(buffer.readableBytesView)
        if let strict = T.self as? any StrictInput.Type { try strict.refuseUnknownKeys(in: data) }
        if let path = JSONShape.duplicateMember(in: data) {
            throw APIProblem(.badRequest, code: "duplicate-field", detail: "字段 \(path) 出现了不止一次。", field: path)
        }
        do {
            return (try decoder.decode(T.self, from: data), data)
        } catch let DecodingError.typeMismatch(_, context) where context.codingPath.isEmpty {
            throw APIProblem(.badRequest, code: "malformed-json", detail: "请求体必须是 JSON 对象。")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw APIProblem(
                .badRequest,
                code: "invalid-field",
                detail: "字段 \(path(context)) 的类型错误：\(context.debugDescription)",
                field: path(context)
            )
        } catch let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty {
            throw APIProblem(.badRequest, code: "invalid-field", detail: "字段 \(path(context)) 的值无效：\(context.debugDescription)", field: path(context))
        } catch let DecodingError.keyNotFound(key, context) {
            let field = (context.codingPath + [key]).map(\.stringValue).joined(separator: ".")
            throw APIProblem(.badRequest, code: "missing-field", detail: "缺少必填字段 \(field)。", field: field)
        } catch {
            throw APIProblem(.badRequest, code: "malformed-json", detail: "请求体不是合法的 JSON 对象。")
        }
    }

    static func path(_ context: DecodingError.Context) -> String {
        context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }
}

/// A request body decoded strictly: a member the API does not know is refused (400
/// `unknown-field`, naming it), so a misspelt field is never silently ignored.
protocol StrictInput: Decodable {
    /// The members of the top-level object (and of named nested objects, as "parent.child").
    static var knownKeys: Set<String> { get }
}

extension StrictInput {
    static func refuseUnknownKeys(in data: Data) throws {
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: data) } catch {
            // What one reader refuses (a number out of range, invalid UTF-8) is refused, even in a
            // member the other reader would skip as unknown.
            throw APIProblem(.badRequest, code: "malformed-json", detail: "请求体不是有效的 JSON（数值超出范围或含无效字符）。")
        }
        guard let object = parsed as? [String: Any] else { return }  // the decoder reports a non-object
        func check(_ object: [String: Any], prefix: String) throws {
            for (key, value) in object {
                let path = prefix.isEmpty ? key : "\(prefix).\(key)"
                let pattern = prefix.isEmpty ? key : "\(prefix.split(separator: ".").filter { Int($0) == nil }.joined(separator: ".")).\(key)"
                guard knownKeys.contains(pattern) else {
                    throw APIProblem(.badRequest, code: "unknown-field", detail: "未知字段 \(path)。", field: path)
                }
                // A member has a value or is left out: null is not a third way of saying "absent".
                if value is NSNull {
                    throw APIProblem(.badRequest, code: "invalid-field", detail: "字段 \(path) 不能为 null；不填写时请省略该字段。", field: path)
                }
                if let nested = value as? [String: Any], knownKeys.contains(where: { $0.hasPrefix(pattern + ".") }) {
                    try check(nested, prefix: path)
                } else if let items = value as? [Any], knownKeys.contains(where: { $0.hasPrefix(pattern + ".") }) {
                    for (i, item) in items.enumerated() {
                        if let nested = item as? [String: Any] { try check(nested, prefix: "\(path).\(i)") }
                    }
                }
            }
        }
        try check(object, prefix: "")
    }

    /// The stored properties' names of a value (the JSON keys of a synthesized Decodable).
    static func keys(of value: Any, prefix: String = "") -> Set<String> {
        Set(Mirror(reflecting: value).children.compactMap { $0.label.map { prefix.isEmpty ? $0 : "\(prefix).\($0)" } })
    }
}
