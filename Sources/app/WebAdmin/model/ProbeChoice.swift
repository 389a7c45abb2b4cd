public import TargetStore

/// The probe of an ICMP target added through the form, by name from the store's probes: one
/// whose module is FPing6 when the host can only be reached over IPv6 (an IPv6 literal, or a
/// name with only AAAA answers), else one whose module is FPing. A dual-stack name gets FPing:
/// smoking-pi also tested whether its own container could reach the IPv6 internet, which says
/// nothing about the probe's network, so that test is not copied.
public enum ProbeChoice {
    /// The form's `force_probe`: `auto`, or a probe (or module) name the user picked.
    public enum Request: Sendable, Equatable {
        case automatic
        case forced(String)
    }

    /// The chosen probe's name, or nil when the store has no probe of the needed module (or no
    /// probe of the forced name or module).
    public static func icmpProbe(for host: HostCheck.Outcome, request: Request = .automatic, probes: [ProbeRecord]) -> String? {
        switch request {
        case .forced(let name):
            if probes.contains(where: { $0.name == name }) { return name }
            return probe(ofModule: name, in: probes)
        case .automatic:
            return probe(ofModule: host.isIPv6Only ? "FPing6" : "FPing", in: probes)
        }
    }

    /// The probe named after the module itself, else the store's default probe if it runs the
    /// module, else the first that does (`FPingSlow` of FPing).
    static func probe(ofModule module: String, in probes: [ProbeRecord]) -> String? {
        let running = probes.filter { $0.moduleName == module }
        return (running.first { $0.name == module } ?? running.first(where: \.isDefault) ?? running.first)?.name
    }
}
