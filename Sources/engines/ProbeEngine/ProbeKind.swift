/// What a probe measures, for checking its targets: `icmp` (IPv4), `icmp6` or `dns`.
public enum ProbeKind: String, Sendable, CaseIterable {
    case icmp, icmp6, dns

    public var probeType: String {
        switch self {
        case .icmp: return "fping"
        case .icmp6: return "fping6"
        case .dns: return "dns"
        }
    }

    public var measurement: String { self == .dns ? "dns_latency" : "latency" }
}
