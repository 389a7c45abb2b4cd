#if canImport(Glibc)
import Glibc
#endif
import EventModel

/// An IPv4 or IPv6 address with a port, as the socket calls take it.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    public enum Family: Sendable { case v4, v6 }

    public let family: Family
    /// Network byte order: 4 or 16 bytes.
    public let bytes: [UInt8]
    public var port: UInt16 = 0

    public init(family: Family, bytes: [UInt8], port: UInt16 = 0) {
        self.family = family
        self.bytes = bytes
        self.port = port
    }

    /// Parses a literal (`192.0.2.1`, `2001:db8::1`); nil for anything else, names included.
    public init?(literal text: String) {
        guard let (family, bytes) = IPLiteral.parse(text) else { return nil }
        self.init(family: family == .v4 ? .v4 : .v6, bytes: bytes)
    }

    public var description: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        bytes.withUnsafeBytes { raw in
            _ = inet_ntop(family == .v4 ? AF_INET : AF_INET6, raw.baseAddress, &text, socklen_t(text.count))
        }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Calls `body` with this address as a `sockaddr`.
    func withSocketAddress<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        switch family {
        case .v4:
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            withUnsafeMutableBytes(of: &address.sin_addr) { $0.copyBytes(from: bytes) }
            return Self.call(body, with: address)
        case .v6:
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &address.sin6_addr) { $0.copyBytes(from: bytes) }
            return Self.call(body, with: address)
        }
    }

    private static func call<T, R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R, with address: T) -> R {
        withUnsafeBytes(of: address) { raw in
            body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(MemoryLayout<T>.size))
        }
    }

    /// Whether a received source address is this one (no allocation: runs once per answer).
    func matches(_ storage: sockaddr_storage) -> Bool {
        var copy = storage
        return withUnsafeBytes(of: &copy) { raw in
            switch (family, Int32(storage.ss_family)) {
            case (.v4, AF_INET):
                let address = raw.load(as: sockaddr_in.self)
                return UInt16(bigEndian: address.sin_port) == port
                    && withUnsafeBytes(of: address.sin_addr) { $0.elementsEqual(bytes) }
            case (.v6, AF_INET6):
                let address = raw.load(as: sockaddr_in6.self)
                return UInt16(bigEndian: address.sin6_port) == port
                    && withUnsafeBytes(of: address.sin6_addr) { $0.elementsEqual(bytes) }
            default:
                return false
            }
        }
    }

    /// The address in a received `sockaddr_storage`.
    init?(_ storage: sockaddr_storage) {
        var copy = storage
        switch Int32(storage.ss_family) {
        case AF_INET:
            let address = withUnsafeBytes(of: &copy) { $0.load(as: sockaddr_in.self) }
            self.init(family: .v4, bytes: withUnsafeBytes(of: address.sin_addr) { Array($0) }, port: UInt16(bigEndian: address.sin_port))
        case AF_INET6:
            let address = withUnsafeBytes(of: &copy) { $0.load(as: sockaddr_in6.self) }
            self.init(family: .v6, bytes: withUnsafeBytes(of: address.sin6_addr) { Array($0) }, port: UInt16(bigEndian: address.sin6_port))
        default:
            return nil
        }
    }
}
