import EventModel

/// What a probe measures, for checking its targets: `icmp` (IPv4), `icmp6` or `dns`.
public enum ProbeKind: String, Sendable, CaseIterable {
    case icmp, icmp6, dns

    public var probeType: String {
        switch self {
        case .icmp: return LatencySchema.ProbeType.fping
        case .icmp6: return LatencySchema.ProbeType.fping6
        case .dns: return LatencySchema.ProbeType.dns
        }
    }

    public var measurement: String { self == .dns ? LatencySchema.Measurement.dnsLatency : LatencySchema.Measurement.latency }
}
