import Crypto
import Foundation
import Testing
import XinfangCore
import XinfangSync
import XinfangTesting

@testable import XinfangStore

/// The case file's bytes between nodes (issue 17): they follow the events, apart from them, to
/// every node that takes part and may hold them; a neighbour is handed them only within the
/// case's scope, and only when it signs its request.
struct CaseFileSyncTests {
    static func pdf(_ bytes: Int, seed: UInt8) -> Data {
        Data("%PDF-1.7\n".utf8) + Data((0..<bytes).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ Int(seed) &+ ($0 >> 9)) })
    }
    static func hex(_ data: Data) -> String { SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined() }

    static func upload(_ c: TestCluster, at node: NodeID, _ number: CaseNumber, _ data: Data, name: String) async throws -> ClusterReply {
        let encoded = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        return try await c.send(
            "POST",
            c.url(node, "/api/v1/cases/\(number)/attachments?fileName=\(encoded)&stage=registration"),
            body: data,
            headers: ["Content-Type": "application/octet-stream"]
        )
    }

    /// Waits until `node` holds the blob and no longer wants it.
    static func waitForBlob(_ c: TestCluster, _ sha: String, at node: NodeID, timeout: Double = 30) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if c.database(node).blobs.contains(sha), try await c.database(node).blobWants().isEmpty { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        let wants = try await c.database(node).blobWants()
        throw ClusterError("\(node) has not fetched \(sha.prefix(12)): \(wants.map { "\($0.attempts) attempts, \($0.lastError ?? "-")" })")
    }

    @Test(arguments: StoreBackend.allCases) func aCountysScanReachesTheProvinceAndTheProvincesFileReachesTheCounty(backend: StoreBackend) async throws
    {
        try await TestCluster.run(nodes: [H.province, H.changsha, H.furong], backend: backend) { c in
            // Registered at the county with a scanned letter of several chunks.
            let number = try await c.register(at: H.furong, region: "430102")
            let letter = Self.pdf(3 << 20 + 12_345, seed: 1)
            let created = try await Self.upload(c, at: H.furong, number, letter, name: "来信.pdf")
            #expect(created.status == 201, "\(created.text)")
            for node in [H.changsha, H.province] {
                try await c.waitFor(node, number) { $0.activeAttachments.count == 1 }
                try await Self.waitForBlob(c, Self.hex(letter), at: node)
                var whole = Data()
                try c.database(node).blobs.read(Self.hex(letter)) { whole.append($0) }
                #expect(whole == letter, "\(node) holds the very bytes, verified by hash")
            }

            // Registered at the province, a file added there, then assigned down: the file follows
            // through the city to the county.
            let second = try await c.register(at: H.province, region: "430102")
            let evidence = Self.pdf(5 << 20, seed: 2)
            #expect(try await Self.upload(c, at: H.province, second, evidence, name: "证据.pdf").status == 201)
            try await c.act(at: H.province, second, ["action": "offer", "to": "430102", "mode": "assign", "dueAt": "2026-12-31"])
            try await c.waitFor(H.furong, second) { $0.status == .offered }
            try await Self.waitForBlob(c, Self.hex(evidence), at: H.furong)
            try await Self.waitForBlob(c, Self.hex(evidence), at: H.changsha)
            let download = try await c.send("GET", c.url(H.furong, "/api/v1/cases/\(second)/attachments/\(Self.hex(evidence))"), body: nil)
            #expect(download.status == 200 && download.body == evidence)
        }
    }

    @Test(arguments: StoreBackend.allCases) func aSuperiorsFileAddedByCommandReachesTheHolder(backend: StoreBackend) async throws {
        try await TestCluster.run(nodes: [H.province, H.changsha, H.furong], backend: backend) { c in
            let number = try await c.register(at: H.furong, region: "430102")
            try await c.waitFor(H.province, number) { _ in true }
            let note = Self.pdf(200_000, seed: 3)
            let sent = try await Self.upload(c, at: H.province, number, note, name: "批示.pdf")
            #expect(sent.status == 202, "an ancestor's file goes to the holder as a command: \(sent.text)")
            // The holder appends the event without the bytes, and fetches them from its parent,
            // which fetches them from the province.
            try await c.waitFor(H.furong, number) { $0.activeAttachments.count == 1 }
            try await Self.waitForBlob(c, Self.hex(note), at: H.furong)
            try await Self.waitForBlob(c, Self.hex(note), at: H.changsha)
        }
    }

    /// A relay that wants a file and has not the chunk asked for says it is fetching it
    /// (`blob-arriving`), so the node below asks again shortly instead of backing off; a node
    /// that neither has nor wants the bytes says they are not here.
    @Test func aRelayStillFetchingSaysSoAndHandsTheFileOnOnceItHasIt() async throws {
        try await TestCluster.run(nodes: [H.province, H.changsha, H.furong]) { c in
            let number = try await c.register(at: H.province, region: "430102")
            let evidence = Self.pdf(3 << 20, seed: 7)
            let sha = Self.hex(evidence)
            #expect(try await Self.upload(c, at: H.province, number, evidence, name: "证据.pdf").status == 201)
            // The province loses the file before it assigns the case: the city wants it and
            // cannot have it yet.
            let file = c.database(H.province).blobs.directory.appendingPathComponent(String(sha.prefix(2))).appendingPathComponent(sha)
            let sealed = try Data(contentsOf: file)
            try FileManager.default.removeItem(at: file)
            try await c.act(at: H.province, number, ["action": "offer", "to": "430102", "mode": "assign", "dueAt": "2026-12-31"])
            try await c.waitFor(H.furong, number) { $0.activeAttachments.count == 1 }
            func ask(_ from: NodeID, _ to: NodeID) async throws -> ClusterReply {
                let body = try CanonicalJSON.encoder.encode(BlobRequest(from: from, to: to, sha256: sha, chunk: 0, count: 2, sentAt: Date()))
                return try await c.send(
                    "POST",
                    c.url(to, "/sync/v1/blobs"),
                    body: body,
                    headers: [PeerHeaders.from: from.rawValue, PeerHeaders.signature: c.keys[from]!.sign(body), "Authorization": ""]
                )
            }
            // The city's own fetcher fails at the province and backs off between attempts (its
            // second asks the county, which says not here: it asks the city). A fetch from the
            // province under way at the city, as in the normal course (whom a fetch may not
            // keep waiting: `BlobTransferTests`):
            let city = c.database(H.changsha).blobs.fetches
            let fromProvince = city.begin(sha, from: H.province)
            let arriving = try await ask(H.furong, H.changsha)
            #expect(arriving.status == 404 && arriving.json["code"] as? String == "blob-arriving", "\(arriving.text)")
            city.end(sha, fromProvince)
            let lost = try await ask(H.changsha, H.province)
            #expect(lost.status == 404 && lost.json["code"] as? String == "blob-not-here", "neither here nor wanted: \(lost.text)")
            // The file comes back: the city fetches it and hands it on.
            try sealed.write(to: file)
            try await Self.waitForBlob(c, sha, at: H.changsha)
            try await Self.waitForBlob(c, sha, at: H.furong)
            var whole = Data()
            try c.database(H.furong).blobs.read(sha) { whole.append($0) }
            #expect(whole == evidence)
        }
    }

    /// When a relay that lacks the chunks asked for says they are coming: a fetch from another
    /// neighbour under way, or a want due whose next attempt asks another neighbour; never when
    /// its fetch asks the asker, nor while it waits out a back-off.
    @Test func aWantIsComingOnlyFromAnotherNeighbourAndWhenDueOrUnderWay() {
        let (topology, _) = ExampleHierarchy.topology(baseURL: { "http://127.0.0.1/\($0)" })
        let now = Date()
        var want = BlobWant(
            sha256: String(repeating: "c", count: 64),
            caseNumber: CaseNumber(rawValue: "X"),
            size: 1,
            sender: H.province,
            wantedSince: now,
            attempts: 0,
            lastError: nil,
            nextAttemptAt: now
        )
        func coming(to asker: NodeID, fetching: Bool = false) -> Bool {
            BlobServer.coming(want, to: asker, fetching: fetching, at: H.changsha, topology: topology, now: now)
        }
        #expect(coming(to: H.furong), "due, and its first attempt asks the province")
        #expect(!coming(to: H.province), "its next attempt asks the asker")
        want.attempts = 1  // the second attempt asks 芙蓉区, the first child
        #expect(!coming(to: H.furong) && coming(to: H.province))
        want.nextAttemptAt = now.addingTimeInterval(5)
        #expect(!coming(to: H.province), "waiting out a back-off")
        #expect(coming(to: H.province, fetching: true), "a fetch from another neighbour is under way")
    }

    @Test(arguments: StoreBackend.allCases) func aNeighbourIsHandedChunksOnlyWithinTheCaseAndWhenItSigns(backend: StoreBackend) async throws {
        try await TestCluster.run(nodes: [H.province, H.changsha, H.furong, H.yuelu], backend: backend) { c in
            let number = try await c.register(at: H.furong, region: "430102")
            let letter = Self.pdf(100_000, seed: 4)
            #expect(try await Self.upload(c, at: H.furong, number, letter, name: "来信.pdf").status == 201)
            try await Self.waitForBlob(c, Self.hex(letter), at: H.changsha)
            func ask(
                _ from: NodeID,
                _ to: NodeID,
                sha: String = Self.hex(letter),
                chunk: Int = 0,
                count: Int = 4,
                key: NodeID? = nil
            ) async throws
                -> ClusterReply
            {
                let body = try CanonicalJSON.encoder.encode(BlobRequest(from: from, to: to, sha256: sha, chunk: chunk, count: count, sentAt: Date()))
                return try await c.send(
                    "POST",
                    c.url(to, "/sync/v1/blobs"),
                    body: body,
                    headers: [PeerHeaders.from: from.rawValue, PeerHeaders.signature: c.keys[key ?? from]!.sign(body), "Authorization": ""]
                )
            }
            // The city may be handed what its county holds; the chunks open as the blob's.
            let granted = try await ask(H.changsha, H.furong)
            #expect(granted.status == 200)
            // A sibling county takes no part in the case: refused, whatever it signs.
            let sibling = try await ask(H.yuelu, H.changsha)
            #expect(sibling.status == 403 && sibling.json["code"] as? String == "blob-not-in-scope", "\(sibling.text)")
            // Not adjacent, not signed by the sender, a blob no case names, nonsense bounds.
            #expect(try await ask(H.province, H.furong).json["code"] as? String == "not-adjacent")
            #expect(try await ask(H.changsha, H.furong, key: H.yuelu).status == 401)
            let unknown = try await ask(H.changsha, H.furong, sha: String(repeating: "a", count: 64))
            #expect(unknown.status == 404 && unknown.json["code"] as? String == "blob-not-here")
            #expect(try await ask(H.changsha, H.furong, count: 5).json["code"] as? String == "malformed-blob-request")
            #expect(try await ask(H.changsha, H.furong, chunk: 9).json["code"] as? String == "malformed-blob-request")
            #expect(try await ask(H.changsha, H.furong, sha: "../../etc/passwd").json["code"] as? String == "malformed-blob-request")
        }
    }
}
