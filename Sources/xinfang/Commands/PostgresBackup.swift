import Foundation
import XinfangCore
import XinfangHTTP
import XinfangPostgres
import XinfangStore

/// The backup of a node on PostgreSQL: a folder (`--out`) holding the database as `pg_dump` writes
/// it (`database.pgdump`, the custom format: one consistent snapshot taken while the node serves),
/// the case files' sealed blobs as the data directory holds them (`blobs/`, copied after the dump,
/// so every file the dump names is there: files are immutable and named by content), and
/// `manifest.json` (`BackupManifest`: the node, the time, the schema's migrations, the counts, the
/// node's public key and the keyring's check values). No key is in it, as in a SQLite node's backup.
///
/// A restore checks the manifest (the node, the migrations this build knows, the keyring) before
/// it writes anything, refuses while a server of the node runs (one holds the node's lease) and,
/// without `--force`, a database that holds cases; then `pg_restore` replaces the database in one
/// transaction, the blobs missing from the data directory are copied in, and the node's store is
/// opened (migrating an older dump) and every chain and the audit trail verified.
enum PostgresBackup {
    static let dumpFile = "database.pgdump"
    static let manifestFile = "manifest.json"

    /// `pg_dump`'s or `pg_restore`'s connection: arguments and environment (the password; TLS
    /// beyond the loopback, as the node's own connections).
    static func connection(_ place: StoreConfig.PostgresPlace) -> (arguments: [String], environment: [String: String]) {
        var environment: [String: String] = [:]
        if let password = place.password { environment["PGPASSWORD"] = password }
        let host: String
        var port = place.port
        if let socket = place.socket {
            // libpq names a socket by its folder and the port in its file name (.s.PGSQL.5432).
            let url = URL(fileURLWithPath: socket)
            host = url.deletingLastPathComponent().path
            port = Int(url.lastPathComponent.split(separator: ".").last ?? "") ?? port
        } else {
            host = place.host ?? "localhost"
            if !["127.0.0.1", "::1", "localhost"].contains(host) { environment["PGSSLMODE"] = "require" }
        }
        return (["--host", host, "--port", "\(port)", "--username", place.username, "--dbname", place.database], environment)
    }

    static func tool(_ name: String) throws -> String {
        guard let path = Spawn.find(name) else {
            throw NodeConfig.Problem(
                description: "\(name) is not installed: it comes with PostgreSQL's client (Debian: apt-get install postgresql-client)"
            )
        }
        return path
    }

    /// Runs `tool` on the node's database; its output goes to `log`, which a failure quotes.
    static func run(_ tool: String, _ arguments: [String], place: StoreConfig.PostgresPlace, log: URL) throws {
        let (connection, environment) = connection(place)
        let status = try Spawn.run(try Self.tool(tool), arguments + connection, environment: environment, log: log)
        guard status == 0 else {
            let said = ((try? String(contentsOf: log, encoding: .utf8)) ?? "").suffix(2000)
            throw NodeConfig.Problem(description: "\(tool) failed (status \(status)): \(said)")
        }
    }

    /// Writes the backup folder `out` (which must not exist) and answers its manifest.
    /// `store` is the node's, opened by the caller (which writes the audit row with it).
    static func create(
        config: NodeConfig,
        place: StoreConfig.PostgresPlace,
        store: NodeDatabase,
        nodePublicKey: String?,
        keyring: DataKeyring,
        out: URL
    ) async throws -> BackupManifest {
        let fm = FileManager.default
        guard !fm.fileExists(atPath: out.path) else { throw NodeBackup.Failure.outputExists(out.path) }
        let partial = URL(fileURLWithPath: out.path + ".partial")
        try? fm.removeItem(at: partial)
        try fm.createDirectory(at: partial, withIntermediateDirectories: true)
        let takenAt = Date()
        let (cases, events) = try await store.counts()
        let log = partial.appendingPathComponent("pg_dump.log")
        try run("pg_dump", ["--format=custom", "--no-owner", "--file", partial.appendingPathComponent(dumpFile).path], place: place, log: log)
        try? fm.removeItem(at: log)
        let blobs = store.blobs.directory
        var (files, bytes) = (0, Int64(0))
        if fm.fileExists(atPath: blobs.path) {
            try fm.copyItem(at: blobs, to: partial.appendingPathComponent("blobs"))
            for case let file as URL in fm.enumerator(at: partial.appendingPathComponent("blobs"), includingPropertiesForKeys: [.fileSizeKey])
                ?? .init()
            where (try? file.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
                files += 1
                bytes += Int64((try? file.resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? 0)
            }
        }
        let manifest = BackupManifest(
            format: BackupManifest.currentFormat,
            node: store.node.rawValue,
            takenAt: takenAt,
            migrations: PostgresSchema.identifiers,
            cases: cases,
            events: events,
            files: files,
            fileBytes: bytes,
            filesNotHeld: 0,
            nodePublicKey: nodePublicKey,
            dataKeys: KeyringCheck(keyring)
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        try encoder.encode(manifest).write(to: partial.appendingPathComponent(manifestFile))
        try fm.moveItem(at: partial, to: out)
        return manifest
    }

    /// Restores the node's database and blobs from the backup folder `from`; the manifest, the
    /// events verified, and the node's services over the restored store.
    static func restore(
        config: NodeConfig,
        base: URL,
        place: StoreConfig.PostgresPlace,
        from: URL,
        force: Bool
    ) async throws -> (manifest: BackupManifest, eventsVerified: Int, services: NodeServices) {
        let fm = FileManager.default
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let data = try? Data(contentsOf: from.appendingPathComponent(manifestFile)),
            let manifest = try? decoder.decode(BackupManifest.self, from: data),
            fm.fileExists(atPath: from.appendingPathComponent(dumpFile).path)
        else { throw NodeBackup.Failure.notABackup(from.path) }
        guard manifest.format <= BackupManifest.currentFormat else { throw NodeBackup.Failure.newerFormat(manifest.format) }
        let identity = try config.identity()
        guard manifest.node == identity.id.rawValue else { throw NodeBackup.Failure.otherNode(backup: manifest.node, config: identity.id.rawValue) }
        let unknown = manifest.migrations.filter { !PostgresSchema.identifiers.contains($0) }
        guard unknown.isEmpty else { throw NodeBackup.Failure.newerSchema(unknown) }
        let problems = manifest.dataKeys.problems(with: try config.personalData(base: base).keyring)
        guard problems.isEmpty else { throw NodeBackup.Failure.keyring(problems) }

        let location = NodeBootstrap.location(place)
        // No server of the node may run: one would hold the lease.
        let lease = PostgresLeadership(location)
        guard try await lease.tryAcquire() else {
            throw NodeConfig.Problem(description: "a server of node \(identity.id) is running on this database: stop every server of the node first")
        }
        defer { _ = lease }
        let server = PostgresTransactions(location)
        let held = try await server.reading { db -> Int in
            let tables = try db.value("SELECT count(*) FROM information_schema.tables WHERE table_name = 'cases'", as: Int.self) ?? 0
            return tables == 0 ? 0 : try db.value("SELECT count(*) FROM cases", as: Int.self) ?? 0
        }
        await server.close()
        guard held == 0 || force else {
            throw NodeBackup.Failure.storeExists("the database \(place.database) (\(held) cases)")
        }
        let log = fm.temporaryDirectory.appendingPathComponent("xinfang-pg_restore-\(UUID().uuidString).log")
        defer { try? fm.removeItem(at: log) }
        try run(
            "pg_restore",
            ["--clean", "--if-exists", "--no-owner", "--single-transaction", from.appendingPathComponent(dumpFile).path],
            place: place,
            log: log
        )
        await lease.release()

        let blobs = NodeConfig.resolve(config.dataDirectory, against: base).appendingPathComponent("blobs")
        let saved = from.appendingPathComponent("blobs")
        for case let file as URL in fm.enumerator(at: saved, includingPropertiesForKeys: nil) ?? .init()
        where (try? file.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
            let relative = String(file.standardizedFileURL.path.dropFirst(saved.standardizedFileURL.path.count + 1))
            let target = blobs.appendingPathComponent(relative)
            guard !fm.fileExists(atPath: target.path) else { continue }
            try fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try fm.copyItem(at: file, to: target)
        }
        let services = try await NodeBootstrap.services(config: config, base: base)
        let report = try await services.database.verifyIntegrity { n in FileHandle.standardError.write(Data("verified \(n) events…\n".utf8)) }
        guard report.ok else { throw NodeBackup.Failure.brokenStore(report.problems.prefix(5).joined(separator: "; ")) }
        return (manifest, report.events, services)
    }
}
