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
            let location = StoreBackend.location(socket)
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

            #expect(try await store.caseState(CaseNumber(rawValue: number))?.caseNumber.rawValue == number)
            #expect(try await store.counts().cases == 1)
            #expect(try await store.auditRows(after: 0, limit: 10, action: "case.register").count == 1)
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("data/\(NodeDatabase.fileName)").path))
            // A backup while the node serves: pg_dump's archive, the blobs, the manifest, and the
            // keys named. A restore is refused while a server of the node runs, and over a
            // database that holds cases unless forced; forced, it puts the database back.
            let backupFolder = dir.appendingPathComponent("backup-1")
            let backup = try NodeProcess(arguments: ["backup", "--config", config.path, "--out", backupFolder.path], workDirectory: dir)
            #expect(try await backup.waitForExit(timeout: 120) == 0, "\(backup.log)")
            #expect(backup.log.contains("1 cases") && backup.log.contains("data keyring"), "\(backup.log)")
            let dump = try #require(
                try FileManager.default.attributesOfItem(atPath: backupFolder.appendingPathComponent("database.pgdump").path)[.size] as? Int
            )
            #expect(dump > 10_000, "pg_dump's archive holds the schema and the rows")
            let again = try NodeProcess(arguments: ["backup", "--config", config.path, "--out", backupFolder.path], workDirectory: dir)
            #expect(try await again.waitForExit(timeout: 60) != 0 && again.log.contains("already exists"), "\(again.log)")
            let whileServing = try NodeProcess(
                arguments: ["restore", "--config", config.path, "--from", backupFolder.path, "--force"],
                workDirectory: dir
            )
            #expect(try await whileServing.waitForExit(timeout: 60) != 0 && whileServing.log.contains("stop every server"), "\(whileServing.log)")
            let later = try await HTTP().send("POST", url.appendingPathComponent("api/v1/cases"), json: Fixtures.registrationJSON(region: "430000"))
            #expect(later.status == 201)
            let status = try await node.interruptAndWait()
            #expect(status == 0, "\(node.log)")
            #expect(try await store.counts().cases == 2)

            let unforced = try NodeProcess(arguments: ["restore", "--config", config.path, "--from", backupFolder.path], workDirectory: dir)
            #expect(try await unforced.waitForExit(timeout: 60) != 0 && unforced.log.contains("2 cases"), "\(unforced.log)")
            let restore = try NodeProcess(
                arguments: ["restore", "--config", config.path, "--from", backupFolder.path, "--force"],
                workDirectory: dir
            )
            #expect(try await restore.waitForExit(timeout: 120) == 0, "\(restore.log)")
            #expect(restore.log.contains("events verified"), "\(restore.log)")
            #expect(try await store.counts().cases == 1, "the database is as it was at the backup")
            #expect(try await store.caseState(CaseNumber(rawValue: number)) != nil)
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

    /// `--listen` (a second server's address) is checked as the configuration's `listen` is.
    @Test func aListenFlagThatIsNotHostAndPortIsRefused() async throws {
        let dir = try temporaryDirectory("listen-flag")
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = try await writeConfig(in: dir)
        let node = try NodeProcess(arguments: ["serve", "--config", config.path, "--listen", "127.0.0.1"], workDirectory: dir)
        #expect(try await node.waitForExit(timeout: 60) != 0)
        #expect(node.log.contains("--listen: expected host:port"), "\(node.log)")
    }
}
