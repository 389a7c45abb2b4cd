import Foundation
import SmokeflowTesting
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The system's SmokePing (Debian's 2.7.3, installed by scripts/test). Without it the tests
/// that run it are skipped, unless SMOKEFLOW_REQUIRE_SERVERS=1, where they fail.
enum SmokePingInstallation {
    static let binary = Servers.environment["SMOKEFLOW_SMOKEPING"] ?? "/usr/sbin/smokeping"
    static var installed: Bool { FileManager.default.isExecutableFile(atPath: binary) }
    static var runIntegration: Bool { Servers.required || installed }

    static func requireInstalled() throws {
        try #require(installed, "\(binary) is not installed (apt-get install smokeping)")
    }

    /// A complete configuration in `directory` whose paths all lie in it (data, pid, image
    /// cache), including `Probes` and `Targets` from the same folder, as a deployment would.
    static func writeConfig(in directory: String, step: Int, pings: Int) throws -> String {
        for folder in ["data", "run", "cache"] {
            try FileManager.default.createDirectory(atPath: directory + "/" + folder, withIntermediateDirectories: true)
        }
        let config = general(in: directory) + """

            *** Database ***
            step = \(step)
            pings = \(pings)

            AVERAGE 0.5 1 1008
            AVERAGE 0.5 12 4320
                MIN 0.5 12 4320
                MAX 0.5 12 4320

            """ + presentation + """

            @include Probes
            @include Targets

            """
        let path = directory + "/config"
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

extension SmokePingInstallation {
    /// `*** General ***` with every path in `directory`.
    static func general(in directory: String) -> String {
        """
        *** General ***
        owner = smokeflow test
        contact = nobody@example.invalid
        mailhost = 127.0.0.1
        imgcache = \(directory)/cache
        imgurl = cache
        datadir = \(directory)/data
        piddir = \(directory)/run
        smokemail = /etc/smokeping/smokemail
        tmail = /etc/smokeping/tmail
        cgiurl = http://127.0.0.1/smokeping.cgi

        """
    }

    /// `*** Presentation ***` with the mandatory overview and detail.
    static let presentation = """
        *** Presentation ***
        template = /etc/smokeping/basepage.html

        + overview
        width = 600
        height = 50
        range = 10h

        + detail
        width = 600
        height = 200
        "Last 3 Hours" 3h

        """
}

/// `smokeping --nodaemon` of a test's own, logging to a file. SmokePing writes its pidfile
/// only when it daemonizes, so the test writes `piddir/smokeping.pid` itself, as the daemon would.
final class OwnSmokePing: @unchecked Sendable {
    let process = Process()
    let logFile: String
    let pidFile: String

    /// `writePidfile: false`: the caller writes it with `writePidfile()` once the daemon has
    /// installed its SIGHUP handler (a SIGHUP before that ends the process).
    init(config: String, directory: String, writePidfile: Bool = true) throws {
        logFile = directory + "/smokeping.log"
        pidFile = directory + "/run/smokeping.pid"
        // The test runner's threads block some signals (SIGHUP among them), and a blocked mask
        // survives exec: perl clears it and the HUP disposition, as a daemon's init would have.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/perl")
        process.arguments = [
            "-MPOSIX", "-e", "sigprocmask(SIG_SETMASK, POSIX::SigSet->new) or die; $SIG{HUP} = 'DEFAULT'; exec { $ARGV[0] } @ARGV or die \"exec: $!\"",
            SmokePingInstallation.binary, "--config=" + config, "--nodaemon", "--logfile=" + logFile,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        if writePidfile { try self.writePidfile() }
    }

    func writePidfile() throws {
        try "\(process.processIdentifier)\n".write(toFile: pidFile, atomically: true, encoding: .utf8)
    }

    /// The log, and the signal masks of the process (for a failure's message).
    var log: String {
        let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
        let masks = status.split(separator: "\n").filter { $0.hasPrefix("SigBlk") || $0.hasPrefix("SigIgn") }.joined(separator: " ")
        return ((try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "") + masks
    }

    /// SIGTERM, then SIGKILL if it has not gone within 15 s (a round in progress finishes first).
    func stop() async {
        guard process.isRunning else { return }
        process.terminate()
        if !(await eventually(within: .seconds(15), every: .milliseconds(100)) { !self.process.isRunning }) {
            kill(process.processIdentifier, SIGKILL)
        }
        await process.exited()
    }
}
