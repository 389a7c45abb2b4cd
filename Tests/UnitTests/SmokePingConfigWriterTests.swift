import Foundation
@testable import SmokePingConfig
import SmokeflowTesting
import Testing

/// Writing the generated files: only what changed, atomically; reading SmokePing's reload lines.
struct SmokePingConfigWriterTests {
    @Test func onlyFilesWhoseBytesChangedAreWritten() async throws {
        let directory = temporaryDirectory()
        let writer = SmokePingConfigWriter(directory: directory)
        let first = SmokePingConfigFiles(targets: "*** Targets ***\n", probes: "*** Probes ***\n")
        #expect(try await writer.write(first).changed == [writer.probesPath, writer.targetsPath])
        let inode = try #require(try FileManager.default.attributesOfItem(atPath: writer.probesPath)[.systemFileNumber] as? UInt64)

        let again = try await writer.write(first)
        #expect(again.changed.isEmpty && !again.anyChanged)
        #expect(again.unchanged == [writer.probesPath, writer.targetsPath])

        let second = SmokePingConfigFiles(targets: "*** Targets ***\nprobe = FPing\n", probes: first.probes)
        #expect(try await writer.write(second).changed == [writer.targetsPath])
        #expect(try String(contentsOfFile: writer.targetsPath, encoding: .utf8) == second.targets)
        // Probes was left alone: the same file, not a rewrite of the same bytes.
        #expect(try FileManager.default.attributesOfItem(atPath: writer.probesPath)[.systemFileNumber] as? UInt64 == inode)
        // No temporary file is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == ["Probes", "Targets"])
    }

    @Test func aReloadIsReadFromSmokePingsOwnLogLines() {
        #expect(SmokePingDaemon.verdict(ofLines: "Got HUP signal.\n") == .waiting)
        #expect(SmokePingDaemon.verdict(ofLines: "Restarting due to HUP signal.\nReloading configuration.\n") == .waiting)
        #expect(SmokePingDaemon.verdict(ofLines: "Restarting due to HUP signal.\nReloading configuration.\nNot entering multiprocess mode for just a single probe.\n") == .reloaded)
        #expect(SmokePingDaemon.verdict(ofLines: "Reloading configuration.\nChild processes terminated, restarting with new configuration.\n") == .reloaded)
        let failed = "Reloading configuration from /x/config failed: ERROR: /x/Targets, line 3: syntax error"
        #expect(SmokePingDaemon.verdict(ofLines: "Reloading configuration.\n\(failed)\n") == .failed(failed))
    }

    @Test func aMissingPidfileOrADeadProcessIsSaidNotSignalled() async throws {
        let directory = temporaryDirectory()
        let missing = await SmokePingDaemon(pidFile: directory + "/smokeping.pid").reload()
        #expect(!missing.signalled && !missing.verified && missing.action == "nothing")
        #expect(missing.message == "cannot read the pidfile \(directory)/smokeping.pid: is smokeping running?")
        // A process that has exited: its pid is free (reaped), so kill(pid, 0) says ESRCH.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        await process.exited()
        try "\(process.processIdentifier)\n".write(toFile: directory + "/smokeping.pid", atomically: true, encoding: .utf8)
        let dead = await SmokePingDaemon(pidFile: directory + "/smokeping.pid").reload()
        #expect(!dead.signalled && dead.pid == process.processIdentifier)
        #expect(dead.message.hasSuffix("is not running"))
        #expect(await SmokePingDaemon(pidFile: directory + "/smokeping.pid").status() == .init(pid: process.processIdentifier, running: false))
        // This test's own process is alive.
        try "\(ProcessInfo.processInfo.processIdentifier)\n".write(toFile: directory + "/smokeping.pid", atomically: true, encoding: .utf8)
        #expect(await SmokePingDaemon(pidFile: directory + "/smokeping.pid").status().running)
    }

    /// A stale pidfile whose pid a later process took: that process gets no SIGHUP (which
    /// would end `sleep`).
    @Test func aPidThatIsNotSmokePingIsNotSignalled() async throws {
        let directory = temporaryDirectory()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sleep")
        process.arguments = ["60"]
        try process.run()
        defer { process.terminate() }
        try "\(process.processIdentifier)\n".write(toFile: directory + "/smokeping.pid", atomically: true, encoding: .utf8)
        let result = await SmokePingDaemon(pidFile: directory + "/smokeping.pid").reload()
        #expect(!result.signalled && result.message.hasSuffix("is not smokeping (a stale pidfile?)"), "\(result)")
        #expect(process.isRunning)
    }
}
