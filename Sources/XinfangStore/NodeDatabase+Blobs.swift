public import Foundation
import GRDB
public import XinfangCore

/// A blob this node has an event for but not the bytes of.
public struct BlobWant: Equatable, Sendable {
    public var sha256: String
    public var caseNumber: CaseNumber
    public var size: Int
    /// The neighbour the event came from (asked first), nil when it was made here.
    public var sender: NodeID?
    public var wantedSince: Date
    public var attempts: Int
    public var lastError: String?
    /// When the fetcher takes it up again.
    public var nextAttemptAt: Date
}

/// Whether a neighbour may be handed a blob.
public enum BlobGrant: Equatable, Sendable {
    case granted
    /// No case here names the blob.
    case unknown
    /// Every case that names it is outside the neighbour's scope (R16 or the case's routing).
    case notInScope
}

extension NodeDatabase {
    /// The files new events name (an attachment, a notice's frozen bytes): indexed as the case's
    /// (`case_blobs`) and, where their bytes are not here, wanted from `sender` first. Runs in the
    /// transaction that stored the events; an event naming no file costs nothing here.
    func recordFiles(_ db: some SQLSession, named events: [CaseEvent], of state: CaseState, from sender: NodeID?, now: Date) throws {
        let named: Set<String> = Set(
            events.compactMap {
                switch $0.body {
                case .act(.attach(let file)): file.sha256
                case .act(.issueNotice(let notice)): notice.sha256
                default: nil
                }
            }
        )
        guard !named.isEmpty else { return }
        try indexFiles(db, of: state, only: named)
        try wantMissingBlobs(db, of: state, only: named, from: sender, now: now)
    }

    /// Records which blobs the case names (all, or `only` these): what a neighbour may be handed.
    func indexFiles(_ db: some SQLSession, of state: CaseState, only: Set<String>? = nil) throws {
        for file in state.attachments ?? [] where only?.contains(file.file.sha256) ?? true {
            try db.execute(
                "INSERT INTO case_blobs (sha256, case_number) VALUES (?, ?) ON CONFLICT DO NOTHING",
                [file.file.sha256, state.caseNumber.rawValue]
            )
        }
    }

    /// Notes every file of the case (or `only` these) whose bytes are not here and that this node
    /// may hold, as wanted from `sender` first.
    /// Answers how many wants it added.
    @discardableResult
    func wantMissingBlobs(_ db: some SQLSession, of state: CaseState, only: Set<String>? = nil, from sender: NodeID?, now: Date) throws -> Int {
        guard let files = state.attachments, !files.isEmpty,
            AttachmentScope.mayHold(node, state: state, topology: hierarchy?.topology)
        else { return 0 }
        var added = 0
        for file in files where (only?.contains(file.file.sha256) ?? true) && !blobs.contains(file.file.sha256) {
            added += try db.execute(
                """
                INSERT INTO blob_wants (sha256, case_number, size, sender, wanted_since, next_attempt_at)
                VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                """,
                [file.file.sha256, state.caseNumber.rawValue, file.file.size, sender?.rawValue, now.milliseconds, now.milliseconds]
            )
        }
        return added
    }

    /// The wants due by `now`, oldest attempt first, at most `limit`.
    public func dueBlobWants(now: Date, limit: Int) async throws -> [BlobWant] {
        try await read { db in
            try db.fetchAll("SELECT * FROM blob_wants WHERE next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?", [now.milliseconds, limit]).map(
                Self.want
            )
        }
    }

    /// Every want, oldest first (the operators' view and the tests').
    public func blobWants() async throws -> [BlobWant] {
        try await read { db in try db.fetchAll("SELECT * FROM blob_wants ORDER BY wanted_since, sha256").map(Self.want) }
    }

    /// How many blobs are wanted (a bootstrap's progress).
    public func blobWantCount() async throws -> Int {
        try await read { db in try db.value("SELECT COUNT(*) FROM blob_wants", as: Int.self) ?? 0 }
    }

    static func want(_ row: SQLRow) -> BlobWant {
        BlobWant(
            sha256: row["sha256"],
            caseNumber: CaseNumber(rawValue: row["case_number"]),
            size: row["size"],
            sender: (row["sender"] as String?).map { NodeID($0) },
            wantedSince: Date(milliseconds: row["wanted_since"]),
            attempts: row["attempts"],
            lastError: row["last_error"],
            nextAttemptAt: Date(milliseconds: row["next_attempt_at"])
        )
    }

    /// The want for a blob this node still lacks (a relay's partial file: its size, and whether
    /// the fetcher is about to take it up), or nil.
    public func blobWant(_ sha256: String) async throws -> BlobWant? {
        try await read { db in try db.fetchAll("SELECT * FROM blob_wants WHERE sha256 = ?", [sha256]).first.map(Self.want) }
    }

    /// When the next want falls due, or nil when nothing is wanted.
    public func nextBlobWantAt() async throws -> Date? {
        try await read { db in try db.value("SELECT MIN(next_attempt_at) FROM blob_wants", as: Int64.self).map(Date.init(milliseconds:)) }
    }

    /// The blob is here: the want is met.
    public func blobArrived(_ sha256: String) async throws {
        try await write { db in try db.execute("DELETE FROM blob_wants WHERE sha256 = ?", [sha256]) }
    }

    /// An attempt failed: counted, with its reason and the time to try again; `unreachable` names
    /// a neighbour that did not answer, so the want is due again as soon as it speaks.
    public func blobAttemptFailed(_ sha256: String, error: String, retryAt: Date, unreachable: NodeID? = nil) async throws {
        try await write { db in
            try db.execute(
                "UPDATE blob_wants SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, waiting_on = ? WHERE sha256 = ?",
                [String(error.prefix(500)), retryAt.milliseconds, unreachable?.rawValue, sha256]
            )
        }
    }

    /// Whether `peer` may be handed `sha256`: some case here names it, and for one of them the
    /// case's events go from here to the peer and the peer may hold its material.
    public func blobGrant(_ sha256: String, to peer: NodeID) async throws -> BlobGrant {
        guard let topology = hierarchy?.topology else { return .unknown }
        return try await read { [node] db in
            let numbers = try db.values("SELECT case_number FROM case_blobs WHERE sha256 = ?", [sha256], as: String.self)
            guard !numbers.isEmpty else { return .unknown }
            for number in numbers {
                if let state = try Self.loadState(db, CaseNumber(rawValue: number)),
                    AttachmentScope.mayServe(peer, from: node, state: state, topology: topology)
                {
                    return .granted
                }
            }
            return .notInScope
        }
    }

    /// Anti-entropy for blobs: every file a case here names, whose bytes are missing and not yet
    /// wanted, is wanted again (a blob file lost from the folder, a want dropped by a restore).
    /// Returns how many were added.
    @discardableResult
    public func rederiveBlobWants(now: Date) async throws -> Int {
        try await write { db in
            let missing = try db.fetchAll(
                "SELECT c.sha256, c.case_number FROM case_blobs c LEFT JOIN blob_wants w ON w.sha256 = c.sha256 WHERE w.sha256 IS NULL"
            ).filter { !self.blobs.contains($0["sha256"]) }
            var added = 0
            for number in Set(missing.map { $0["case_number"] as String }) {
                guard let state = try Self.loadState(db, CaseNumber(rawValue: number)) else { continue }
                added += try wantMissingBlobs(db, of: state, from: nil, now: now)
            }
            return added
        }
    }

    /// A flag for every want older than the limit.
    func blobFlags(_ db: some SQLSession, now: Date, limits: ReconciliationLimits) throws -> [Flag] {
        let cutoff = now.addingTimeInterval(-limits.blobMissingSeconds).milliseconds
        return try db.fetchAll("SELECT * FROM blob_wants WHERE wanted_since <= ? ORDER BY wanted_since", [cutoff]).map {
            let want = Self.want($0)
            let tried = want.lastError.map { "，最近一次失败：\($0)" } ?? ""
            return Flag(
                kind: .blobMissing,
                subject: want.sha256,
                caseNumber: want.caseNumber,
                node: node,
                raisedBy: node,
                since: want.wantedSince.addingTimeInterval(limits.blobMissingSeconds),
                detail:
                    "信访件 \(want.caseNumber.rawValue) 的材料文件（\(want.size) 字节，SHA-256 \(want.sha256.prefix(12))…）本级尚未取得，已尝试 \(want.attempts) 次\(tried)。"
            )
        }
    }
}
