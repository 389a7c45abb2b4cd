#if canImport(Glibc)
import Glibc
#endif
import Foundation
import ProbeEngine

/// The checks of the machine itself: pure functions of what was read, so every failing case is
/// a unit test; `HostFacts` reads them (blocking calls: run it on a thread pool).
enum HostChecks {
    static let icmpFix = "run as root, or grant CAP_NET_RAW (setcap cap_net_raw+ep $(command -v smokeflow); systemd: AmbientCapabilities=CAP_NET_RAW; "
        + "compose: cap_add: [NET_RAW]), or allow a group ICMP datagram sockets (sysctl -w net.ipv4.ping_group_range=\"GID GID\")"

    /// `capabilities`: the effective set (`CapEff` of /proc/self/status); bit 13 is CAP_NET_RAW.
    static func icmp(v4: ICMPAccess, v6: ICMPAccess, euid: UInt32, capabilities: UInt64?, pingGroupRange: String?) -> DoctorFinding {
        let why: String
        switch v4 {
        case .raw: why = euid == 0 ? "raw ICMP sockets (root)" : capabilities.map { $0 & (1 << 13) != 0 } == true ? "raw ICMP sockets (CAP_NET_RAW)" : "raw ICMP sockets"
        case .datagram: why = "ICMP datagram sockets (ping_group_range \(pingGroupRange ?? "?") admits one of this user's groups)"
        case .denied(let error):
            let range = pingGroupRange.map { ", ping_group_range \($0)" } ?? ""
            return .problem("icmp", "this user (uid \(euid)) may not open ICMP sockets (\(String(cString: strerror(error)))\(range))", fix: icmpFix)
        }
        switch v6 {
        case .raw, .datagram: return .ok("icmp", why + "; IPv6 too")
        case .denied where v6.isPermissionProblem:
            return .problem("icmp", why + ", but not for IPv6 (ICMPv6 refused)", fix: icmpFix)
        case .denied(let error): return .ok("icmp", why + "; no ICMPv6 here (\(String(cString: strerror(error))))")
        }
    }

    /// `freeBytes` nil: not a place one can write to at all.
    static func stateDirectory(_ path: String, exists: Bool, writeError: Int32?, freeBytes: Int64?, minimumFree: Int64) -> DoctorFinding {
        let name = "state-dir"
        if let writeError {
            let place = exists ? path : "the nearest existing folder above \(path)"
            return .problem(name, "cannot write to \(place) (\(String(cString: strerror(writeError))))",
                fix: "give the user that runs smokeflow a writable \(path) (systemd: StateDirectory=smokeflow), or set state_dir")
        }
        let free = freeBytes ?? 0
        if free < minimumFree {
            return .problem(name, "\(path): only \(bytes(free)) free (at least \(bytes(minimumFree)) wanted)",
                fix: "free space there, or move state_dir to a larger file system")
        }
        return .ok(name, "\(path) is writable\(exists ? "" : " (created at the first run)"), \(bytes(free)) free")
    }

    /// `timedatectl show -p NTPSynchronized --value` when it answered, else the kernel's
    /// `adjtimex` status (what timedatectl reads too): STA_UNSYNC (0x40) means not synchronised.
    static func clock(timedatectl: String?, kernelStatus: Int32?) -> DoctorFinding {
        let fix = "synchronise the clock (timedatectl set-ntp true, or chrony/systemd-timesyncd); rounds are stamped with it"
        switch timedatectl {
        case "yes": return .ok("clock", "synchronised (timedatectl)")
        case "no": return .problem("clock", "not synchronised (timedatectl: NTPSynchronized=no)", fix: fix)
        default: break
        }
        guard let kernelStatus else { return .skip("clock", "cannot tell: no timedatectl answer and adjtimex failed") }
        return kernelStatus & 0x40 == 0
            ? .ok("clock", "synchronised (the kernel's adjtimex status)")
            : .problem("clock", "not synchronised (the kernel's adjtimex status has STA_UNSYNC)", fix: fix)
    }

    static func bytes(_ count: Int64) -> String {
        let mib = Double(count) / 1_048_576
        return mib >= 1024 ? String(format: "%.1f GiB", mib / 1024) : String(format: "%.0f MiB", mib)
    }
}
