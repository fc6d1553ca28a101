import Foundation
import Hummingbird
import XinfangCore

/// The dashboard's forms (`application/x-www-form-urlencoded`): read within a size limit, blank
/// fields left out, and decoded by Hummingbird's `URLEncodedFormDecoder` into the same input
/// types the JSON API decodes, with the API's reading of dates.
enum Form {
    /// The largest form body the dashboard takes.
    static let bytesMax = 64 * 1024

    /// The body's fields, percent-decoded, a text area's CR LF line ends made LF (as the API's
    /// JSON carries them); blank ones left out (an empty input is no answer).
    static func values(of request: Request) async throws -> [String: String] {
        let buffer = try await request.body.collect(upTo: bytesMax)
        return values(String(buffer: buffer))
    }

    static func values(_ body: String) -> [String: String] {
        var values: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = parts.first.flatMap({ String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding }) else { continue }
            let value = (parts.count > 1 ? (String(parts[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "") : "")
                .replacingOccurrences(of: "\r\n", with: "\n")
            if !value.trimmingCharacters(in: .whitespaces).isEmpty { values[key] = value }
        }
        return values
    }

    /// `T` from the form's (non-blank) fields.
    static func decode<T: Decodable>(_ type: T.Type, from values: [String: String]) throws -> T {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let body = values.sorted { $0.key < $1.key }.map { key, value in
            "\(key.addingPercentEncoding(withAllowedCharacters: allowed) ?? key)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)"
        }.joined(separator: "&")
        return try decoder.decode(type, from: body)
    }

    static let decoder = URLEncodedFormDecoder(dateDecodingStrategy: .custom { try APIJSON.decodeDate($0) })
}

/// The dashboard's registration form as the API's registration input: one petitioner, the
/// category as `level1|level2|level3`, the registrar from the session, and the day of receipt.
struct RegistrationForm {
    /// How the search box names a category.
    static func categoryText(_ c: ContentCategory) -> String { "\(c.level1) › \(c.level2) › \(c.level3)" }

    var values: [String: String]
    var registeredBy: String
    var today: CivilDate

    init(_ values: [String: String], registeredBy: String, today: CivilDate) {
        self.values = values
        self.registeredBy = registeredBy
        self.today = today
    }

    func input() throws(ValidationFailure) -> RegistrationInput {
        // A category typed into the search box (一级 › 二级 › 三级) wins over the choice.
        let searched = (values["categorySearch"] ?? "").trimmingCharacters(in: .whitespaces)
        let parts =
            searched.isEmpty
            ? (values["category"] ?? "").split(separator: "|").map(String.init)
            : searched.components(separatedBy: "›").map { $0.trimmingCharacters(in: .whitespaces) }
        var input = RegistrationInput()
        input.channel = values["channel"] ?? ""
        input.purpose = values["purpose"] ?? ""
        input.issueRegion = values["issueRegion"] ?? ""
        input.summary = values["summary"] ?? ""
        input.text = values["text"] ?? ""
        input.respondent = values["respondent"]
        input.registeredBy = registeredBy
        input.lawRelated = values["lawRelated"] == "true"
        input.urgent = values["urgent"] == "true"
        input.confidential = values["confidential"] == "true"
        input.category = .init(level1: parts.first ?? "", level2: parts.dropFirst().first ?? "", level3: parts.dropFirst(2).first ?? "")
        input.petitioners = [.init(name: values["name"] ?? "", idNumber: values["idNumber"], mobile: values["mobile"], isLead: true)]
        // Today is now; an earlier day is its noon (the end of the day, as the API reads a bare
        // date, would lie in the future for today).
        if let received = values["receivedAt"], received != "\(today)" {
            guard CivilDate(iso: received) != nil, let noon = APIJSON.parse("\(received)T12:00:00+08:00") else {
                throw .invalid("receivedAt", "收件时间必须是日期。")
            }
            input.receivedAt = noon
        }
        return input
    }
}
