public import EventModel
public import NIOPosix
import TargetStore
#if canImport(Glibc)
import Glibc
#endif

/// Whether a host the add form was given can be probed: an IP literal (read by `inet_pton`, the
/// probes' own parser) or a name the system resolver answers (A or AAAA), as smoking-pi's
/// `validate-hostname` decides. The answer's families choose the probe (`ProbeChoice`).
public enum HostCheck {
    public struct Address: Sendable, Hashable {
        public var family: IPLiteral.Family
        /// The address as text (`192.0.2.1`, `2001:db8::1`).
        public var text: String

        public init(family: IPLiteral.Family, text: String) {
            self.family = family
            self.text = text
        }
    }

    public enum Outcome: Sendable, Equatable {
        /// The host is an address; nothing was resolved.
        case literal(Address)
        /// The resolver's answers, without repeats, in its order.
        case resolved([Address])
        /// Neither: the message says why (smoking-pi's "Cannot resolve hostname" with the resolver's reason).
        case unresolvable(String)

        public var addresses: [Address] {
            switch self {
            case .literal(let address): [address]
            case .resolved(let addresses): addresses
            case .unresolvable: []
            }
        }

        public var isValid: Bool { !addresses.isEmpty }

        /// An IPv6 literal, or a name with only AAAA answers: FPing could not reach it.
        public var isIPv6Only: Bool {
            let families = Set(addresses.map(\.family))
            return families == [.v6]
        }
    }

    /// Checks `host`. getaddrinfo blocks (up to the resolver's timeouts), so it runs on NIO's
    /// blocking thread pool, never on the cooperative pool that serves every request.
    public static func check(_ host: String, threadPool: NIOThreadPool = .singleton) async -> Outcome {
        if let literal = IPLiteral.parse(host) {
            // The literal as written: `inet_pton` already accepted it.
            return .literal(Address(family: literal.family, text: host))
        }
        guard !host.isEmpty, TargetValidation.isValidHost(host) else { return .unresolvable("'\(host)' is not a valid host name") }
        do {
            return try await threadPool.runIfActive { resolve(host) }
        } catch {
            return .unresolvable("the resolver is not running: \(error)")
        }
    }

    /// The blocking lookup itself.
    static func resolve(_ host: String) -> Outcome {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        // One answer per address, not one per socket type.
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0 else { return .unresolvable("cannot resolve hostname '\(host)': \(String(cString: gai_strerror(status)))") }
        defer { freeaddrinfo(list) }
        var addresses: [Address] = []
        var entry = list
        while let info = entry?.pointee {
            entry = info.ai_next
            guard let address = info.ai_addr, let found = text(of: address, family: info.ai_family) else { continue }
            if !addresses.contains(found) { addresses.append(found) }
        }
        return addresses.isEmpty ? .unresolvable("cannot resolve hostname '\(host)': no IPv4 or IPv6 address") : .resolved(addresses)
    }

    static func text(of address: UnsafeMutablePointer<sockaddr>, family: Int32) -> Address? {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        switch family {
        case AF_INET:
            return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                inet_ntop(AF_INET, &v4.pointee.sin_addr, &buffer, socklen_t(buffer.count)).map { _ in
                    Address(family: .v4, text: String(cString: buffer))
                }
            }
        case AF_INET6:
            return address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                inet_ntop(AF_INET6, &v6.pointee.sin6_addr, &buffer, socklen_t(buffer.count)).map { _ in
                    Address(family: .v6, text: String(cString: buffer))
                }
            }
        default:
            return nil
        }
    }
}
