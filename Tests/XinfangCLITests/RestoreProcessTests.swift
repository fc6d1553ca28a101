import Foundation
import Testing
import XinfangCore
import XinfangStore
import XinfangTesting

/// A node restored from an older backup, as two real `xinfang serve` processes live it (issue 15):
/// its link numbers are behind what its neighbour saw, and the link must carry on by itself.
struct RestoreProcessTests {
    let http = HTTP()
    static let city = ProcessHierarchy.ids[1]
    static let county = ProcessHierarchy.ids[2]

    func dataDirectory(_ h: ProcessHierarchy, _ id: NodeID) -> URL { h.dir.appendingPathComponent("data/\(id)") }

    /// Stops `id`, copies its data directory, starts it again; the copy's location.
    func backUp(_ h: ProcessHierarchy, _ id: NodeID) async throws -> URL {
        #expect(try await h.processes[id]!.interruptAndWait(timeout: 60) == 0)
        let copy = h.dir.appendingPathComponent("backup-\(id)-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: dataDirectory(h, id), to: copy)
        try await h.start(id)
        return copy
    }

    /// Stops `id`, puts `backup` in place of its data directory, starts it again.
    func restore(_ h: ProcessHierarchy, _ id: NodeID, from backup: URL) async throws {
        #expect(try await h.processes[id]!.interruptAndWait(timeout: 60) == 0)
        try FileManager.default.removeItem(at: dataDirectory(h, id))
        try FileManager.default.copyItem(at: backup, to: dataDirectory(h, id))
        try await h.start(id)
    }

    /// Registers a case at the county; the seconds until the city has it.
    func registerAtCountyAndWaitForTheCity(_ h: ProcessHierarchy, timeout: Double = 20) async throws -> Double {
        let created = try await http.send("POST", h.urls[Self.county]!.appendingPathComponent("api/v1/cases"), json: Fixtures.registrationJSON())
        let number = try #require(created.json["caseNumber"] as? String, "register: \(created.status)")
        let started = Date()
        while Date().timeIntervalSince(started) < timeout {
            if try await http.send("GET", h.urls[Self.city]!.appendingPathComponent("api/v1/cases/\(number)")).status == 200 {
                return Date().timeIntervalSince(started)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Failure("case \(number) did not reach the city within \(timeout) s")
    }

    /// Packets the county sends without changing any case: anti-entropy rounds and flag reports.
    func reconcileAtCounty(_ h: ProcessHierarchy, times: Int) async throws {
        for _ in 0..<times {
            let round = try await http.send("POST", h.urls[Self.county]!.appendingPathComponent("api/v1/reconcile"))
            #expect(round.status == 200 && round.json["error"] == nil, "\(String(decoding: round.body, as: UTF8.self))")
        }
    }

    /// What the county's outbox shows for its link to the city.
    func countyLink(_ h: ProcessHierarchy) async throws -> [String: Any] {
        let outbox = try await http.send("GET", h.urls[Self.county]!.appendingPathComponent("api/v1/sync/outbox"))
        return ((outbox.json["peers"] as? [[String: Any]]) ?? []).first { $0["peer"] as? String == Self.city.rawValue } ?? [:]
    }

    @Test func aSenderOrAReceiverRestoredFromAnOlderBackupReconnectsByItself() async throws {
        let h = try ProcessHierarchy()
        try await h.start(Self.city)
        try await h.start(Self.county)
        _ = try await registerAtCountyAndWaitForTheCity(h)

        // The sender restored: the county's packet numbers move on after its backup, then it is
        // put back to the backup. It must not be refused for numbers the city saw.
        let countyBackup = try await backUp(h, Self.county)
        try await reconcileAtCounty(h, times: 5)
        _ = try await registerAtCountyAndWaitForTheCity(h)
        try await restore(h, Self.county, from: countyBackup)
        let afterSenderRestore = try await registerAtCountyAndWaitForTheCity(h)
        try await reconcileAtCounty(h, times: 1)

        // The receiver restored: the city goes back to a backup from before the county's last
        // greeting, so the county's session is one the city no longer knows.
        let cityBackup = try await backUp(h, Self.city)
        try await reconcileAtCounty(h, times: 3)
        #expect(try await h.processes[Self.county]!.interruptAndWait(timeout: 60) == 0)
        try await h.start(Self.county)
        try await reconcileAtCounty(h, times: 1)
        try await restore(h, Self.city, from: cityBackup)
        let afterReceiverRestore = try await registerAtCountyAndWaitForTheCity(h)
        try await reconcileAtCounty(h, times: 1)

        let cityOutbox = try await http.send("GET", h.urls[Self.city]!.appendingPathComponent("api/v1/sync/outbox"))
        let fromCounty = ((cityOutbox.json["peers"] as? [[String: Any]]) ?? []).first { $0["peer"] as? String == Self.county.rawValue }
        let refusals = fromCounty?["refusals"] as? [String: Int] ?? [:]
        #expect(refusals["replayed-packet"] == nil, "a restored sender greets at its start: \(refusals)")
        #expect((refusals["unknown-session"] ?? 0) >= 1, "the restored receiver refused the session it no longer knew: \(refusals)")
        let link = try await countyLink(h)
        let counts = link["counts"] as? [String: Int] ?? [:]
        #expect((counts["dead"] ?? 0) == 0, "no item died of a refused number: \(counts)")
        print(
            "restore figures: the first case after the sender's restore reached the city in \(String(format: "%.2f", afterSenderRestore)) s, "
                + "after the receiver's restore in \(String(format: "%.2f", afterReceiverRestore)) s"
        )
        for id in [Self.city, Self.county] { #expect(try await h.processes[id]!.interruptAndWait(timeout: 60) == 0) }
    }
}
