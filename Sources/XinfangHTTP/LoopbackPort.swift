import Foundation

/// A free port on 127.0.0.1 for a server bound after this returns (a process started later, an
/// application that binds when it runs: the demo, the benchmarks, the tests), taken below the
/// kernel's ephemeral range (Linux: 32768 and up). A port the kernel hands out for `bind(0)` or
/// an outgoing connection could be taken by another program (any HTTP client's connection)
/// between the check and the bind, as a failover test once was under the whole suite's load; one
/// outside that range is taken only by a program that asks for it by number.
public func freeLoopbackPort() throws -> Int {
    var random = SystemRandomNumberGenerator()
    for _ in 0..<200 {
        let port = Int.random(in: 20_000..<32_000, using: &random)
        if let (fd, _) = try? boundLoopbackSocket(listening: false, port: port) {
            close(fd)
            return port
        }
    }
    let (fd, port) = try boundLoopbackSocket(listening: false)
    close(fd)
    return port
}

/// A socket bound to a free port on 127.0.0.1 and listening, with that port: for tests that need a
/// port taken. The caller closes it.
public func listeningLoopbackSocket() throws -> (fd: Int32, port: Int) {
    try boundLoopbackSocket(listening: true)
}

func boundLoopbackSocket(listening: Bool, port: Int = 0) throws -> (fd: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, length) == 0 && (!listening || listen(fd, 1) == 0) && getsockname(fd, $0, &length) == 0
        }
    }
    guard bound else {
        close(fd)
        throw NodeConfig.Problem(description: "no free loopback port")
    }
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
}
