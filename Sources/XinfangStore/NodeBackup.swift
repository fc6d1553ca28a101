import Crypto
public import Foundation
import GRDB
public import XinfangCore

/// What a backup file says about itself (its `backup_manifest` table, one JSON row).
public struct BackupManifest: Codable, Sendable, Equatable {
    /// This build writes format 1 and reads it.
    public static let currentFormat = 1

    public var format: Int
    public var node: String
    /// When the copy was taken, to the second.
    public var takenAt: Date
    /// The store's applied migrations: a build that does not know one of them refuses to restore.
    public var migrations: [String]
    public var cases: Int
    public var events: Int
    /// The case files copied into the backup, and their sealed bytes.
    public var files: Int
    public var fileBytes: Int64
    /// Case files named by a case that the node did not hold yet (it was still fetching them):
    /// their wants are in the copy, so the restored node fetches them again.
    public var filesNotHeld: Int
    /// The node's public key when the backup was taken (nil: a node without a topology).
    public var nodePublicKey: String?
    /// The data keyring the store's personal data and case files are sealed with, by check value.
    public var dataKeys: KeyringCheck

    public init(
        format: Int = BackupManifest.currentFormat,
        node: String,
        takenAt: Date,
        migrations: [String],
        cases: Int,
        events: Int,
        files: Int,
        fileBytes: Int64,
        filesNotHeld: Int,
        nodePublicKey: String?,
        dataKeys: KeyringCheck
    ) {
        self.format = format
        self.node = node
        self.takenAt = takenAt
        self.migrations = migrations
        self.cases = cases
        self.events = events
        self.files = files
        self.fileBytes = fileBytes
        self.filesNotHeld = filesNotHeld
        self.nodePublicKey = nodePublicKey
        self.dataKeys = dataKeys
    }
}

/// A node's backup as one file: an online, consistent copy of its SQLite store (`VACUUM INTO`, one
/// read transaction, while the node keeps serving) with the case files it names added as tables
/// of the same file, sealed as they are on disk. One file is one thing to copy off site, and
/// SQLite checks its own pages when a restore opens it. Neither the node key nor the data keyring
/// is in it: the personal data and the case files stay sealed, and a restore needs the keyring
/// the manifest names (by check value) and refuses another.
public enum NodeBackup {
    /// How far a backup or a restore is: case files done of the total, and their bytes.
    public struct Progress: Sendable {
        public var files: Int
        public var filesTotal: Int
        public var bytes: Int64
        public var bytesTotal: Int64
    }

    /// Why a backup or a restore did not happen. Nothing was replaced.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case outputExists(String)
        case notABackup(String)
        case damaged(String)
        case newerFormat(Int)
        case otherNode(backup: String, config: String)
        case newerSchema([String])
        case keyring([String])
        case storeExists(String)
        case file(sha256: String, problem: String)
        case brokenStore(String)

        public var description: String {
            switch self {
            case .outputExists(let path): "\(path) already exists: choose another file name (a backup never overwrites one)"
            case .notABackup(let path): "\(path) is not an xinfang backup (no backup_manifest table)"
            case .damaged(let detail): "the backup file is damaged: \(detail)"
            case .newerFormat(let format):
                "the backup's format \(format) is newer than this build reads (\(BackupManifest.currentFormat)): restore with a newer xinfang"
            case .otherNode(let backup, let config):
                "the backup is of node \(backup), the configuration is node \(config): restore a node from its own backup"
            case .newerSchema(let ids):
                "the backup was taken by a newer xinfang (migrations this build does not know: \(ids.joined(separator: ", "))): restore with that version"
            case .keyring(let problems):
                "the configuration's data keyring cannot open what the backup sealed (\(problems.joined(separator: "；"))): use the keyring the backup names"
            case .storeExists(let path):
                "\(path) already holds a store: stop the node and pass --force to keep it aside and restore (it is moved, not deleted)"
            case .file(let sha256, let problem): "case file \(sha256) in the backup: \(problem)"
            case .brokenStore(let detail): "the restored store does not verify: \(detail)"
            }
        }
    }

    /// Bytes per part of a case file in the backup.
    static let partBytes = 1 << 20

    static let schema = """
        CREATE TABLE backup_manifest (body TEXT NOT NULL);
        CREATE TABLE backup_file_index (
            sha256 TEXT PRIMARY KEY NOT NULL,
            sealed_bytes INTEGER NOT NULL,
            sealed_sha256 TEXT NOT NULL,
            parts INTEGER NOT NULL
        );
        CREATE TABLE backup_files (
            id INTEGER PRIMARY KEY,
            sha256 TEXT NOT NULL,
            part INTEGER NOT NULL,
            bytes BLOB NOT NULL,
            UNIQUE (sha256, part)
        );
        """

    /// Writes a backup of the store in `directory` (its database file and `blobs/`) to `output`,
    /// while the node may be running: first `output.partial`, renamed when complete and on disk.
    public static func create(
        directory: URL,
        node: NodeID,
        nodePublicKey: String?,
        keyring: DataKeyring,
        to output: URL,
        now: Date = Date(),
        progress: (Progress) -> Void = { _ in }
    ) throws -> BackupManifest {
        let fm = FileManager.default
        guard !fm.fileExists(atPath: output.path) else { throw Failure.outputExists(output.path) }
        let source = directory.appendingPathComponent(NodeDatabase.fileName)
        guard fm.fileExists(atPath: source.path) else { throw StoreError.database("no store at \(source.path)") }
        let partial = output.appendingPathExtension("partial")
        try? fm.removeItem(at: partial)
        var done = false
        defer { if !done { try? fm.removeItem(at: partial) } }
        var readOnly = Configuration()
        readOnly.readonly = true
        try NodeDatabase.translating {
            // One read transaction: the copy is the store as of one commit, however the node writes.
            try DatabaseQueue(path: source.path, configuration: readOnly).inDatabase { db in
                try db.execute(sql: "VACUUM INTO ?", arguments: [partial.path])
            }
        }
        // Readable by its owner only, as the store is (the systemd units' umask is 0077 too).
        try fm.setAttributes([.posixPermissions: 0o600], ofItemAtPath: partial.path)
        let manifest = try NodeDatabase.translating {
            let copy = try DatabaseQueue(path: partial.path)
            let manifest = try copy.inDatabase { db in
                try db.execute(sql: "PRAGMA synchronous = OFF")
                try db.execute(sql: schema)
                let blobs = BlobStore(directory: directory.appendingPathComponent("blobs"), protector: PersonalDataProtector(keyring: keyring))
                let named = try String.fetchAll(db, sql: "SELECT DISTINCT sha256 FROM case_blobs ORDER BY sha256")
                let held = named.filter(blobs.contains)
                let sizes = held.map { (try? fm.attributesOfItem(atPath: blobs.url($0).path)[.size] as? Int64) ?? 0 }
                var state = Progress(files: 0, filesTotal: held.count, bytes: 0, bytesTotal: sizes.reduce(0, +))
                progress(state)
                for sha256 in held {
                    state.bytes += try copyFile(sha256, from: blobs, into: db)
                    state.files += 1
                    progress(state)
                }
                let manifest = BackupManifest(
                    format: BackupManifest.currentFormat,
                    node: node.rawValue,
                    takenAt: Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down)),
                    migrations: try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier"),
                    cases: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM cases") ?? 0,
                    events: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events") ?? 0,
                    files: held.count,
                    fileBytes: state.bytes,
                    filesNotHeld: named.count - held.count,
                    nodePublicKey: nodePublicKey,
                    dataKeys: KeyringCheck(keyring)
                )
                try db.execute(
                    sql: "INSERT INTO backup_manifest (body) VALUES (?)",
                    arguments: [String(decoding: try encoder.encode(manifest), as: UTF8.self)]
                )
                return manifest
            }
            try copy.close()
            return manifest
        }
        try synchronize(partial)
        try fm.moveItem(at: partial, to: output)
        try synchronize(output.deletingLastPathComponent())
        done = true
        return manifest
    }

    /// Copies one sealed case file into the backup in parts, in its own transaction; its sealed bytes.
    private static func copyFile(_ sha256: String, from blobs: BlobStore, into db: Database) throws -> Int64 {
        guard let handle = FileHandle(forReadingAtPath: blobs.url(sha256).path) else { throw BlobStore.Failure.missing(sha256) }
        defer { try? handle.close() }
        var hasher = SHA256()
        var part = 0
        var bytes: Int64 = 0
        try db.inTransaction {
            while let chunk = try handle.read(upToCount: partBytes), !chunk.isEmpty {
                hasher.update(data: chunk)
                try db.execute(sql: "INSERT INTO backup_files (sha256, part, bytes) VALUES (?, ?, ?)", arguments: [sha256, part, chunk])
                part += 1
                bytes += Int64(chunk.count)
            }
            try db.execute(
                sql: "INSERT INTO backup_file_index (sha256, sealed_bytes, sealed_sha256, parts) VALUES (?, ?, ?, ?)",
                arguments: [sha256, bytes, hex(hasher.finalize()), part]
            )
            return .commit
        }
        return bytes
    }

    /// Reads a backup's manifest after SQLite's check of its pages.
    public static func manifest(of backup: URL) throws -> BackupManifest {
        guard FileManager.default.fileExists(atPath: backup.path) else { throw StoreError.database("no file at \(backup.path)") }
        var readOnly = Configuration()
        readOnly.readonly = true
        return try NodeDatabase.translating {
            let queue: DatabaseQueue
            do { queue = try DatabaseQueue(path: backup.path, configuration: readOnly) } catch { throw Failure.notABackup(backup.path) }
            defer { try? queue.close() }
            return try queue.inDatabase { db in
                let check: [String]
                do { check = try String.fetchAll(db, sql: "PRAGMA quick_check") } catch { throw Failure.notABackup(backup.path) }
                guard check == ["ok"] else { throw Failure.damaged(check.prefix(3).joined(separator: "; ")) }
                guard try db.tableExists("backup_manifest"), let body = try String.fetchOne(db, sql: "SELECT body FROM backup_manifest") else {
                    throw Failure.notABackup(backup.path)
                }
                let format = (try? decoder.decode(FormatOnly.self, from: Data(body.utf8)).format) ?? 0
                guard format <= BackupManifest.currentFormat else { throw Failure.newerFormat(format) }
                do { return try decoder.decode(BackupManifest.self, from: Data(body.utf8)) } catch {
                    throw Failure.damaged("its manifest does not parse: \(error)")
                }
            }
        }
    }

    private struct FormatOnly: Decodable { var format: Int }

    static func synchronize(_ url: URL) throws {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        try handle.synchronize()
    }

    static func hex(_ digest: some Sequence<UInt8>) -> String { digest.map { String(format: "%02x", $0) }.joined() }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}
