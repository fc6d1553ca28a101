import Foundation
import HTTPTypes
import Testing
import XinfangCore
import XinfangHTTP
import XinfangStore
import XinfangTesting

/// The exchange export for reporting upward (issue 18): the cases of a period in the national
/// field set, as JSON (each record valid under schemas/exchange-case.schema.json, checked by an
/// independent validator) and as CSV; masked unless a role that reads personal data asks.
struct ExchangeExportTests {
    /// Validates every item of `json` against the schema with jsonschema-rs (in .build/pytools);
    /// returns the validator's complaints.
    static func validate(_ items: Data) async throws -> String {
        let python = try await PythonTools.path("python")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("exchange-\(UUID().uuidString).json")
        try items.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let script = """
            import json, sys, jsonschema_rs
            schema = json.load(open(sys.argv[1])); items = json.load(open(sys.argv[2]))
            v = jsonschema_rs.validator_for(schema)
            errors = [f"{i}: {e.message}" for i, item in enumerate(items) for e in v.iter_errors(item)]
            print("\\n".join(errors) if errors else "valid", len(items))
            """
        let schema = PythonTools.root.appendingPathComponent("schemas/exchange-case.schema.json").path
        let run = try await SpawnedProcess.run(python, ["-c", script, schema, file.path], timeout: 120)
        return run.output + run.errors
    }

    @Test func theExportIsTheNationalFieldSetAndValidUnderItsSchema() async throws {
        let node = try TestNode()
        let person = Fixtures.newPerson()
        try await node.withAPI { api in
            let a = try #require(try await api.request(.post, "/api/v1/cases", body: Fixtures.registrationJSON(person: person))["caseNumber"])
            for step in [["action": "notify"], ["action": "reply", "outcome": "supported", "opinion": "责令支付"], ["action": "close"]] {
                #expect(try await api.act(a, step).status == 200)
            }
            #expect(
                try await api.act(a, ["action": "evaluate", "officeRating": "satisfied", "unitRating": "dissatisfied", "via": "phone"]).status == 200
            )
            let anonymous = #"""
                {"channel":"letter","petitioners":[{"name":"匿名","isLead":true}],"purpose":"appeal",
                 "category":{"level1":"劳动和社会保障","level2":"劳动关系","level3":"拖欠农民工工资"},
                 "issueRegion":"430102","summary":"反映拖欠工资","text":"匿名来信。","registeredBy":"李娜"}
                """#
            #expect(try await api.request(.post, "/api/v1/cases", body: anonymous).status == 201)

            let export = try await api.request(.get, "/api/v1/exchange/cases")
            #expect(export.status == 200, "\(export.text.prefix(300))")
            let items = try #require(export.json["items"] as? [[String: any Sendable]])
            #expect(items.count == 2 && export.json["count"] as? Int == 2)
            let evaluated = try #require(items.first { $0["xfjbh"] as? String == a })
            #expect(evaluated["xfxs"] as? String == "200" && evaluated["wtsddm"] as? String == "430102000000")
            #expect(
                evaluated["dxfbmpj"] as? Int == 0 && evaluated["dzrdwpj"] as? Int == 3 && evaluated["pjzt"] as? Int == 2
                    && evaluated["bjbz"] as? Int == 1
            )
            let people = try #require(evaluated["xfr"] as? [[String: any Sendable]])
            #expect(people.first?["xm"] as? String == "张*" && (people.first?["sjh"] as? String)?.contains("****") == true, "masked by default")
            #expect(items.contains { $0["nmbz"] as? Int == 1 })

            let data = try JSONSerialization.data(withJSONObject: items)
            let verdict = try await Self.validate(data)
            #expect(verdict.hasPrefix("valid 2"), "\(verdict)")
            // The validator does refuse what the schema forbids.
            var broken = items[0]
            broken["xfxs"] = "999"
            broken.removeValue(forKey: "xfjbh")
            let refused = try await Self.validate(try JSONSerialization.data(withJSONObject: [broken]))
            #expect(refused.contains("xfjbh") && refused.contains("999"), "\(refused)")

            let unmasked = try await api.request(.get, "/api/v1/exchange/cases?unmask=true")
            #expect(unmasked.text.contains(Fixtures.mobile(person: person)))
            let csv = try await api.request(.get, "/api/v1/exchange/cases?format=csv")
            #expect(csv.status == 200 && csv.contentType == "text/csv; charset=utf-8")
            #expect(csv.text.contains(NationalExchange.csvHeader.joined(separator: ",")) && csv.text.contains(a))
            #expect(try await api.request(.get, "/api/v1/exchange/cases?format=xml")["code"] == "invalid-field")
        }
        try await node.withAPI(as: .registrar) { api in
            let refused = try await api.request(.get, "/api/v1/exchange/cases")
            #expect(refused.status == 403, "a registrar does not report upward")
        }
    }
}
