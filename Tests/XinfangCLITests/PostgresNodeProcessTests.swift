import Foundation
import Testing
import XinfangCore
import XinfangPostgres
import XinfangStore
import XinfangTesting

/// `xinfang serve` on a PostgreSQL store chosen in the node's configuration: the schema is migrated
/// at start, a case registered over the API is in the database (and no SQLite file is made), and a
/// backend the node does not know is refused with the field named.
struct PostgresNodeProcessTests {
    @Test func aNodeConfiguredForPostgreSQLServesFromIt() async throws {
        let dir = try temporaryDirectory("postgres-node")
        defer { try? FileManager.default.removeItem(at: dir) }
        try await TestPostgres.withCluster { socket in
            let config = dir.appendingPathComponent("node.json")
            try """
            {"nodeId": "430000", "name": "湖南省人社厅", "level": "province", "dataDirectory": "data", "listen": "127.0.0.1:0",
             "dataKeyFile": "data-keys.json", "store": {"backend": "postgres", "socket": "\(socket)"}}
            """.write(to: config, atomically: true, encoding: .utf8)
            try TestAccounts.writeDataKeyFile(to: dir.appendingPathComponent("data-keys.json"))
            let location = PostgresLocation(endpoint: .socket(path: socket), username: "xinfang", database: "xinfang")
            try await PostgresStore.withClient(location) { try await PostgresSchema.upgrade($0) }
            let server = PostgresTransactions(location)
            let blobs = dir.appendingPathComponent("data/blobs")
            let store = try await NodeDatabase.open(server: server, node: NodeID("430000"), calendar: .standard, blobDirectory: blobs)
            try await TestAccounts.provision(store)

            let node = try NodeProcess(arguments: ["serve", "--config", config.path, "--log-level", "warning"], workDirectory: dir)
            let url = try await node.waitUntilListening()
            let created = try await HTTP().send(
                "POST",
                url.appendingPathComponent("api/v1/cases"),
                json: Fixtures.registrationJSON(region: "430000")
            )
            #expect(created.status == 201, "\(String(decoding: created.body, as: UTF8.self))")
            let number = try #require(created.json["caseNumber"] as? String)
            #expect(try await HTTP().send("GET", url.appendingPathComponent("api/v1/cases/\(number)")).status == 200)
            let status = try await node.interruptAndWait()
            #expect(status == 0, "\(node.log)")

            #expect(try await store.caseState(CaseNumber(rawValue: number))?.caseNumber.rawValue == number)
            #expect(try await store.counts().cases == 1)
            #expect(try await store.auditRows(after: 0, limit: 10, action: "case.register").count == 1)
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("data/\(NodeDatabase.fileName)").path))
            // A backup is of SQLite's file: refused for this node, with the tool to use.
            let backup = try NodeProcess(
                arguments: ["backup", "--config", config.path, "--out", dir.appendingPathComponent("b.xfbak").path],
                workDirectory: dir
            )
            #expect(try await backup.waitForExit(timeout: 60) != 0)
            #expect(backup.log.contains("pg_dump"), "\(backup.log)")
            await server.close()
        }
    }

    @Test func aStoreBackendTheNodeDoesNotKnowIsRefused() async throws {
        let dir = try temporaryDirectory("postgres-refused")
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = try await writeConfig(in: dir, extra: #", "store": {"backend": "mysql"}"#)
        let node = try NodeProcess(arguments: ["serve", "--config", config.path], workDirectory: dir)
        #expect(try await node.waitForExit(timeout: 60) != 0)
        #expect(node.log.contains("store.backend"), "\(node.log)")
    }
}
