import EventModel

/// SmokePing's probe modules (Debian 2.7.3, `/usr/share/perl5/Smokeping/probes/`) and the two
/// facts the generator needs of each: whether it forks (only `basefork` descendants take
/// `forks`; SmokePing refuses the variable elsewhere) and whether it needs `binary`.
public enum SmokePingModules {
    public static let all: Set<String> = [
        "AnotherCurl", "AnotherDNS", "AnotherSSH", "CiscoRTTMonDNS", "CiscoRTTMonEchoICMP", "CiscoRTTMonTcpConnect",
        "Curl", "DNS", "DismanPing", "EchoPing", "EchoPingChargen", "EchoPingDNS", "EchoPingDiscard", "EchoPingHttp",
        "EchoPingHttps", "EchoPingIcp", "EchoPingLDAP", "EchoPingPlugin", "EchoPingSmtp", "EchoPingWhois", "FPing",
        "FPing6", "FPingContinuous", "FTPtransfer", "IOSPing", "IRTT", "LDAP", "NFSping", "OpenSSHEOSPing",
        "OpenSSHJunOSPing", "Qstat", "Radius", "RemoteFPing", "SSH", "SendEmail", "SipSak", "TCPPing", "TacacsPlus",
        "TelnetIOSPing", "TelnetJunOSPing", "TraceroutePing", "WebProxyFilter",
    ]

    /// Modules built on `base`/`basevars` rather than `basefork`: no `forks`.
    static let nonForking: Set<String> = ["FPing", "FPing6", "FPingContinuous", "NFSping", "RemoteFPing", "DismanPing"]

    /// Modules whose `binary` is mandatory (their `_mandatory` lists).
    static let needingBinary: Set<String> = [
        "FPing", "FPing6", "FPingContinuous", "DNS", "IOSPing", "IRTT", "NFSping", "Qstat", "RemoteFPing", "SSH",
        "TCPPing", "TraceroutePing",
    ]

    /// Modules that time DNS queries: their files are `dns_latency` rounds.
    static let dns: Set<String> = ["DNS", "AnotherDNS", "EchoPingDNS", "CiscoRTTMonDNS"]

    /// Modules with a per-target `lookup` (the name to resolve).
    static let withLookup: Set<String> = ["DNS", "AnotherDNS"]

    public static func takesLookup(_ module: String) -> Bool { withLookup.contains(module) }

    /// Modules with a per-target record type (`recordtype`): `DNS` always asks for A.
    public static func takesRecordType(_ module: String) -> Bool { module == "AnotherDNS" }

    public static func takesForks(_ module: String) -> Bool { all.contains(module) && !nonForking.contains(module) }

    public static func needsBinary(_ module: String) -> Bool { needingBinary.contains(module) }

    /// The `probe_type` tag of docs/schema.md for a module's rounds: `fping`, `fping6`, `dns`,
    /// else the module's name in lower case.
    public static func probeType(ofModule module: String) -> String {
        if dns.contains(module) { return LatencySchema.ProbeType.dns }
        if module == "FPing6" { return LatencySchema.ProbeType.fping6 }
        if module == "FPing" || module == "FPingContinuous" || module == "RemoteFPing" { return LatencySchema.ProbeType.fping }
        return module.lowercased()
    }
}
