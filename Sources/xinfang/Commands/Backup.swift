import ArgumentParser
import Foundation
import XinfangCore
import XinfangHTTP
import XinfangStore

/// `xinfang backup --config FILE --out FILE`: an online, consistent backup of a node in one file.
struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a consistent backup of a node's store and case files to one file while the node runs; name the keys a restore needs."
    )

    @Option(name: .long, help: "The node's configuration file.") var config: String
    @Option(
        name: .long,
        help:
            "The backup file to write (never overwritten; written as FILE.partial, then renamed); a folder for a node on PostgreSQL (pg_dump's archive, the case files, the manifest)."
    ) var out: String

    func run() async throws {
        let (config, base) = try NodeConfig.load(from: URL(fileURLWithPath: self.config))
        let identity = try config.identity()
        let keyring = try config.personalData(base: base).keyring
        let keyFile = config.keyFile.map { NodeConfig.resolve($0, against: base) }
        let publicKey = try keyFile.map { try KeyFile.load($0).publicKeyBase64 }
        let output = URL(fileURLWithPath: out)
        let manifest: BackupManifest
        var services: NodeServices?
        if let place = try config.store?.postgresPlace(base: base) {
            let opened = try await NodeBootstrap.services(config: config, base: base)
            services = opened
            manifest = try await PostgresBackup.create(
                config: config,
                place: place,
                store: opened.database,
                nodePublicKey: publicKey,
                keyring: keyring,
                out: output
            )
        } else {
            let reporter = TransferProgress(verb: "copied")
            manifest = try NodeBackup.create(
                directory: NodeConfig.resolve(config.dataDirectory, against: base),
                node: identity.id,
                nodePublicKey: publicKey,
                keyring: keyring,
                to: output,
                progress: reporter.show
            )
        }
        await auditBeside(services, config: config, base: base, action: "store.backup", object: output.lastPathComponent, manifest: manifest)
        let size = Self.size(of: output)
        print(
            "backup of node \(identity.id) (\(identity.name)) written to \(output.path) (\(TransferProgress.megabytes(size))): "
                + "\(manifest.cases) cases, \(manifest.events) events, \(manifest.files) case files (\(TransferProgress.megabytes(manifest.fileBytes))), "
                + "as of \(manifest.takenAt.formatted(.iso8601))"
        )
        if manifest.filesNotHeld > 0 {
            print("\(manifest.filesNotHeld) case files named by cases were not here yet (still being fetched); a restored node fetches them again")
        }
        print("The backup holds no keys. Restoring it needs, beside it:")
        if let keyFile, let publicKey { print("  the node key \(keyFile.path) (public key \(publicKey))") }
        let ids = manifest.dataKeys.keys.keys.sorted().joined(separator: ", ")
        print(
            "  the data keyring \(NodeConfig.resolve(config.dataKeyFile ?? "", against: base).path) "
                + "(keys \(ids), active \(manifest.dataKeys.active); the same file at every node)"
        )
        print("Keep them apart from the backups and as safe: without the keyring the personal data and case files in it cannot be read.")
    }

    /// A backup's bytes: the file, or every file in a PostgreSQL node's backup folder.
    static func size(of url: URL) -> Int64 {
        let fm = FileManager.default
        var isFolder: ObjCBool = false
        let files =
            fm.fileExists(atPath: url.path, isDirectory: &isFolder) && isFolder.boolValue
            ? fm.enumerator(at: url, includingPropertiesForKeys: [.fileSizeKey])?.compactMap { $0 as? URL } ?? [] : [url]
        return files.reduce(0) { $0 + Int64((try? $1.resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? 0) }
    }
}

/// `xinfang restore --config FILE --from FILE [--force]`: puts a backup in place of the node's store.
struct Restore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Restore a node's store and case files from a backup (the node must be stopped); every chain is verified before it takes the store's place."
    )

    @Option(name: .long, help: "The node's configuration file.") var config: String
    @Option(name: .customLong("from"), help: "The backup file (`xinfang backup`).") var backup: String
    @ArgumentParser.Flag(
        name: .long,
        help:
            "Replace a store that is there; a SQLite store is moved to replaced-<time>/ in the data folder, not deleted; a PostgreSQL database is replaced."
    )
    var force = false

    func run() async throws {
        let (config, base) = try NodeConfig.load(from: URL(fileURLWithPath: self.config))
        let identity = try config.identity()
        if let place = try config.store?.postgresPlace(base: base) {
            let source = URL(fileURLWithPath: backup)
            let (manifest, verified, services) = try await PostgresBackup.restore(
                config: config,
                base: base,
                place: place,
                from: source,
                force: force
            )
            await auditBeside(services, config: config, base: base, action: "store.restore", object: source.lastPathComponent, manifest: manifest)
            print(
                "restored node \(identity.id) from \(source.path), as of \(manifest.takenAt.formatted(.iso8601)): \(manifest.cases) cases, "
                    + "\(verified) events verified, \(manifest.files) case files; start every server of the node"
            )
            return
        }
        let directory = NodeConfig.resolve(config.dataDirectory, against: base)
        // A running node holds the lock: it is refused, its store is not touched.
        let lock = try DataDirectoryLock(directory: directory)
        defer { lock.release() }
        let keyring = try config.personalData(base: base).keyring
        let source = URL(fileURLWithPath: backup)
        let reporter = TransferProgress(verb: "restored")
        let restored = try await NodeBackup.restore(
            from: source,
            into: directory,
            node: identity.id,
            keyring: keyring,
            force: force,
            open: { staging in
                var staged = config
                staged.dataDirectory = staging.path
                return try NodeBootstrap.sqliteStore(config: staged, base: base)
            },
            progress: reporter.show,
            verifying: { n in FileHandle.standardError.write(Data("verified \(n) events…\n".utf8)) }
        )
        let manifest = restored.manifest
        await auditBeside(nil, config: config, base: base, action: "store.restore", object: source.lastPathComponent, manifest: manifest)
        print(
            "restored node \(identity.id) from \(source.path), as of \(manifest.takenAt.formatted(.iso8601)): \(manifest.cases) cases, "
                + "\(restored.eventsVerified) events verified (\(restored.signaturesChecked ? "hashes, links, signatures" : "hashes and links; a node without a topology has no keys to check signatures against")), "
                + "\(manifest.files) case files "
                + "(\(restored.filesInstalled) written, the others were there)"
        )
        if let aside = restored.movedAside { print("the store that was there is kept in \(aside.path)") }
        if let hierarchy = try? config.hierarchy(base: base, identity: identity, policy: config.policy(base: base)),
            let then = manifest.nodePublicKey, then != hierarchy.key.publicKeyBase64
        {
            print("note: the node key has changed since the backup (then \(then)); the topology names the new one, which is what counts")
        }
        print(
            "Start the node: it greets its neighbours in new sessions. Events it made after the backup that reached its parent come back "
                + "at the next reconciliation round (POST /api/v1/reconcile runs one now); what never left it after \(manifest.takenAt.formatted(.iso8601)) is lost."
        )
    }
}

/// Writes an audit row of a backup or a restore to the node's store. A backup runs beside the
/// serving node, and its audit row is a second writer's short transaction; a failure to write it
/// is told, and does not undo the backup.
private func auditBeside(
    _ opened: NodeServices?,
    config: NodeConfig,
    base: URL,
    action: String,
    object: String,
    manifest: BackupManifest
) async {
    do {
        let services: NodeServices
        if let opened { services = opened } else { services = try await NodeBootstrap.services(config: config, base: base) }
        let detail = "as_of=\(manifest.takenAt.formatted(.iso8601)) cases=\(manifest.cases) events=\(manifest.events) files=\(manifest.files)"
        try await Users.audit(services, action: action, object: object, detail: detail)
    } catch {
        FileHandle.standardError.write(Data("warning: the audit row of \(action) was not written: \(error)\n".utf8))
    }
}

/// Progress of a backup or a restore on standard error: one line at each further 5 % of the
/// bytes (or of the files, when they hold none), and at the end.
final class TransferProgress: @unchecked Sendable {
    let verb: String
    var shown = -1

    init(verb: String) { self.verb = verb }

    func show(_ p: NodeBackup.Progress) {
        let percent = p.bytesTotal > 0 ? Int(p.bytes * 100 / p.bytesTotal) : (p.filesTotal > 0 ? p.files * 100 / p.filesTotal : 100)
        guard percent / 5 != shown / 5 || (p.files == p.filesTotal && percent != shown) else { return }
        shown = percent
        let line = "\(verb) \(p.files)/\(p.filesTotal) case files, \(Self.megabytes(p.bytes)) of \(Self.megabytes(p.bytesTotal)) (\(percent)%)\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    static func megabytes(_ bytes: Int64) -> String { String(format: "%.1f MB", Double(bytes) / 1_000_000) }
}
