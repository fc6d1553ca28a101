import GRDB

/// v11: packet numbers belong to a session the receiver opens when its neighbour greets it
/// (`LinkSession`): the sending side remembers the session its greeting got, the receiving side
/// the session in use and the one the last greeting opened. Numbers restart in each session.
enum Migration011LinkSessions {
    static let identifier = "011-link-sessions"

    static func migrate(_ db: Database) throws {
        try db.execute(
            sql: """
                ALTER TABLE peers ADD COLUMN send_session TEXT;
                ALTER TABLE peers ADD COLUMN receive_session TEXT;
                ALTER TABLE peers ADD COLUMN receive_pending TEXT;
                UPDATE peers SET last_packet_sent = 0, last_packet_received = 0, recent_packets = 0;
                """
        )
    }
}
