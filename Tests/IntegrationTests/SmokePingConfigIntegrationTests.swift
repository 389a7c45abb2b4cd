import Foundation
import SmokePingConfig
import SmokeflowTesting
import TargetStore
import Testing

/// The generated files against the real SmokePing: `smokeping --check` accepts them, and a
/// running daemon reloads them on SIGHUP and creates the new target's RRD file.
@Suite(.enabled(if: SmokePingInstallation.runIntegration), .timeLimit(.minutes(5)))
struct SmokePingConfigIntegrationTests {
    static let probes = [
        ProbeRecord(name: "FPing", binaryPath: "/usr/bin/fping", stepSeconds: 15, pings: 3, isDefault: true),
        ProbeRecord(name: "FPingSlow", binaryPath: "/usr/bin/fping", stepSeconds: 30, pings: 3, module: "FPing6"),
        ProbeRecord(name: "DNS", binaryPath: "/usr/bin/dig", stepSeconds: 15, pings: 3, forks: 2),
    ]
    static let categories = [
        CategoryRecord(name: "lo", displayName: "Loopback", description: "This host"),
        CategoryRecord(name: "lo/deeper", displayName: "Deeper"),
    ]
    static let targets = [
        TargetRecord(name: "one", host: "127.0.0.1", title: "Loopback one", category: "lo"),
        TargetRecord(name: "six", host: "::1", category: "lo/deeper", probe: "FPingSlow"),
        TargetRecord(name: "resolver", host: "127.0.0.1", category: "lo", probe: "DNS", lookup: "localhost"),
        TargetRecord(name: "loose", host: "127.0.0.3"),
        TargetRecord(name: "off", host: "127.0.0.4", isActive: false, category: "lo"),
    ]

    @Test func smokepingCheckAcceptsTheGeneratedFilesAndRefusesABrokenOne() async throws {
        try SmokePingInstallation.requireInstalled()
        let directory = temporaryDirectory()
        let config = try SmokePingInstallation.writeConfig(in: directory, step: 15, pings: 3)
        let files = try SmokePingConfigRenderer().render(targets: Self.targets, categories: Self.categories, probes: Self.probes)
        _ = try await SmokePingConfigWriter(directory: directory).write(files)
        let checker = SmokePingCheck(binary: SmokePingInstallation.binary)
        let good = await checker.check(config: config)
        #expect(good.passed, "\(good.message)\n\(files.targets)\n\(files.probes)")
        #expect(good.message == "Configuration file '\(config)' syntax OK.")

        // The same check refuses what SmokePing cannot read: the proof that it reads our files.
        let broken = SmokePingConfigFiles(targets: files.targets + "\n++ bad\nhost = 127.0.0.9\nforks = 3\n", probes: files.probes)
        _ = try await SmokePingConfigWriter(directory: directory).write(broken)
        let refused = await checker.check(config: config)
        #expect(!refused.passed)
        #expect(refused.message.hasPrefix("ERROR: \(directory)/Targets, line "), "\(refused.message)")
    }

    @Test func aRunningSmokePingReloadsOnSIGHUPAndCreatesTheNewTargetsFile() async throws {
        try SmokePingInstallation.requireInstalled()
        let directory = temporaryDirectory()
        let config = try SmokePingInstallation.writeConfig(in: directory, step: 15, pings: 3)
        let probes = [Self.probes[0]]
        var targets = [TargetRecord(name: "one", host: "127.0.0.1", category: "lo")]
        let writer = SmokePingConfigWriter(directory: directory)
        let renderer = SmokePingConfigRenderer()
        _ = try await writer.write(try renderer.render(targets: targets, categories: Self.categories, probes: probes))

        let smokeping = try OwnSmokePing(config: config, directory: directory)
        do {
            let first = directory + "/data/lo/one.rrd"
            #expect(await eventually(within: .seconds(60), every: .milliseconds(200)) { FileManager.default.fileExists(atPath: first) },
                    "\(smokeping.log)")

            targets.append(TargetRecord(name: "two", host: "127.0.0.2", category: "lo"))
            let written = try await writer.write(try renderer.render(targets: targets, categories: Self.categories, probes: probes))
            #expect(written.changed == [writer.targetsPath])
            let daemon = SmokePingDaemon(pidFile: directory + "/run/smokeping.pid", logFile: smokeping.logFile)
            let status = await daemon.status()
            #expect(status.pid == smokeping.process.processIdentifier && status.running)
            let reloaded = await daemon.reload(expectedFiles: [directory + "/data/lo/two.rrd"], timeout: .seconds(90))
            #expect(reloaded.signalled && reloaded.verified, "\(reloaded.message)\n\(smokeping.log)")
            #expect(reloaded.pid == smokeping.process.processIdentifier)
            #expect(reloaded.action == "SIGHUP to pid \(smokeping.process.processIdentifier)")

            // A file SmokePing refuses: the reload is reported as refused, the daemon keeps running.
            try "*** Targets ***\nthis is not a setting\n".write(toFile: writer.targetsPath, atomically: true, encoding: .utf8)
            let refused = await daemon.reload(timeout: .seconds(90))
            #expect(refused.signalled && !refused.verified)
            #expect(refused.message.contains("refused the new configuration"), "\(refused.message)")
            #expect(smokeping.process.isRunning)
        } catch {
            await smokeping.stop()
            throw error
        }
        await smokeping.stop()
    }
}
