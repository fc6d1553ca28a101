import Crypto
public import Foundation
import GRDB
public import XinfangCore

extension NodeBackup {
    /// What a restore did.
    public struct Restored: Sendable {
        public var manifest: BackupManifest
        /// Case files written to the blob folder (the others were there already).
        public var filesInstalled: Int
        /// Where the store that was in the data folder went (with `force`), kept, not deleted.
        public var movedAside: URL?
        /// The events whose hashes and links were checked in the restored store.
        public var eventsVerified: Int
        /// Whether their signatures were checked too (a node with a topology; a standalone node
        /// has no keys to check them against).
        public var signaturesChecked: Bool
    }

    /// Restores the backup `backup` into the data folder `directory`, whose lock the caller holds
    /// (no node serves it). Checked before anything is written: SQLite's check of the file, the
    /// manifest's format, node and migrations, and that `keyring` opens what the backup sealed.
    /// Then each case file is written to `blobs/` once its bytes match the backup's record and it
    /// opens under the keyring with the SHA-256 it is named by; the store is put together in a
    /// staging folder, opened by `open` (which runs the migrations of an older backup), and every
    /// chain and the audit trail are verified there. Only then does it take the store's place; a
    /// store already there is refused unless `force`, which moves it aside into `replaced-<time>/`.
    public static func restore(
        from backup: URL,
        into directory: URL,
        node: NodeID,
        keyring: DataKeyring,
        force: Bool,
        now: Date = Date(),
        open: (URL) throws -> NodeDatabase,
        progress: (Progress) -> Void = { _ in },
        verifying: @escaping @Sendable (Int) -> Void = { _ in }
    ) async throws -> Restored {
        let fm = FileManager.default
        let manifest = try manifest(of: backup)
        guard manifest.node == node.rawValue else { throw Failure.otherNode(backup: manifest.node, config: node.rawValue) }
        let unknown = Set(manifest.migrations).subtracting(NodeDatabase.migrator.migrations)
        guard unknown.isEmpty else { throw Failure.newerSchema(unknown.sorted()) }
        let problems = manifest.dataKeys.problems(with: keyring)
        guard problems.isEmpty else { throw Failure.keyring(problems) }
        let target = directory.appendingPathComponent(NodeDatabase.fileName)
        let existing = fm.fileExists(atPath: target.path)
        guard !existing || force else { throw Failure.storeExists(target.path) }

        try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        let staging = directory.appendingPathComponent("restore-\(UUID().uuidString)")
        try fm.createDirectory(at: staging, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: staging) }
        let blobs = BlobStore(directory: directory.appendingPathComponent("blobs"), protector: PersonalDataProtector(keyring: keyring))
        var readOnly = Configuration()
        readOnly.readonly = true
        let installed = try NodeDatabase.translating {
            let queue = try DatabaseQueue(path: backup.path, configuration: readOnly)
            defer { try? queue.close() }
            return try queue.inDatabase { db in try installFiles(from: db, into: blobs, progress: progress) }
        }

        // The store, put together apart: the backup's tables dropped and the file compacted.
        let staged = staging.appendingPathComponent(NodeDatabase.fileName)
        try fm.copyItem(at: backup, to: staged)
        try NodeDatabase.translating {
            let queue = try DatabaseQueue(path: staged.path)
            try queue.inDatabase { db in
                try db.execute(sql: "DROP TABLE backup_files; DROP TABLE backup_file_index; DROP TABLE backup_manifest")
                try db.execute(sql: "VACUUM")
            }
            try queue.close()
        }
        let (verified, signed) = try await verify(staging, open: open, progress: verifying)

        var aside: URL?
        if existing {
            let stamp = ISO8601DateFormatter.string(
                from: now,
                timeZone: .gmt,
                formatOptions: [.withYear, .withMonth, .withDay, .withTime, .withTimeZone]
            )
            var folder = directory.appendingPathComponent("replaced-\(stamp)")
            var n = 1
            while fm.fileExists(atPath: folder.path) {
                n += 1
                folder = directory.appendingPathComponent("replaced-\(stamp)-\(n)")
            }
            try fm.createDirectory(at: folder, withIntermediateDirectories: false)
            for suffix in ["", "-wal", "-shm"] where fm.fileExists(atPath: target.path + suffix) {
                try fm.moveItem(atPath: target.path + suffix, toPath: folder.appendingPathComponent(NodeDatabase.fileName + suffix).path)
            }
            aside = folder
        }
        for suffix in ["", "-wal"] where fm.fileExists(atPath: staged.path + suffix) {
            try fm.moveItem(atPath: staged.path + suffix, toPath: target.path + suffix)
        }
        try synchronize(directory)
        return Restored(manifest: manifest, filesInstalled: installed, movedAside: aside, eventsVerified: verified, signaturesChecked: signed)
    }

    /// Opens the staged store as the node does and checks every chain and the audit trail; the
    /// events checked and whether their signatures were. The store is closed again before it is moved.
    private static func verify(
        _ staging: URL,
        open: (URL) throws -> NodeDatabase,
        progress: @escaping @Sendable (Int) -> Void
    ) async throws -> (events: Int, signatures: Bool) {
        let database = try open(staging)
        let report = try await database.verifyIntegrity(progress: progress)
        let signed = database.hierarchy != nil
        try database.close()
        guard report.ok else { throw Failure.brokenStore(report.problems.prefix(3).joined(separator: "; ")) }
        return (report.events, signed)
    }

    /// Writes the backup's case files that the blob folder lacks, each checked; the number written.
    private static func installFiles(from db: Database, into blobs: BlobStore, progress: (Progress) -> Void) throws -> Int {
        let fm = FileManager.default
        let index = try Row.fetchAll(db, sql: "SELECT sha256, sealed_bytes, sealed_sha256, parts FROM backup_file_index ORDER BY sha256")
        var state = Progress(files: 0, filesTotal: index.count, bytes: 0, bytesTotal: index.reduce(0) { $0 + ($1["sealed_bytes"] as Int64) })
        progress(state)
        var installed = 0
        for row in index {
            let sha256: String = row["sha256"]
            let size: Int64 = row["sealed_bytes"]
            defer {
                state.files += 1
                state.bytes += size
                progress(state)
            }
            guard BlobStore.isHash(sha256) else { throw Failure.file(sha256: sha256, problem: "not a SHA-256 name") }
            if blobs.contains(sha256) { continue }
            let incoming = blobs.directory.appendingPathComponent("incoming")
            try fm.createDirectory(at: incoming, withIntermediateDirectories: true)
            let temporary = incoming.appendingPathComponent(UUID().uuidString)
            defer { try? fm.removeItem(at: temporary) }
            guard fm.createFile(atPath: temporary.path, contents: nil) else { throw StoreError.database("cannot create \(temporary.path)") }
            let handle = try FileHandle(forWritingTo: temporary)
            var hasher = SHA256()
            var parts = 0
            var bytes: Int64 = 0
            do {
                let cursor = try Data.fetchCursor(db, sql: "SELECT bytes FROM backup_files WHERE sha256 = ? ORDER BY part", arguments: [sha256])
                while let chunk = try cursor.next() {
                    hasher.update(data: chunk)
                    try handle.write(contentsOf: chunk)
                    parts += 1
                    bytes += Int64(chunk.count)
                }
                try handle.synchronize()
                try handle.close()
            } catch {
                try? handle.close()
                throw error
            }
            guard parts == row["parts"], bytes == size, hex(hasher.finalize()) == row["sealed_sha256"] else {
                throw Failure.file(sha256: sha256, problem: "its bytes differ from what the backup recorded (damaged)")
            }
            do { try blobs.verifySealedFile(at: temporary, named: sha256) } catch {
                throw Failure.file(sha256: sha256, problem: "it does not open under the keyring to the SHA-256 it is named by (\(error))")
            }
            let destination = blobs.url(sha256)
            try fm.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
            try fm.moveItem(at: temporary, to: destination)
            installed += 1
        }
        return installed
    }
}

extension BlobStore {
    /// Opens every chunk of the sealed file at `url` and checks the SHA-256 of its plaintext.
    func verifySealedFile(at url: URL, named sha256: String) throws {
        guard let handle = FileHandle(forReadingAtPath: url.path) else { throw Failure.missing(sha256) }
        let reader: Reader
        do { reader = try Reader(sha256: sha256, handle: handle, sealing: sealing, range: nil) } catch {
            try? handle.close()
            throw error
        }
        while try reader.next() != nil {}
    }
}

extension NodeDatabase {
    /// Closes the store's connections (a restore moves the file afterwards); the store is not
    /// used again.
    public func close() throws {
        try Self.translating {
            guard case .sqlite(let writer) = backend else { return }
            if let pool = writer as? DatabasePool { try pool.close() }
            if let queue = writer as? DatabaseQueue { try queue.close() }
        }
    }
}
