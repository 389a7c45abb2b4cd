#if canImport(Glibc)
import Glibc
#endif
public import EventModel

/// A non-blocking socket the engine sends probes on and reads answers from, with kernel receive
/// timestamps (`SO_TIMESTAMPNS`) so the time a reply waited for our thread is not measured.
final class ProbeSocket {
    enum Kind: Sendable { case rawICMP, pingICMP, udp }

    let descriptor: Int32
    let kind: Kind
    let v6: Bool
    /// Raw IPv4 sockets deliver the IP header in front of the ICMP message.
    var hasIPHeader: Bool { kind == .rawICMP && !v6 }

    private init(descriptor: Int32, kind: Kind, v6: Bool) {
        self.descriptor = descriptor
        self.kind = kind
        self.v6 = v6
        var on: Int32 = 1
        // A `timespec` of CLOCK_REALTIME with every datagram (an SCM_TIMESTAMPNS control message).
        setsockopt(descriptor, SOL_SOCKET, SO_TIMESTAMPNS, &on, socklen_t(MemoryLayout<Int32>.size))
        var size: Int32 = 4 << 20
        setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
    }

    deinit { close(descriptor) }

    /// Raw ICMP (root or CAP_NET_RAW), else an ICMP datagram socket (`ping_group_range`).
    static func icmp(v6: Bool) throws(ProbeSetupError) -> ProbeSocket {
        let (descriptor, access) = ICMPAccess.open(v6: v6)
        switch access {
        case .raw: return ProbeSocket(descriptor: descriptor, kind: .rawICMP, v6: v6)
        case .datagram: return ProbeSocket(descriptor: descriptor, kind: .pingICMP, v6: v6)
        case .denied(let rawError):
            let what = "an ICMP\(v6 ? "v6" : "") socket"
            guard access.isPermissionProblem else { throw ProbeSetupError(opening: what, .system(IOError(rawError, "socket", path: nil))) }
            throw ProbeSetupError(opening: what, .icmpNotPermitted)
        }
    }

    static func udp(v6: Bool) throws(ProbeSetupError) -> ProbeSocket {
        let descriptor = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else {
            throw ProbeSetupError(opening: "a UDP socket", .system(IOError(errno, "socket", path: nil)))
        }
        return ProbeSocket(descriptor: descriptor, kind: .udp, v6: v6)
    }

    /// False when the kernel refused the datagram (the probe then counts as lost).
    func send(_ packet: [UInt8], to address: IPAddress) -> Bool {
        packet.withUnsafeBytes { bytes in
            address.withSocketAddress { pointer, length in
                sendto(descriptor, bytes.baseAddress, bytes.count, 0, pointer, length) == bytes.count
            }
        }
    }

    /// Reads the datagrams waiting (at most `limit`: after one, poll(2) tells whether there is
    /// more, which saves the read that would only say EAGAIN), calling `handle(bytes, source, receivedAt)` with the
    /// monotonic time the kernel received it.
    func drain(into buffer: inout [UInt8], limit: Int, _ handle: (UnsafeRawBufferPointer, sockaddr_storage, Int64) -> Void) {
        for _ in 0..<limit {
            var source = sockaddr_storage()
            let count: Int = buffer.withUnsafeMutableBytes { data in
                control.withUnsafeMutableBytes { controlBytes in
                    withUnsafeMutablePointer(to: &source) { sourcePointer in
                        var vector = iovec(iov_base: data.baseAddress, iov_len: data.count)
                        return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                            var message = msghdr()
                            message.msg_name = UnsafeMutableRawPointer(sourcePointer)
                            message.msg_namelen = socklen_t(MemoryLayout<sockaddr_storage>.size)
                            message.msg_iov = vectorPointer
                            message.msg_iovlen = 1
                            message.msg_control = controlBytes.baseAddress
                            message.msg_controllen = controlBytes.count
                            let received = recvmsg(descriptor, &message, Int32(MSG_DONTWAIT))
                            if received >= 0 { controlLength = message.msg_controllen }
                            return received
                        }
                    }
                }
            }
            guard count >= 0 else { return }
            let receivedAt = Self.monotonicStamp(control: control, length: controlLength)
            buffer.withUnsafeBytes { handle(UnsafeRawBufferPointer(rebasing: $0[0..<count]), source, receivedAt) }
        }
    }

    private var controlLength = 0
    private var control = [UInt8](repeating: 0, count: 128)

    /// The kernel's CLOCK_REALTIME receive stamp, moved onto the monotonic clock by the time
    /// that has passed since (so a wall-clock step cannot distort a round-trip time).
    static func monotonicStamp(control: [UInt8], length: Int) -> Int64 {
        let monotonicNow = Clocks.monotonic()
        let realNow = Clocks.realtime()
        var offset = 0
        while offset + 16 <= length {
            let headerLength = control.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: Int.self) }
            let level = control.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset + 8, as: Int32.self) }
            let type = control.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset + 12, as: Int32.self) }
            if level == SOL_SOCKET, type == SCM_TIMESTAMPNS, offset + 32 <= length {
                let seconds = control.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset + 16, as: Int64.self) }
                let nanoseconds = control.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset + 24, as: Int64.self) }
                let waited = realNow - (seconds * 1_000_000_000 + nanoseconds)
                return monotonicNow - min(max(waited, 0), 1_000_000_000)
            }
            guard headerLength >= 16 else { break }
            offset += (headerLength + 7) & ~7
        }
        return monotonicNow
    }
}

/// The probe cannot start (no permission for ICMP sockets, …): one line saying what to grant.
/// `reason` is the cause to match on; a failed system call keeps its errno.
public struct ProbeSetupError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        /// Neither a raw nor a datagram ICMP socket is allowed to this process.
        case icmpNotPermitted
        /// A system call failed (`socket`, `pipe`).
        case system(IOError)
    }

    /// What the engine was setting up: "open an ICMPv6 socket", "create a pipe".
    public let action: String
    public let reason: Reason

    public init(_ action: String, _ reason: Reason) {
        self.action = action
        self.reason = reason
    }

    init(opening what: String, _ reason: Reason) { self.init("open " + what, reason) }

    public var description: String {
        switch reason {
        case .icmpNotPermitted:
            return "cannot \(action): not permitted; run as root or grant CAP_NET_RAW (setcap cap_net_raw+ep smokeflow), "
                + "or allow this group ICMP datagram sockets (sysctl -w net.ipv4.ping_group_range=\"GID GID\")"
        case .system(let error):
            return "cannot \(action): \(error.reason)"
        }
    }
}
