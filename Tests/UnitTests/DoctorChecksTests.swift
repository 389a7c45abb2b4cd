#if canImport(Glibc)
import Glibc
#endif
import ProbeEngine
@testable import SmokeflowApp
import Testing

/// `smokeflow doctor`'s verdicts on what it read, every failing case included; the real binary
/// on a real machine is `DoctorCommandTests`.
@Suite struct DoctorChecksTests {
    @Test func icmpIsOkForRootCapabilityOrPingGroupAndAProblemOtherwiseWithTheFix() {
        let root = HostChecks.icmp(v4: .raw, v6: .raw, euid: 0, capabilities: 0x1ff, pingGroupRange: "1 0")
        #expect(root == .ok("icmp", "raw ICMP sockets (root); IPv6 too"))
        let capability = HostChecks.icmp(v4: .raw, v6: .raw, euid: 999, capabilities: 1 << 13, pingGroupRange: "1 0")
        #expect(capability.detail.hasPrefix("raw ICMP sockets (CAP_NET_RAW)"))
        let group = HostChecks.icmp(v4: .datagram, v6: .datagram, euid: 999, capabilities: 0, pingGroupRange: "0 2147483647")
        #expect(group.status == .ok && group.detail.contains("ping_group_range 0 2147483647"))

        let denied = HostChecks.icmp(v4: .denied(errno: EPERM), v6: .denied(errno: EPERM), euid: 65534, capabilities: 0, pingGroupRange: "1 0")
        #expect(denied.status == .problem)
        #expect(denied.detail == "this user (uid 65534) may not open ICMP sockets (Operation not permitted, ping_group_range 1 0)")
        #expect(denied.fix?.contains("setcap cap_net_raw+ep") == true && denied.fix?.contains("ping_group_range") == true)

        let noV6Permission = HostChecks.icmp(v4: .datagram, v6: .denied(errno: EACCES), euid: 999, capabilities: 0, pingGroupRange: "0 0")
        #expect(noV6Permission.status == .problem && noV6Permission.detail.hasSuffix("but not for IPv6 (ICMPv6 refused)"))
        let noV6AtAll = HostChecks.icmp(v4: .raw, v6: .denied(errno: EAFNOSUPPORT), euid: 0, capabilities: nil, pingGroupRange: nil)
        #expect(noV6AtAll.status == .ok && noV6AtAll.detail.hasSuffix("no ICMPv6 here (Address family not supported by protocol)"))
    }

    @Test func aStateFolderThatCannotBeWrittenOrIsNearlyFullIsAProblem() {
        let mib: Int64 = 1 << 20
        let fine = HostChecks.stateDirectory("/var/lib/smokeflow/p", exists: true, writeError: nil, freeBytes: 2048 * mib, minimumFree: 100 * mib)
        #expect(fine == .ok("state-dir", "/var/lib/smokeflow/p is writable, 2.0 GiB free"))
        let later = HostChecks.stateDirectory("/var/lib/smokeflow/p", exists: false, writeError: nil, freeBytes: 500 * mib, minimumFree: 100 * mib)
        #expect(later.detail == "/var/lib/smokeflow/p is writable (created at the first run), 500 MiB free")

        let readOnly = HostChecks.stateDirectory("/var/lib/smokeflow/p", exists: true, writeError: EROFS, freeBytes: nil, minimumFree: 0)
        #expect(readOnly.status == .problem && readOnly.detail == "cannot write to /var/lib/smokeflow/p (Read-only file system)")
        #expect(readOnly.fix?.contains("StateDirectory=smokeflow") == true)
        let missingParent = HostChecks.stateDirectory("/srv/x/p", exists: false, writeError: EACCES, freeBytes: nil, minimumFree: 0)
        #expect(missingParent.detail == "cannot write to the nearest existing folder above /srv/x/p (Permission denied)")
        let full = HostChecks.stateDirectory("/p", exists: true, writeError: nil, freeBytes: 20 * mib, minimumFree: 100 * mib)
        #expect(full.status == .problem && full.detail == "/p: only 20 MiB free (at least 100 MiB wanted)")
    }

    @Test func theClockIsReadFromTimedatectlElseFromTheKernelsStatus() {
        #expect(HostChecks.clock(timedatectl: "yes", kernelStatus: 0x40).status == .ok)
        #expect(HostChecks.clock(timedatectl: "no", kernelStatus: 0).status == .problem)
        #expect(HostChecks.clock(timedatectl: nil, kernelStatus: 0x2001) == .ok("clock", "synchronised (the kernel's adjtimex status)"))
        let unsynchronised = HostChecks.clock(timedatectl: nil, kernelStatus: 0x41)
        #expect(unsynchronised.status == .problem && unsynchronised.fix?.contains("timedatectl set-ntp true") == true)
        #expect(HostChecks.clock(timedatectl: nil, kernelStatus: nil).status == .skip)
    }

    @Test func aFindingIsOneLineAndOnlyProblemsFail() {
        let findings: [DoctorFinding] = [
            .ok("icmp", "raw ICMP sockets (root)"), .skip("pipeline", "no pipeline file given"),
            .problem("env-file", "/x/.env: permissions 0644 are too open", fix: "chmod 600 /x/.env"),
        ]
        #expect(findings.map(\.line) == [
            "ok      icmp: raw ICMP sockets (root)",
            "skip    pipeline: no pipeline file given",
            "problem env-file: /x/.env: permissions 0644 are too open; fix: chmod 600 /x/.env",
        ])
        #expect(findings.summary == "doctor: 1 ok, 1 problem, 1 skipped")
        #expect(!findings.passed && Array(findings.prefix(2)).passed)
    }
}
