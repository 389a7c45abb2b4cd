#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Ports `freePort` has handed out in this process: never twice, so two servers a test starts
/// (or a server and a port a test keeps free) never get the same one.
private let handedOut = Mutex<Set<Int>>([])

/// A TCP port on 127.0.0.1 that nothing listens on right now, and that this process has not
/// handed out before.
public func freePort() -> Int {
    for _ in 0..<100 {
        let port = boundPort()
        let new = handedOut.withLock { $0.insert(port).inserted }
        if new { return port }
    }
    return boundPort()
}

private func boundPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}
