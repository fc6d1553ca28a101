public import Foundation
import GRDB
public import XinfangCore

// MARK: - Link sessions (`LinkSession`): packet numbering per neighbour

extension NodeDatabase {
    /// The next packet's session and number for `peer`, recorded as used; nil when the link has
    /// no session, or its numbers are used up (greet the peer first: `startSending`).
    public func nextPacketNumber(for peer: NodeID) async throws -> PacketNumber? {
        try await writeUnsynced { db in try Self.nextPacketNumber(db, for: peer) }
    }

    static func nextPacketNumber(_ db: some SQLSession, for peer: NodeID) throws -> PacketNumber? {
        guard let next = try sendingLink(db, peer).numbering() else { return nil }
        try db.execute("UPDATE peers SET last_packet_sent = ? WHERE peer = ?", [next.number, peer.rawValue])
        return PacketNumber(session: next.session, number: next.number)
    }

    /// The session and last number of this node's packets to `peer` (for operators and tests).
    public func sendingLink(to peer: NodeID) async throws -> SendingLink {
        try await read { db in
            let row = try db.fetchOne("SELECT send_session, last_packet_sent FROM peers WHERE peer = ?", [peer.rawValue])
            return SendingLink(session: row?["send_session"], last: row?["last_packet_sent"] ?? 0)
        }
    }

    /// `peer` answered this node's greeting with `session`: packets are numbered in it from 1,
    /// unless another greeting's session was kept meanwhile (`SendingLink.started`).
    public func startSending(to peer: NodeID, session: String) async throws {
        try await writeUnsynced { db in
            let link = try Self.sendingLink(db, peer).started(session)
            try Self.save(db, link, to: peer)
        }
    }

    /// Sets the sending end of the link to `peer` as given: a repair tool, and how tests put a
    /// counter back as a restore from an old backup would.
    public func overwriteSending(to peer: NodeID, _ link: SendingLink) async throws {
        try await writeUnsynced { db in
            try Self.ensurePeer(db, peer)
            try Self.save(db, link, to: peer)
        }
    }

    /// Every link greets anew: a node that starts numbers its packets in new sessions, so a
    /// counter restored from an old backup is never used.
    static func endSendingSessions(_ db: some SQLSession) throws {
        try db.execute("UPDATE peers SET send_session = NULL, last_packet_sent = 0 WHERE send_session IS NOT NULL")
    }

    static func save(_ db: some SQLSession, _ link: SendingLink, to peer: NodeID) throws {
        try db.execute("UPDATE peers SET send_session = ?, last_packet_sent = ? WHERE peer = ?", [link.session, link.last, peer.rawValue])
    }

    /// `peer` refused a packet of `session` for its session or number: the link greets again
    /// before its next packet (unless a greeting replaced the session meanwhile).
    public func dropSending(to peer: NodeID, session: String) async throws {
        try await writeUnsynced { db in
            try Self.save(db, try Self.sendingLink(db, peer).dropping(session), to: peer)
        }
    }

    /// `peer` greeted this node: a new session is opened for its packets, beside the one in use
    /// (`ReceivingLink.greeted`), and the peer is up, so what waited for it is due at once.
    public func openReceiving(from peer: NodeID, now: Date) async throws -> String {
        let session = LinkSession.newID()
        try await write { db in
            let link = try Self.receivingLink(db, peer).greeted(opening: session)
            try Self.save(db, link, of: peer, now: now)
            try Self.markReachable(db, peer, now: now)
        }
        outboxSignal.notify()
        return session
    }

    /// Takes packet `number` from `peer` (`ReceivingLink.taking`), or throws the refusal.
    static func acceptPacket(_ db: some SQLSession, from peer: NodeID, number: PacketNumber, now: Date) throws {
        switch try receivingLink(db, peer).taking(session: number.session, number: number.number) {
        case .success(let link): try save(db, link, of: peer, now: now)
        case .failure(let refusal): throw refusal
        }
    }

    static func ensurePeer(_ db: some SQLSession, _ peer: NodeID) throws {
        try db.execute("INSERT INTO peers (peer) VALUES (?) ON CONFLICT(peer) DO NOTHING", [peer.rawValue])
    }

    static func sendingLink(_ db: some SQLSession, _ peer: NodeID) throws -> SendingLink {
        try ensurePeer(db, peer)
        let row = try db.fetchOne("SELECT send_session, last_packet_sent FROM peers WHERE peer = ?", [peer.rawValue])
        return SendingLink(session: row?["send_session"], last: row?["last_packet_sent"] ?? 0)
    }

    static func receivingLink(_ db: some SQLSession, _ peer: NodeID) throws -> ReceivingLink {
        try ensurePeer(db, peer)
        let row = try db.fetchOne(
            "SELECT receive_session, receive_pending, last_packet_received, recent_packets FROM peers WHERE peer = ?",
            [peer.rawValue]
        )
        return ReceivingLink(
            session: row?["receive_session"],
            pending: (row?["receive_pending"] as String?).map { $0.split(separator: ",").map(String.init) } ?? [],
            high: row?["last_packet_received"] ?? 0,
            seen: row?["recent_packets"] ?? 0
        )
    }

    static func save(_ db: some SQLSession, _ link: ReceivingLink, of peer: NodeID, now: Date) throws {
        try db.execute(
            """
            UPDATE peers SET receive_session = ?, receive_pending = ?, last_packet_received = ?, recent_packets = ?,
                last_received_at = ? WHERE peer = ?
            """,
            [
                link.session, link.pending.isEmpty ? nil : link.pending.joined(separator: ","), link.high, link.seen, now.milliseconds, peer.rawValue,
            ]
        )
    }

    /// A peer has just sent a valid packet, so it is up: what waited because it was unreachable is
    /// due at once (the commit wakes the dispatcher).
    /// `OutboxItem.peerReachable` over the peer's whole queue, as one statement (the queue of an
    /// unreachable peer can hold 100,000 items).
    static func markReachable(_ db: some SQLSession, _ peer: NodeID, now: Date) throws {
        try db.execute(
            "UPDATE outbox SET next_attempt_at = ? WHERE peer = ? AND state = 'failed' AND last_error_kind = 'unreachable' AND next_attempt_at > ?",
            [now.milliseconds, peer.rawValue, now.milliseconds]
        )
        try db.execute(
            "UPDATE blob_wants SET next_attempt_at = ? WHERE waiting_on = ? AND next_attempt_at > ?",
            [now.milliseconds, peer.rawValue, now.milliseconds]
        )
    }
}
