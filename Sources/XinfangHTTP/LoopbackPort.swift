import Foundation

/// A free TCP port on 127.0.0.1, chosen by the system (it is free again when this returns, so a
/// caller that binds it soon after will almost always get it). For the demo and tests.
public func freeLoopbackPort() throws -> Int {
    let (fd, port) = try boundLoopbackSocket(listening: false)
    close(fd)
    return port
}

/// A socket bound to a free port on 127.0.0.1 and listening, with that port: for tests that need a
/// port taken. The caller closes it.
public func listeningLoopbackSocket() throws -> (fd: Int32, port: Int) {
    try boundLoopbackSocket(listening: true)
}

func boundLoopbackSocket(listening: Bool) throws -> (fd: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
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
