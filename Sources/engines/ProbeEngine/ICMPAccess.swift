#if canImport(Glibc)
import Glibc
#endif

/// Which ICMP socket this process may open: the one the probe source opens, and what
/// `smokeflow doctor` reports before a probe ever runs.
public enum ICMPAccess: Sendable, Equatable {
    /// A raw socket: root, or `CAP_NET_RAW`.
    case raw
    /// An ICMP datagram socket: one of the process's groups is in `net.ipv4.ping_group_range`.
    case datagram
    /// Neither; `errno` is the raw socket's (EPERM or EACCES when it is a matter of permission).
    case denied(errno: Int32)

    /// Opens the socket the probe source would, then closes it.
    public static func check(v6: Bool) -> ICMPAccess {
        let (descriptor, access) = open(v6: v6)
        if descriptor >= 0 { close(descriptor) }
        return access
    }

    /// Raw first, else datagram; the descriptor is -1 when `denied`.
    static func open(v6: Bool) -> (descriptor: Int32, access: ICMPAccess) {
        let family = v6 ? AF_INET6 : AF_INET
        let proto = v6 ? Int32(IPPROTO_ICMPV6) : Int32(IPPROTO_ICMP)
        let raw = socket(family, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), proto)
        if raw >= 0 { return (raw, .raw) }
        let rawError = errno
        let datagram = socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), proto)
        if datagram >= 0 { return (datagram, .datagram) }
        return (-1, .denied(errno: rawError))
    }

    /// A matter of permission (not, say, a kernel without IPv6).
    public var isPermissionProblem: Bool {
        if case .denied(let error) = self { return error == EPERM || error == EACCES }
        return false
    }
}
