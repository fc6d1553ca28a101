import Foundation
import GRDB
import Testing
import XinfangCore
import XinfangStore
import XinfangTesting

/// `NodeBackup` (behind `xinfang backup` and `xinfang restore`): a backup taken while the node
/// writes is the store as of one commit, with its case files; a restore puts it back, checked; and
/// each thing a restore must refuse is refused before anything in the data folder changes.
struct BackupTests {
    static let keyring = PersonalDataProtector.development.keyring

    static func folder(_ name: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("xinfang-backup-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A signed store with `cases` cases, the first with two case files on disk.
    static func store(in dir: URL, cases: Int = 3) async throws -> (NodeDatabase, [String]) {
        let db = try IntegrityTests.open(dir)
        let now = Date()
        var files: [String] = []
        for i in 0..<cases {
            let (state, _) = try await db.register(Fixtures.registration(receivedAt: now), actor: "登记员", now: now)
            guard i == 0 else { continue }
            for n in 0..<2 {
                let bytes = Data("%PDF-1.4 第\(n)份材料 ".utf8) + Data(repeating: UInt8(n), count: 300_000 + n)
                let stored = try db.blobs.put(bytes)
                let ref = AttachmentRef(sha256: stored.sha256, size: stored.size, mediaType: .pdf, fileName: "材料\(n).pdf", stage: .registration)
                _ = try await db.act(on: state.caseNumber, action: .attach(ref), actor: "登记员", now: now)
                files.append(stored.sha256)
            }
        }
        return (db, files)
    }

    static func restore(
        _ backup: URL,
        into dir: URL,
        keyring: DataKeyring = keyring,
        node: NodeID = Fixtures.county,
        force: Bool = false,
        now: Date = Date()
    ) async throws -> NodeBackup.Restored {
        try await NodeBackup.restore(from: backup, into: dir, node: node, keyring: keyring, force: force, now: now, open: IntegrityTests.open)
    }

    static func backup(of dir: URL, to file: URL) throws -> BackupManifest {
        try NodeBackup.create(directory: dir, node: Fixtures.county, nodePublicKey: IntegrityTests.key.publicKeyBase64, keyring: keyring, to: file)
    }

    @Test func aBackupTakenWhileTheNodeWritesIsOneCommitAndRestoresWithItsFiles() async throws {
        let root = try Self.folder("online")
        defer { try? FileManager.default.removeItem(at: root) }
        let source = root.appendingPathComponent("node")
        let (db, files) = try await Self.store(in: source)
        // The node goes on registering while the backup is taken.
        let writer = Task {
            for _ in 0..<40 { _ = try await db.register(Fixtures.registration(receivedAt: Date()), actor: "登记员", now: Date()) }
        }
        let file = root.appendingPathComponent("node.backup")
        var shown: [NodeBackup.Progress] = []
        let manifest = try NodeBackup.create(
            directory: source,
            node: Fixtures.county,
            nodePublicKey: IntegrityTests.key.publicKeyBase64,
            keyring: Self.keyring,
            to: file
        ) { shown.append($0) }
        try await writer.value
        #expect(!FileManager.default.fileExists(atPath: file.path + ".partial"))
        let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
        #expect(mode == 0o600, "a backup is readable by its owner only")
        #expect(manifest.files == 2 && manifest.filesNotHeld == 0 && manifest.fileBytes > 600_000)
        #expect(shown.last.map { $0.files == 2 && $0.bytes == $0.bytesTotal } == true, "progress reaches the end: \(shown)")
        #expect(manifest.cases >= 3 && manifest.events == manifest.cases + 2, "each case's registration and the two files: \(manifest)")
        #expect(try NodeBackup.manifest(of: file) == manifest)

        // The store is lost, blobs and all; the backup brings it back as it was at the backup.
        let target = root.appendingPathComponent("restored")
        let restored = try await Self.restore(file, into: target)
        #expect(restored.filesInstalled == 2 && restored.movedAside == nil && restored.eventsVerified == manifest.events)
        #expect(restored.signaturesChecked, "a node with a topology checks its events' signatures")
        let back = try IntegrityTests.open(target)
        let counts = try await back.counts()
        #expect(counts.cases == manifest.cases && counts.events == manifest.events)
        #expect(try Self.eventHashes(target).isSubset(of: Self.eventHashes(source)), "no event the source did not have")
        for sha256 in files {
            var bytes = Data()
            try back.blobs.read(sha256) { bytes.append($0) }
            #expect(bytes.count > 300_000 && bytes.starts(with: Data("%PDF-1.4".utf8)))
        }
        #expect(try await back.verifyIntegrity().ok)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: target.path).filter { $0.hasPrefix("restore-") }.isEmpty,
            "the staging folder is gone"
        )
    }

    @Test func aBackupNeverOverwritesAndARestoreKeepsTheStoreItReplaces() async throws {
        let root = try Self.folder("force")
        defer { try? FileManager.default.removeItem(at: root) }
        let source = root.appendingPathComponent("node")
        let (db, _) = try await Self.store(in: source, cases: 2)
        let file = root.appendingPathComponent("node.backup")
        let manifest = try Self.backup(of: source, to: file)
        #expect(throws: NodeBackup.Failure.outputExists(file.path)) { try Self.backup(of: source, to: file) }

        // The node goes on after its backup; restoring over it needs --force and keeps it aside.
        _ = try await db.register(Fixtures.registration(receivedAt: Date()), actor: "登记员", now: Date())
        let before = try await db.counts()
        try db.close()
        await #expect(throws: NodeBackup.Failure.storeExists(source.appendingPathComponent(NodeDatabase.fileName).path)) {
            try await Self.restore(file, into: source)
        }
        #expect(try await IntegrityTests.open(source).counts() == before, "a refused restore changes nothing")
        let stamp = Date()
        let restored = try await Self.restore(file, into: source, force: true, now: stamp)
        let aside = try #require(restored.movedAside)
        #expect(try await IntegrityTests.open(source).counts().cases == manifest.cases)
        #expect(try await IntegrityTests.open(aside).counts() == before, "the replaced store is kept whole")
        let second = try await Self.restore(file, into: source, force: true, now: stamp)
        #expect(second.movedAside != nil && second.movedAside != aside, "a second restore in the same second keeps the first one's store too")
        #expect(FileManager.default.fileExists(atPath: aside.appendingPathComponent(NodeDatabase.fileName).path))
    }

    @Test func aRestoreRefusesAnotherNodeAnotherKeyringAndANewerBuildBeforeWritingAnything() async throws {
        let root = try Self.folder("refusals")
        defer { try? FileManager.default.removeItem(at: root) }
        let source = root.appendingPathComponent("node")
        _ = try await Self.store(in: source, cases: 1)
        let file = root.appendingPathComponent("node.backup")
        _ = try Self.backup(of: source, to: file)
        let target = root.appendingPathComponent("target")

        await #expect(throws: NodeBackup.Failure.otherNode(backup: Fixtures.county.rawValue, config: "430103")) {
            try await Self.restore(file, into: target, node: NodeID("430103"))
        }
        var rotated = Self.keyring
        rotated.rotate()
        #expect(NodeBackup.restoreKeyringProblems(file, rotated).isEmpty, "a keyring rotated since still opens everything")
        let other = DataKeyring.generate()
        let id = Self.keyring.active
        var missing = other
        missing.keys = ["k9": other.keys["k1"]!]
        missing.active = "k9"
        missing.matchKey = Self.keyring.matchKey
        #expect(NodeBackup.restoreKeyringProblems(file, missing) == ["数据密钥 \(id) 不在配置的密钥文件中"])
        var changed = Self.keyring
        changed.matchKey = other.matchKey
        #expect(NodeBackup.restoreKeyringProblems(file, changed) == ["匹配密钥（matchKey）与备份时的不同"])
        var replaced = other
        replaced.keys = [id: other.keys["k1"]!]
        replaced.active = id
        await #expect(throws: NodeBackup.Failure.keyring(["数据密钥 \(id) 与备份时的不同", "匹配密钥（matchKey）与备份时的不同"])) {
            try await Self.restore(file, into: target, keyring: replaced)
        }

        // A backup of a store a newer build migrated, and a backup in a newer format.
        let newer = root.appendingPathComponent("newer.backup")
        try FileManager.default.copyItem(at: file, to: newer)
        try Self.editManifest(newer) { $0.migrations.append("999-future") }
        await #expect(throws: NodeBackup.Failure.newerSchema(["999-future"])) { try await Self.restore(newer, into: target) }
        try Self.editManifest(newer) { $0.format = BackupManifest.currentFormat + 1 }
        await #expect(throws: NodeBackup.Failure.newerFormat(BackupManifest.currentFormat + 1)) { try await Self.restore(newer, into: target) }

        // Not a backup at all: a store, and a text file.
        await #expect(throws: NodeBackup.Failure.notABackup(source.appendingPathComponent(NodeDatabase.fileName).path)) {
            try await Self.restore(source.appendingPathComponent(NodeDatabase.fileName), into: target)
        }
        let text = root.appendingPathComponent("notes.txt")
        try String(repeating: "不是备份。", count: 200).write(to: text, atomically: true, encoding: .utf8)
        await #expect(throws: NodeBackup.Failure.notABackup(text.path)) { try await Self.restore(text, into: target) }
        #expect(!FileManager.default.fileExists(atPath: target.appendingPathComponent(NodeDatabase.fileName).path), "nothing was restored")
    }

    @Test func aDamagedCaseFileOrAnAlteredEventInTheBackupIsRefusedAndNothingIsReplaced() async throws {
        let root = try Self.folder("damaged")
        defer { try? FileManager.default.removeItem(at: root) }
        let source = root.appendingPathComponent("node")
        let (db, files) = try await Self.store(in: source, cases: 1)
        let file = root.appendingPathComponent("node.backup")
        _ = try Self.backup(of: source, to: file)

        // One bit of a case file's first part flipped inside the backup.
        let damaged = root.appendingPathComponent("damaged.backup")
        try FileManager.default.copyItem(at: file, to: damaged)
        let victim = files.sorted()[0]
        try await DatabaseQueue(path: damaged.path).write { db in
            var bytes = try Data.fetchOne(db, sql: "SELECT bytes FROM backup_files WHERE sha256 = ? AND part = 0", arguments: [victim])!
            bytes[bytes.startIndex + 100] ^= 0x01
            try db.execute(sql: "UPDATE backup_files SET bytes = ? WHERE sha256 = ? AND part = 0", arguments: [bytes, victim])
        }
        let target = root.appendingPathComponent("target")
        await #expect(throws: NodeBackup.Failure.file(sha256: victim, problem: "its bytes differ from what the backup recorded (damaged)")) {
            try await Self.restore(damaged, into: target)
        }
        #expect(!FileManager.default.fileExists(atPath: target.appendingPathComponent(NodeDatabase.fileName).path))

        // An event altered in the store before its backup: the chain check refuses the restore.
        try db.close()
        let rowid = try await DatabaseQueue(path: source.appendingPathComponent(NodeDatabase.fileName).path).read { db in
            try Int64.fetchOne(db, sql: "SELECT rowid FROM events WHERE kind = 'register'")!
        }
        try IntegrityTests.alter(source, table: "events", column: "actor", rowid: rowid)
        let altered = root.appendingPathComponent("altered.backup")
        _ = try Self.backup(of: source, to: altered)
        await #expect {
            try await Self.restore(altered, into: target)
        } throws: { error in
            guard case NodeBackup.Failure.brokenStore(let detail) = error else { return false }
            return detail.contains("events")
        }
        #expect(!FileManager.default.fileExists(atPath: target.appendingPathComponent(NodeDatabase.fileName).path))
    }

    /// The hashes of the events stored in the data folder `dir`.
    static func eventHashes(_ dir: URL) throws -> Set<String> {
        var readOnly = Configuration()
        readOnly.readonly = true
        let queue = try DatabaseQueue(path: dir.appendingPathComponent(NodeDatabase.fileName).path, configuration: readOnly)
        return Set(try queue.read { db in try String.fetchAll(db, sql: "SELECT hash FROM events") })
    }

    /// Rewrites the manifest row of a backup file.
    static func editManifest(_ file: URL, _ change: (inout BackupManifest) -> Void) throws {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        try DatabaseQueue(path: file.path).write { db in
            var manifest = try decoder.decode(BackupManifest.self, from: Data(try String.fetchOne(db, sql: "SELECT body FROM backup_manifest")!.utf8))
            change(&manifest)
            try db.execute(sql: "UPDATE backup_manifest SET body = ?", arguments: [String(decoding: try encoder.encode(manifest), as: UTF8.self)])
        }
    }
}

extension NodeBackup {
    /// What a restore would say of `keyring` against the backup's manifest.
    static func restoreKeyringProblems(_ file: URL, _ keyring: DataKeyring) -> [String] {
        ((try? manifest(of: file))?.dataKeys.problems(with: keyring)) ?? ["no manifest"]
    }
}
