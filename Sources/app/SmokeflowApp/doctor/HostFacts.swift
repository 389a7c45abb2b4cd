#if canImport(Glibc)
import Glibc
#endif
import CSystemClock
import Foundation
import ProbeEngine

/// What the host checks read from the machine. Every call blocks (sockets, files, a child
/// process): `Doctor` runs them on `NIOThreadPool`.
enum HostFacts {
    static func icmp() -> DoctorFinding {
        HostChecks.icmp(
            v4: ICMPAccess.check(v6: false), v6: ICMPAccess.check(v6: true), euid: geteuid(), capabilities: effectiveCapabilities(),
            pingGroupRange: (try? String(contentsOfFile: "/proc/sys/net/ipv4/ping_group_range", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "\t", with: " "))
    }

    static func effectiveCapabilities() -> UInt64? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") })
        else { return nil }
        return UInt64(line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16)
    }

    /// Writes, fsyncs and removes a file in `path` (or the nearest folder above it that exists,
    /// since the pipeline creates its state directory at the first run).
    static func stateDirectory(_ path: String, minimumFree: Int64) -> DoctorFinding {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        if exists, !isDirectory.boolValue { return HostChecks.stateDirectory(path, exists: true, writeError: ENOTDIR, freeBytes: nil, minimumFree: minimumFree) }
        var folder = path
        while !FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) { folder = (folder as NSString).deletingLastPathComponent }
        guard isDirectory.boolValue else { return HostChecks.stateDirectory(path, exists: false, writeError: ENOTDIR, freeBytes: nil, minimumFree: minimumFree) }
        let probe = folder + "/.smokeflow-doctor-\(getpid())"
        let descriptor = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return HostChecks.stateDirectory(path, exists: exists, writeError: errno, freeBytes: nil, minimumFree: minimumFree) }
        let written = write(descriptor, "ok", 2) == 2 && fsync(descriptor) == 0
        let writeError = written ? nil : errno
        close(descriptor)
        unlink(probe)
        var info = statvfs()
        let free = statvfs(folder, &info) == 0 ? Int64(info.f_bavail) * Int64(info.f_frsize) : nil
        return HostChecks.stateDirectory(path, exists: exists, writeError: writeError, freeBytes: free, minimumFree: minimumFree)
    }

    static func clock() -> DoctorFinding {
        let status = smokeflow_clock_status(nil)
        return HostChecks.clock(timedatectl: timedatectlSynchronised(), kernelStatus: status < 0 ? nil : status)
    }

    /// "yes", "no", or nil when timedatectl is absent or cannot answer (no systemd as PID 1).
    static func timedatectlSynchronised() -> String? {
        guard let path = ["/usr/bin/timedatectl", "/bin/timedatectl"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["show", "-p", "NTPSynchronized", "--value"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
