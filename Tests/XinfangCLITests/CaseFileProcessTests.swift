import Crypto
import Foundation
import Testing
import XinfangCore
import XinfangHTTP
import XinfangStore
import XinfangSync
import XinfangTesting

/// Issue 17's acceptance on real processes: a scanned letter registered at the county reaches the
/// province; a 10 MB file added at the province reaches the county through the city, whose process
/// is killed with -9 in the middle of fetching it and resumes where it stopped; every node holds
/// the very bytes; the county's flag for the missing file is raised while it waits and cleared
/// when the file arrives.
struct CaseFileProcessTests {
    let http = HTTP()
    static let metricsToken = "case-file-process-test-metrics-token"

    static func pdf(_ bytes: Int, seed: Int) -> Data {
        Data("%PDF-1.7\n".utf8) + Data((0..<bytes).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ seed &+ ($0 >> 11)) })
    }
    static func hex(_ data: Data) -> String { SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined() }

    func upload(_ base: URL, _ number: String, _ data: Data, name: String) async throws -> HTTP.Reply {
        let encoded = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        return try await http.send(
            "POST",
            URL(string: base.absoluteString + "/api/v1/cases/\(number)/attachments?fileName=\(encoded)&stage=registration")!,
            body: data,
            contentType: "application/octet-stream"
        )
    }

    /// Waits until a download of the file at `base` answers the very bytes.
    func waitForDownload(_ base: URL, _ number: String, _ data: Data, timeout: Double = 120) async throws {
        let url = base.appendingPathComponent("api/v1/cases/\(number)/attachments/\(Self.hex(data))")
        let deadline = Date().addingTimeInterval(timeout)
        var last = 0
        while Date() < deadline {
            let reply = try await http.send("GET", url)
            if reply.status == 200 {
                #expect(reply.body == data, "the bytes at \(base) are the file's")
                return
            }
            last = reply.status
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Failure("\(url) still answers \(last) after \(timeout) s")
    }

    func openFlags(_ base: URL, kind: String) async throws -> [[String: Any]] {
        let reply = try await http.send("GET", URL(string: base.absoluteString + "/api/v1/flags?kind=\(kind)")!)
        return reply.json["items"] as? [[String: Any]] ?? []
    }

    @Test func filesTravelBothWaysAndACityKilledMidTransferResumes() async throws {
        try await LoopbackTurns.run { try await travel() }
    }

    func travel() async throws {
        // 1 MiB/s from each neighbour: the 10 MB file takes about ten seconds a hop, time enough to
        // kill the city in the middle of it.
        let h = try ProcessHierarchy {
            $0.blobTransfer = BlobTransferSettings(peerBytesPerSecond: 1 << 20)
            $0.metricsToken = Self.metricsToken
            var limits = ReconciliationLimits()
            limits.blobMissingSeconds = 1
            $0.reconciliation = limits
        }
        let (province, city, county) = (ProcessHierarchy.ids[0], ProcessHierarchy.ids[1], ProcessHierarchy.ids[2])
        for id in ProcessHierarchy.ids { try await h.start(id) }

        // A scanned letter of several MB, registered at the county, reaches the province.
        let registered = try await http.send("POST", h.urls[county]!.appendingPathComponent("api/v1/cases"), json: Fixtures.registrationJSON())
        let letterCase = try #require(registered.json["caseNumber"] as? String)
        let letter = Self.pdf(3 << 20, seed: 7)
        #expect(try await upload(h.urls[county]!, letterCase, letter, name: "来信扫描件.pdf").status == 201)
        try await waitForDownload(h.urls[city]!, letterCase, letter)
        try await waitForDownload(h.urls[province]!, letterCase, letter)

        // 10 MB added at the province, then assigned to the county through the city.
        let created = try await http.send("POST", h.urls[province]!.appendingPathComponent("api/v1/cases"), json: Fixtures.registrationJSON())
        let number = try #require(created.json["caseNumber"] as? String)
        let evidence = Self.pdf(10 << 20, seed: 9)
        #expect(try await upload(h.urls[province]!, number, evidence, name: "调查材料.pdf").status == 201)
        let offered = try await http.send(
            "POST",
            h.urls[province]!.appendingPathComponent("api/v1/cases/\(number)/actions"),
            json: #"{"action":"offer","to":"430102","mode":"assign","dueAt":"2026-12-31","actor":"省厅"}"#
        )
        #expect(offered.status == 200)

        // The city is killed with -9 once it holds a few chunks of the file.
        let part = h.dir.appendingPathComponent("data/\(city)/blobs/incoming/\(Self.hex(evidence)).part")
        let deadline = Date().addingTimeInterval(60)
        func partBytes() -> Int { ((try? FileManager.default.attributesOfItem(atPath: part.path))?[.size] as? Int) ?? 0 }
        while partBytes() < 3 << 20 && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        h.processes[city]!.kill9()
        _ = try await h.processes[city]!.waitForExit()
        let kept = partBytes()
        #expect(kept >= 3 << 20 && kept < evidence.count, "killed mid-transfer, \(kept) bytes kept")

        // While the city is down the county waits for the file: the flag is raised.
        let countyDB = try h.database(county)
        #expect(try await countyDB.blobWants().map(\.sha256) == [Self.hex(evidence)], "the county has the event, not the bytes")
        try await Task.sleep(for: .milliseconds(1_100))
        #expect(try await http.send("POST", h.urls[county]!.appendingPathComponent("api/v1/reconcile")).status == 200)
        let raised = try await openFlags(h.urls[county]!, kind: "blobMissing")
        #expect(raised.contains { $0["subject"] as? String == Self.hex(evidence) && $0["caseNumber"] as? String == number }, "\(raised)")

        // Restarted, the city resumes after its last whole chunk; the county gets the file from it.
        try await h.start(city)
        try await waitForDownload(h.urls[city]!, number, evidence)
        try await waitForDownload(h.urls[county]!, number, evidence)
        let metrics = try await http.send(
            "GET",
            h.urls[city]!.appendingPathComponent("metrics"),
            body: Data(),
            contentType: "text/plain",
            token: Self.metricsToken
        )
        let received =
            String(decoding: metrics.body, as: UTF8.self).split(separator: "\n")
            .first { $0.hasPrefix("xinfang_blob_bytes_received_total") && $0.contains("430000") }
            .flatMap { $0.split(separator: " ").last.flatMap { Double($0) } } ?? -1
        #expect(
            received > 0 && received <= Double(evidence.count - kept + 2 * (BlobSealing.chunkBytes + BlobSealing.overhead)),
            "after the restart the city fetched only the rest: \(received) bytes"
        )
        #expect(try await http.send("POST", h.urls[county]!.appendingPathComponent("api/v1/reconcile")).status == 200)
        #expect(try await openFlags(h.urls[county]!, kind: "blobMissing").isEmpty, "cleared once the file arrived")

        for id in ProcessHierarchy.ids { #expect(try await h.processes[id]!.interruptAndWait(timeout: 60) == 0) }
        // Every node holds both files, each verified against its hash when read.
        for id in ProcessHierarchy.ids {
            let db = try h.database(id)
            for file in [letter, evidence] {
                var whole = Data()
                try db.blobs.read(Self.hex(file)) { whole.append($0) }
                #expect(whole == file, "\(id) holds \(Self.hex(file).prefix(12))")
            }
        }
    }
}
