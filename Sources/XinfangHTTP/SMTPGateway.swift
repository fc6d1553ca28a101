import Foundation
import NIOCore
import NIOPosix
public import XinfangCore
public import XinfangSync

/// Staff e-mail over SMTP (RFC 5321): EHLO, AUTH PLAIN when credentials are configured, MAIL FROM,
/// RCPT TO per recipient, DATA with a UTF-8 text body (base64, the subject RFC 2047-encoded),
/// QUIT. Plain TCP: within a government intranet to the bureau's relay; a relay that requires TLS
/// is reached through a local one that speaks it (no TLS library is linked for this). Written by
/// hand because no SMTP client is in the package mirror; the dialogue is a few lines.
public struct SMTPGateway: NotificationGateway {
    public var host: String
    public var port: Int
    public var from: String
    public var username: String?
    public var password: String?
    public var timeoutSeconds: Double = 15

    public init(host: String, port: Int, from: String, username: String?, password: String?) {
        self.host = host
        self.port = port
        self.from = from
        self.username = username
        self.password = password
    }

    public func send(_ message: OutgoingMessage) async throws -> String? {
        let recipients = message.to.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !recipients.isEmpty else { throw NotificationGatewayError("no recipient") }
        return try await withThrowingTaskGroup(of: String?.self) { group in
            group.addTask { try await self.dialogue(message, recipients: recipients) }
            group.addTask {
                try await Task.sleep(for: .seconds(self.timeoutSeconds))
                throw NotificationGatewayError("SMTP server \(self.host):\(self.port) did not finish within \(Int(self.timeoutSeconds)) s")
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }

    func dialogue(_ message: OutgoingMessage, recipients: [String]) async throws -> String? {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var replies = SMTPReplies(inbound.makeAsyncIterator())
            func send(_ line: String) async throws { try await outbound.write(ByteBuffer(string: line + "\r\n")) }
            func expect(_ codes: Set<Int>, after what: String) async throws -> String {
                let (code, text) = try await replies.next()
                guard codes.contains(code) else { throw NotificationGatewayError("SMTP \(what): \(code) \(text)") }
                return text
            }
            _ = try await expect([220], after: "greeting")
            try await send("EHLO xinfang")
            _ = try await expect([250], after: "EHLO")
            if let username, let password {
                let token = Data("\u{0}\(username)\u{0}\(password)".utf8).base64EncodedString()
                try await send("AUTH PLAIN \(token)")
                _ = try await expect([235], after: "AUTH")
            }
            try await send("MAIL FROM:<\(from)>")
            _ = try await expect([250], after: "MAIL FROM")
            for recipient in recipients {
                try await send("RCPT TO:<\(recipient)>")
                _ = try await expect([250, 251], after: "RCPT TO \(recipient)")
            }
            try await send("DATA")
            _ = try await expect([354], after: "DATA")
            try await outbound.write(ByteBuffer(string: Self.data(message, from: from, to: recipients) + "\r\n.\r\n"))
            let accepted = try await expect([250], after: "the message")
            try? await send("QUIT")
            return "smtp:250 \(accepted)"
        }
    }

    /// The message as DATA carries it: headers, a blank line, the body in base64 lines (which
    /// never start with a dot, so nothing needs stuffing).
    static func data(_ message: OutgoingMessage, from: String, to: [String]) -> String {
        let subject = message.subject ?? message.kind.label
        let date = DateFormatter()
        date.locale = Locale(identifier: "en_US_POSIX")
        date.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        let body = Data(message.text.utf8).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        return [
            "From: \(from)", "To: \(to.joined(separator: ", "))",
            "Subject: =?UTF-8?B?\(Data(subject.utf8).base64EncodedString())?=", "Date: \(date.string(from: Date()))",
            "Message-ID: <\(message.id)@xinfang>", "MIME-Version: 1.0", "Content-Type: text/plain; charset=UTF-8",
            "Content-Transfer-Encoding: base64", "", body,
        ].joined(separator: "\r\n")
    }
}

/// The server's replies, a line at a time: a reply is its lines up to one whose fourth character
/// is a space (`250-…` continues, `250 …` ends it).
struct SMTPReplies {
    var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    var pending = ""

    init(_ iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator) { self.iterator = iterator }

    mutating func line() async throws -> String {
        while true {
            if let end = pending.range(of: "\r\n") {
                let line = String(pending[..<end.lowerBound])
                pending = String(pending[end.upperBound...])
                return line
            }
            guard pending.utf8.count < 64 * 1024, let buffer = try await iterator.next() else {
                throw NotificationGatewayError("SMTP connection closed")
            }
            pending += String(buffer: buffer)
        }
    }

    mutating func next() async throws -> (Int, String) {
        var text: [String] = []
        while true {
            let line = try await line()
            guard line.count >= 3, let code = Int(line.prefix(3)) else { throw NotificationGatewayError("SMTP: not a reply: \(line.prefix(80))") }
            text.append(String(line.dropFirst(4)))
            if line.count == 3 || line[line.index(line.startIndex, offsetBy: 3)] == " " { return (code, text.joined(separator: " ")) }
        }
    }
}

extension SMTPGateway: Redacted {
    public var redactedDescription: String {
        "SMTPGateway(host: \(host), port: \(port), from: \(from), credentials \(username == nil ? "none" : "redacted"))"
    }
}
