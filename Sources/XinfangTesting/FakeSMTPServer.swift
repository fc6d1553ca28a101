import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A stand-in SMTP server on a loopback port: speaks enough of RFC 5321 for a client's dialogue
/// (EHLO, AUTH PLAIN, MAIL FROM, RCPT TO, DATA, QUIT) and keeps what it was handed.
public final class FakeSMTPServer: Sendable {
    public struct Mail: Sendable {
        public var from: String
        public var to: [String]
        /// The DATA, headers and body, as sent (CRLF line ends, without the final dot).
        public var data: String
        /// The AUTH PLAIN token, if the client authenticated.
        public var auth: String?
        /// The body's text, its base64 decoded.
        public var text: String {
            guard let blank = data.range(of: "\r\n\r\n") else { return data }
            let encoded = data[blank.upperBound...].replacingOccurrences(of: "\r\n", with: "")
            return Data(base64Encoded: encoded).map { String(decoding: $0, as: UTF8.self) } ?? String(data[blank.upperBound...])
        }
    }

    let mails = Mutex<[Mail]>([])
    public var received: [Mail] { mails.withLock { $0 } }

    public init() {}

    /// Runs `body` with the server listening; `body` receives its port.
    public func run<T: Sendable>(_ body: @Sendable (Int) async throws -> T) async throws -> T {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        let channel = server.channel
        let port = channel.localAddress?.port ?? 0
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try? await server.executeThenClose { inbound in
                    for try await connection in inbound { try? await self.serve(connection) }
                }
                return nil
            }
            defer { channel.close(promise: nil) }
            let result = try await body(port)
            channel.close(promise: nil)
            while let _ = try await group.next() {}
            return result
        }
    }

    func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async throws {
        try await connection.executeThenClose { inbound, outbound in
            var iterator = inbound.makeAsyncIterator()
            var pending = ""
            func line() async throws -> String? {
                while true {
                    if let end = pending.range(of: "\r\n") {
                        let line = String(pending[..<end.lowerBound])
                        pending = String(pending[end.upperBound...])
                        return line
                    }
                    guard let buffer = try await iterator.next() else { return nil }
                    pending += String(buffer: buffer)
                }
            }
            func reply(_ text: String) async throws { try await outbound.write(ByteBuffer(string: text + "\r\n")) }
            var mail = Mail(from: "", to: [], data: "", auth: nil)
            try await reply("220 fake.example ESMTP")
            while let command = try await line() {
                let verb = command.prefix(4).uppercased()
                switch verb {
                case "EHLO", "HELO": try await reply("250-fake.example\r\n250 AUTH PLAIN")
                case "AUTH":
                    mail.auth = command.split(separator: " ").last.map(String.init)
                    try await reply("235 2.7.0 accepted")
                case "MAIL":
                    mail.from = String(command.drop { $0 != "<" }.dropFirst().prefix { $0 != ">" })
                    try await reply("250 ok")
                case "RCPT":
                    mail.to.append(String(command.drop { $0 != "<" }.dropFirst().prefix { $0 != ">" }))
                    try await reply("250 ok")
                case "DATA":
                    try await reply("354 go ahead")
                    var lines: [String] = []
                    while let l = try await line(), l != "." { lines.append(l) }
                    mail.data = lines.joined(separator: "\r\n")
                    let count = mails.withLock {
                        $0.append(mail)
                        return $0.count
                    }
                    mail = Mail(from: "", to: [], data: "", auth: mail.auth)
                    try await reply("250 queued as \(count)")
                case "QUIT":
                    try await reply("221 bye")
                    return
                default:
                    try await reply("502 not implemented")
                }
            }
        }
    }
}
