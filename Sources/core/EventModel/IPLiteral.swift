#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 address literal (`192.0.2.1`, `2001:db8::1`), read by `inet_pton`, the parser
/// the probes' sockets use: one rule for the probes and the configuration store's host check.
public enum IPLiteral {
    public enum Family: Sendable, Hashable { case v4, v6 }

    /// The family and network-order bytes (4 or 16) of `text`; nil for anything else, names included.
    public static func parse(_ text: String) -> (family: Family, bytes: [UInt8])? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return (.v4, withUnsafeBytes(of: v4) { Array($0) }) }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return (.v6, withUnsafeBytes(of: v6) { Array($0) }) }
        return nil
    }

    public static func isValid(_ text: String) -> Bool { parse(text) != nil }
}
