import Foundation
import Testing
import XinfangCore
import XinfangStore
import XinfangTesting

/// Issue 20's restore from the parent on real processes: a county's store is lost mid-life (its
/// data folder deleted while it is stopped); `xinfang bootstrap --from-parent` rebuilds it from
/// the city's replicas, chains and case file; the county serves the same cases as the city holds
/// and the story goes on, new numbers past every one it may have given.
struct BootstrapProcessTests {
    let http = HTTP()
    static let city = ProcessHierarchy.ids[1]
    static let county = ProcessHierarchy.ids[2]

    func head(_ h: ProcessHierarchy, _ id: NodeID, _ number: String) async throws -> String? {
        let reply = try await http.send("GET", h.urls[id]!.appendingPathComponent("api/v1/cases/\(number)"))
        return reply.status == 200 ? reply.json["headHash"] as? String : nil
    }

    /// Waits until `id` holds case `number` at the head `expected` (any head when nil); the head.
    @discardableResult
    func waitForHead(_ h: ProcessHierarchy, _ id: NodeID, _ number: String, _ expected: String? = nil, timeout: Double = 30) async throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let head = try await head(h, id, number), expected == nil || head == expected { return head }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Failure("\(id) did not hold \(number) at \(expected ?? "any head") within \(timeout) s")
    }

    func register(_ h: ProcessHierarchy) async throws -> String {
        let created = try await http.send("POST", h.urls[Self.county]!.appendingPathComponent("api/v1/cases"), json: Fixtures.registrationJSON())
        return try #require(created.json["caseNumber"] as? String, "register: \(created.status)")
    }

    func act(_ h: ProcessHierarchy, _ number: String, _ json: String) async throws {
        let reply = try await http.send("POST", h.urls[Self.county]!.appendingPathComponent("api/v1/cases/\(number)/actions"), json: json)
        #expect(reply.status == 200, "\(json): \(reply.status) \(String(decoding: reply.body, as: UTF8.self))")
    }

    func bootstrap(_ h: ProcessHierarchy) throws -> NodeProcess {
        try NodeProcess(
            arguments: ["bootstrap", "--config", h.dir.appendingPathComponent("\(Self.county).json").path, "--from-parent"],
            workDirectory: h.dir
        )
    }

    @Test func aCountyWhoseStoreIsLostIsRebuiltFromItsCityAndGoesOn() async throws {
        let h = try ProcessHierarchy()
        try await h.start(Self.city)
        try await h.start(Self.county)
        let numbers = [try await register(h), try await register(h), try await register(h)]
        let letter = CaseFileProcessTests.pdf(300_000, seed: 3)
        #expect(try await CaseFileProcessTests().upload(h.urls[Self.county]!, numbers[0], letter, name: "来信.pdf").status == 201)
        try await act(h, numbers[1], #"{"action":"notify"}"#)
        var heads: [String: String] = [:]
        for number in numbers {
            let local = try #require(try await head(h, Self.county, number))
            heads[number] = try await waitForHead(h, Self.city, number, local)
        }
        try await CaseFileProcessTests().waitForDownload(h.urls[Self.city]!, numbers[0], letter, timeout: 30)

        let running = try bootstrap(h)
        #expect(try await running.waitForExit(timeout: 60) != 0)
        #expect(running.log.contains("in use by another xinfang process"), "\(running.log)")

        // The county's store is lost: stopped, its data folder deleted with its case files.
        #expect(try await h.processes[Self.county]!.interruptAndWait(timeout: 60) == 0)
        try FileManager.default.removeItem(at: h.dir.appendingPathComponent("data/\(Self.county)"))
        let rebuilt = try bootstrap(h)
        #expect(try await rebuilt.waitForExit(timeout: 180) == 0, "\(rebuilt.log)")
        let log = rebuilt.log
        #expect(log.contains("rebuilt the store from the parent \(Self.city): 3 cases"), "\(log)")
        #expect(log.contains("case files: 1 fetched, none missing"), "\(log)")
        #expect(log.contains("3 cases were held here then") && numbers.allSatisfy(log.contains), "what may have been lost is named: \(log)")
        #expect(log.contains("registration numbers go on after 1003"), "\(log)")
        #expect(log.contains("xinfang users create"), "what is not rebuilt is named: \(log)")
        let again = try bootstrap(h)
        #expect(try await again.waitForExit(timeout: 60) != 0)
        #expect(again.log.contains("holds 3 cases"), "a store with cases is not bootstrapped over: \(again.log)")

        // The county serves what the city holds, the case file included, and the story goes on.
        try await h.start(Self.county)
        for number in numbers { #expect(try await head(h, Self.county, number) == heads[number], "\(number) as the city holds it") }
        try await CaseFileProcessTests().waitForDownload(h.urls[Self.county]!, numbers[0], letter, timeout: 10)
        try await act(h, numbers[0], #"{"action":"notify"}"#)
        let next = try #require(try await head(h, Self.county, numbers[0]))
        #expect(next != heads[numbers[0]])
        try await waitForHead(h, Self.city, numbers[0], next)
        let fresh = try await register(h)
        #expect(Int(fresh.split(separator: "-").last ?? "") == 1004, "a new number past every one the lost store may have given: \(fresh)")
        try await waitForHead(h, Self.city, fresh)
        for id in [Self.city, Self.county] { #expect(try await h.processes[id]!.interruptAndWait(timeout: 60) == 0) }
    }
}
