public import Foundation

/// A raw TCP connection to a loopback port, for tests that send what no HTTP client would:
/// malformed requests byte for byte, heads and bodies that trickle or stop.
public final class RawConnection: @unchecked Sendable {
    private var fd: Int32

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// A connection to `port`; `receiveBuffer` bytes of kernel buffer for what the server sends
    /// (small: a client that stops reading holds the server up at once).
    public init(port: Int, receiveBuffer: Int? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        if var size = receiveBuffer.map(Int32.init) {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else {
            let error = errno
            Foundation.close(fd)
            throw Failure(description: "connect: errno \(error)")
        }
    }

    /// Sends `bytes`; false when the server has closed the connection.
    @discardableResult
    public func send(_ bytes: Data) -> Bool {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Foundation.send(fd, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
    }

    @discardableResult
    public func send(_ text: String) -> Bool { send(Data(text.utf8)) }

    /// What the server sent within `timeout` seconds, and whether it closed the connection
    /// (reading stops at the close, or at the time-out, or once `atLeast` bytes have come).
    public func read(timeout: Double, atLeast: Int = .max) -> (data: Data, closed: Bool) {
        var data = Data()
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: min(65_536, max(1, atLeast)))
        while true {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { return (data, false) }
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, Int32(max(1, left * 1000)))
            if ready == 0 { return (data, false) }
            if ready < 0 { return (data, true) }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { return (data, true) }
            data.append(contentsOf: buffer[0..<n])
            if data.count >= atLeast { return (data, false) }
        }
    }

    /// The status code of the first response line in `data`, if any.
    public static func status(in data: Data) -> Int? {
        let text = String(decoding: data.prefix(64), as: UTF8.self)
        guard text.hasPrefix("HTTP/1.1 ") else { return nil }
        return Int(text.dropFirst(9).prefix(3))
    }

    public func close() {
        guard fd >= 0 else { return }
        Foundation.close(fd)
        fd = -1
    }

    deinit { close() }
}
