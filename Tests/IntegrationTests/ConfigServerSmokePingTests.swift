import ConfigManager
import Foundation
import LibRRD
import SmokeflowTesting
import TargetStore
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 12 end to end: a change through `smokeflow serve`'s API → the generated `Targets` and
/// `Probes` → `smokeping --check` → SIGHUP → a real SmokePing daemon (`--nodaemon`, FPing on
/// 127.0.0.x loopback addresses only, step 15 s) → the new target's RRD file with its first
/// round in it. The server runs in the test process with the real `SmokePingFilesPublisher` and
/// the publisher's own timing (quiet period 1 s, at most 5 s).
@Suite(.enabled(if: SmokePingInstallation.runIntegration), .serialized, .timeLimit(.minutes(5)))
struct ConfigServerSmokePingTests {
    @Test(arguments: StoreMode.testable)
    func aTargetPostedThroughTheAPIIsCheckedReloadedAndProbedBySmokePing(mode: StoreMode) async throws {
        try SmokePingInstallation.requireInstalled()
        let lab = try SmokePingLab()
        try await withConfigServer(mode, publishing: lab.publisher, prepare: SmokePingLab.prepare) { server in
            try await lab.waitForTheFirstGeneration(server)
            try await lab.withDaemon(targets: 1) { daemon in
                let offset = lab.logSize()
                let reloadsBefore = await server.server.publisher.reloads
                let created = try await server.call(
                    .POST, "/targets", json: #"{"name":"web","host":"127.0.0.2","title":"Loopback two","category":"default"}"#)
                #expect(created.status == 201, "\(created)")

                // The files: the target in its category's section (`+ default`, `++ web`).
                let section = "\n+ default\nmenu = Default\ntitle = Targets without a category of their own\n"
                let entry = "\n++ web\nmenu = web\ntitle = Loopback two\nhost = 127.0.0.2\n"
                #expect(await eventually(within: .seconds(60), every: .milliseconds(100)) {
                    lab.read(lab.targetsFile).contains(entry)
                }, "\(lab.read(lab.targetsFile))")
                #expect(lab.read(lab.targetsFile).contains(section + "\n++ first\n"), "\(lab.read(lab.targetsFile))")

                // The daemon took them: its own lines after the signal, and /status says so.
                let reloaded = await eventually(within: .seconds(120), every: .milliseconds(200)) {
                    lab.settled(lab.log(from: offset), targets: 2)
                }
                #expect(reloaded, "\(daemon.log)")
                let status = try await lab.waitForVerifiedReload(server, after: reloadsBefore)
                let generation = try #require(status.object["last_generation"] as? [String: Any], "\(status)")
                #expect(generation["success"] as? Bool == true && generation["verified"] as? Bool == true, "\(status)")
                #expect(generation["message"] as? String == "smokeping --check passed", "\(status)")
                let reload = try #require(status.object["last_reload"] as? [String: Any], "\(status)")
                #expect(reload["success"] as? Bool == true && reload["verified"] as? Bool == true, "\(status)")
                #expect(reload["message"] as? String == "smokeping (pid \(daemon.process.processIdentifier)) reloaded its configuration",
                        "\(status)")
                let smokeping = try #require(status.object["smokeping"] as? [String: Any], "\(status)")
                #expect(smokeping["running"] as? Bool == true && smokeping["pid"] as? Int == Int(daemon.process.processIdentifier))
                #expect(lab.log(from: offset).components(separatedBy: "Reloading configuration.").count - 1 == 1, "\(daemon.log)")

                // SmokePing creates the file as it loads the new configuration, and fills it at
                // the new target's first round, which starts within one step of the reload.
                let rrd = lab.directory + "/data/default/web.rrd"
                #expect(await eventually(within: .seconds(SmokePingLab.step + 45), every: .milliseconds(200)) {
                    FileManager.default.fileExists(atPath: rrd)
                }, "\(daemon.log)")
                let update = await lab.firstRound(rrd, within: .seconds(SmokePingLab.step * 2 + 60))
                let round = try #require(update, "no round in \(rrd)\n\(daemon.log)")
                #expect(round.loss == 0 && round.median > 0, "\(round)")
                #expect(daemon.process.isRunning)
            }
        }
    }

    @Test func aBurstOf100WritesIsOneGenerationAndOneReload() async throws {
        try SmokePingInstallation.requireInstalled()
        let lab = try SmokePingLab()
        let serverStarted = ContinuousClock.now
        try await withConfigServer(.file, publishing: lab.publisher, prepare: SmokePingLab.prepare) { server in
            try await lab.waitForTheFirstGeneration(server)
            try await lab.withDaemon(targets: 1) { daemon in
                let publisher = server.server.publisher
                let offset = lab.logSize()
                let reloadsBefore = await publisher.reloads
                let generationsBefore = await publisher.generations

                // One client, one write after another, each timed from its start to its answer.
                var spans: [(start: ContinuousClock.Instant, end: ContinuousClock.Instant)] = []
                for index in 0..<100 {
                    let start = ContinuousClock.now
                    let answer = try await server.call(.POST, "/targets", json: #"{"name":"b\#(index)","host":"127.0.0.\#(10 + index)"}"#)
                    spans.append((start, ContinuousClock.now))
                    try #require(answer.status == 201, "\(answer)")
                }
                let first = try #require(spans.first), last = try #require(spans.last)
                // The most generations the publisher may start before the burst ends: one each
                // time the writes pause for a quiet period (a change lies within its request's
                // span, so two changes are at most `end(i+1) - start(i)` apart; a quarter of the
                // period is counted as a pause, for the delay of the publisher's listener), and
                // one each `maximumDelay` of the burst. After the burst: one more.
                let quiet = Duration.seconds(1), maximumDelay = Duration.seconds(5)
                let burst = last.end - first.start
                let pauses = zip(spans, spans.dropFirst()).count { $1.end - $0.start >= quiet / 4 }
                let allowed = 1 + pauses + Int(burst / maximumDelay)
                let shape = "burst of \(burst), \(pauses) pause(s), at most \(allowed) reload(s)"

                // Settled: the daemon probes every target, so the last generation's reload reached
                // it; then past the quiet period and the maximum delay nothing more may come.
                let settled = await eventually(within: .seconds(180), every: .milliseconds(200)) {
                    lab.settled(lab.log(from: offset), targets: 101)
                }
                #expect(settled, "\(shape)\n\(daemon.log)")
                let reloadsSettled = await publisher.reloads - reloadsBefore
                try await Task.sleep(for: quiet + maximumDelay + .seconds(3))
                let reloads = await publisher.reloads - reloadsBefore
                let generations = await publisher.generations - generationsBefore
                #expect(reloads == reloadsSettled, "a reload after the burst settled: \(shape)")
                #expect(reloads >= 1 && reloads <= allowed, "\(reloads) reloads, \(generations) generations: \(shape)")
                // Generations that find nothing changed write nothing and reload nothing: one
                // each `refreshInterval` (60 s) since the start, and one more if the listener
                // brought a change the generation before had already read.
                let refreshes = Int((ContinuousClock.now - serverStarted) / .seconds(60))
                #expect(generations >= reloads && generations <= allowed + 1 + refreshes, "\(generations) generations: \(shape)")
                // The daemon reloaded as often as it was told to, each time verified.
                let daemonReloads = lab.log(from: offset).components(separatedBy: "Reloading configuration.").count - 1
                #expect(daemonReloads == reloads, "\(shape)\n\(daemon.log)")
                let lastReload = try #require(await publisher.lastReload, "no reload")
                #expect(lastReload.report.verified, "\(lastReload.report.message)")
                print("aBurstOf100WritesIsOneGenerationAndOneReload: \(shape); \(reloads) reload(s), \(generations) generation(s)")

                let targets = lab.read(lab.targetsFile)
                #expect((0..<100).allSatisfy { targets.contains("\n++ b\($0)\nmenu = b\($0)\ntitle = b\($0)\nhost = 127.0.0.\(10 + $0)\n") })
                #expect(FileManager.default.fileExists(atPath: lab.directory + "/data/default/b99.rrd"), "\(daemon.log)")
            }
        }
    }

    /// A store SmokePing's check refuses (a probe binary that does not exist) leaves the files
    /// that passed before on disk, reloads nothing, and says why in /status and /generate.
    @Test func filesSmokePingRefusesAreRolledBackAndNotReloaded() async throws {
        try SmokePingInstallation.requireInstalled()
        let lab = try SmokePingLab()
        try await withConfigServer(.file, publishing: lab.publisher, prepare: SmokePingLab.prepare) { server in
            try await lab.waitForTheFirstGeneration(server)
            let probesFile = lab.directory + "/Probes"
            let before = try String(contentsOfFile: probesFile, encoding: .utf8)
            let probes = try await server.call(.GET, "/probes").object["probes"] as? [[String: Any]] ?? []
            let fping = try #require(probes.first { $0["name"] as? String == "FPing" }?["id"] as? Int)
            let reloadsBefore = await server.server.publisher.reloads
            let changed = try await server.call(.PUT, "/probes/\(fping)", json: #"{"binary_path":"/nonexistent/fping"}"#)
            #expect(changed.status == 200, "\(changed)")
            let refused = try await server.call(.POST, "/generate")
            #expect(refused.status == 409, "\(refused)")
            #expect((refused.object["error"] as? String)?.contains("smokeping --check refused the new files") == true, "\(refused)")
            #expect(try String(contentsOfFile: probesFile, encoding: .utf8) == before)
            let status = try await server.call(.GET, "/status")
            let generation = try #require(status.object["last_generation"] as? [String: Any], "\(status)")
            #expect(generation["success"] as? Bool == false, "\(status)")
            // The debounced generation of the change is refused the same way, and signals nothing.
            try await Task.sleep(for: .seconds(7))
            #expect(try String(contentsOfFile: probesFile, encoding: .utf8) == before)
            #expect(await server.server.publisher.reloads == reloadsBefore)
        }
    }

    @Test func generateAndReloadAnswerWithTheCheckAndTheDaemon() async throws {
        try SmokePingInstallation.requireInstalled()
        let lab = try SmokePingLab()
        try await withConfigServer(.file, publishing: lab.publisher, prepare: SmokePingLab.prepare) { server in
            try await lab.waitForTheFirstGeneration(server)

            // No daemon yet: no pidfile, nothing to signal.
            let noPidfile = try await server.call(.POST, "/reload")
            #expect(noPidfile.status == 409, "\(noPidfile)")
            #expect(noPidfile.object["action"] as? String == "nothing" && noPidfile.object["verified"] as? Bool == false, "\(noPidfile)")
            #expect(noPidfile.object["message"] as? String == "cannot read the pidfile \(lab.pidFile): is smokeping running?", "\(noPidfile)")

            let generated = try await server.call(.POST, "/generate")
            #expect(generated.status == 200, "\(generated)")
            #expect(generated.object["verified"] as? Bool == true, "\(generated)")
            #expect(generated.object["check"] as? String == "smokeping --check passed", "\(generated)")
            #expect(generated.object["changed"] as? [String] == [], "\(generated)")
            #expect(generated.object["targets"] as? Int == 1 && generated.object["probes"] as? Int == 3, "\(generated)")

            var pid: Int32 = 0
            try await lab.withDaemon(targets: 1) { daemon in
                pid = daemon.process.processIdentifier
                let offset = lab.logSize()
                let reloaded = try await server.call(.POST, "/reload")
                #expect(reloaded.status == 200, "\(reloaded)\n\(daemon.log)")
                #expect(reloaded.object["action"] as? String == "SIGHUP to pid \(pid)", "\(reloaded)")
                #expect(reloaded.object["verified"] as? Bool == true && reloaded.object["success"] as? Bool == true, "\(reloaded)")
                #expect(reloaded.object["message"] as? String == "smokeping (pid \(pid)) reloaded its configuration", "\(reloaded)")
                #expect(lab.log(from: offset).contains("Reloading configuration."), "\(daemon.log)")
                #expect(await eventually(within: .seconds(60), every: .milliseconds(200)) {
                    lab.settled(lab.log(from: offset), targets: 1)
                }, "\(daemon.log)")
                let status = try await server.call(.GET, "/status")
                let reload = try #require(status.object["last_reload"] as? [String: Any], "\(status)")
                #expect(reload["verified"] as? Bool == true, "\(status)")
            }

            // The pidfile names a process that has gone.
            let gone = try await server.call(.POST, "/reload")
            #expect(gone.status == 409, "\(gone)")
            #expect(gone.object["verified"] as? Bool == false, "\(gone)")
            #expect(gone.object["message"] as? String == "smokeping (pid \(pid) from \(lab.pidFile)) is not running",
                    "\(gone)")
        }
    }

    /// `POST /generate` writes the files without reloading. Right after a change it writes that
    /// change's files before the debounced generation does, which then finds nothing changed:
    /// the change must still reach the daemon.
    @Test func aChangeIsReloadedEvenWhenGenerateWroteItsFilesFirst() async throws {
        try SmokePingInstallation.requireInstalled()
        let lab = try SmokePingLab()
        try await withConfigServer(.file, publishing: lab.publisher, prepare: SmokePingLab.prepare) { server in
            try await lab.waitForTheFirstGeneration(server)
            try await lab.withDaemon(targets: 1) { daemon in
                let offset = lab.logSize()
                let reloadsBefore = await server.server.publisher.reloads
                let created = try await server.call(.POST, "/targets", json: #"{"name":"late","host":"127.0.0.3","category":"default"}"#)
                #expect(created.status == 201, "\(created)")
                let generated = try await server.call(.POST, "/generate")
                #expect(generated.status == 200 && generated.object["verified"] as? Bool == true, "\(generated)")
                #expect(await eventually(within: .seconds(90), every: .milliseconds(200)) {
                    lab.settled(lab.log(from: offset), targets: 2)
                }, "generate answered \(generated)\n\(daemon.log)")
                let status = try await lab.waitForVerifiedReload(server, after: reloadsBefore)
                #expect((status.object["last_reload"] as? [String: Any])?["verified"] as? Bool == true, "\(status)")
                #expect(FileManager.default.fileExists(atPath: lab.directory + "/data/default/late.rrd"), "\(daemon.log)")
            }
        }
    }
}

/// SmokePing set up as a deployment of `serve` is: a complete configuration that `@include`s
/// the generated `Probes` and `Targets` of its folder (the `--smokeping-dir`), data, pid and
/// image folders inside that folder, and a log file of its own.
struct SmokePingLab {
    static let step = 15
    let directory: String
    let config: String
    var logFile: String { directory + "/smokeping.log" }
    var pidFile: String { directory + "/run/smokeping.pid" }
    var targetsFile: String { directory + "/Targets" }

    init() throws {
        directory = temporaryDirectory()
        config = try SmokePingInstallation.writeConfig(in: directory, step: Self.step, pings: 3)
    }

    /// `serve --smokeping-dir D --smokeping-config D/config --smokeping-pidfile … --smokeping-log …`.
    var publisher: SmokePingFilesPublisher {
        SmokePingFilesPublisher(
            directory: directory, configFile: config, pidfile: pidFile, logFile: logFile,
            smokeping: SmokePingInstallation.binary, reloadTimeout: .seconds(90)
        )
    }

    /// The store before the server starts: the seeded probes at the lab's step (three probes,
    /// so SmokePing runs in multiprocess mode, as deployed) and one loopback target.
    static var prepare: [StoreOperation] {
        var first = TargetFields()
        first.name = "first"
        first.host = "127.0.0.1"
        first.category = .some("default")
        return [
            .replaceProbes([
                ProbeRecord(name: "FPing", binaryPath: "/usr/bin/fping", stepSeconds: step, pings: 3, isDefault: true),
                ProbeRecord(name: "FPing6", binaryPath: "/usr/bin/fping", stepSeconds: step, pings: 3),
                ProbeRecord(name: "DNS", binaryPath: "/usr/bin/dig", stepSeconds: step, pings: 3),
            ]),
            .createTarget(first),
        ]
    }

    /// The publisher's generation at start has written the files, passed the check and tried
    /// its reload (no daemon yet); nothing is pending after it.
    func waitForTheFirstGeneration(_ server: RunningConfigServer) async throws {
        let publisher = server.server.publisher
        let done = await eventually(within: .seconds(60), every: .milliseconds(50)) { await publisher.lastReload != nil }
        try #require(done, "no generation at start")
        let last = await publisher.lastGeneration
        let generation = try #require(last?.report, "\(String(describing: last))")
        #expect(generation.verified, "\(generation.message)\n\(read(targetsFile))")
        #expect(read(directory + "/Probes").contains("step = \(Self.step)"), "\(read(directory + "/Probes"))")
    }

    /// Runs `body` with a started daemon, stopping it however the body ends.
    func withDaemon(targets: Int, _ body: (OwnSmokePing) async throws -> Void) async throws {
        let daemon = try await startDaemon(targets: targets)
        do {
            try await body(daemon)
        } catch {
            await daemon.stop()
            throw error
        }
        await daemon.stop()
    }

    /// Starts SmokePing and writes its pidfile once the daemon can take a SIGHUP (until then a
    /// SIGHUP would end it): the parent logged that its probe processes started, the FPing
    /// process reported its targets (it installs its HUP handler before that line), and the
    /// parent catches SIGHUP (`SigCgt`; it installs its one handler after its line).
    func startDaemon(targets: Int) async throws -> OwnSmokePing {
        let daemon = try OwnSmokePing(config: config, directory: directory, writePidfile: false)
        let pid = daemon.process.processIdentifier
        let ready = await eventually(within: .seconds(60), every: .milliseconds(100)) {
            settled(log(from: 0), targets: targets) && Self.catchesSIGHUP(pid)
        }
        if !ready { await daemon.stop() }
        try #require(ready, "SmokePing did not start: \(daemon.log)")
        try daemon.writePidfile()
        return daemon
    }

    /// Whether `pid` has a handler for SIGHUP (bit 0 of `SigCgt` in /proc/PID/status).
    static func catchesSIGHUP(_ pid: Int32) -> Bool {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigCgt:") }),
              let mask = UInt64(line.dropFirst("SigCgt:".count).trimmingCharacters(in: .whitespaces), radix: 16) else { return false }
        return mask & (1 << (UInt64(SIGHUP) - 1)) != 0
    }

    /// Whether the daemon runs with `targets` FPing targets: after a (re)start, the parent's
    /// "All probe processes started successfully." and the FPing process's report.
    func settled(_ log: String, targets: Int) -> Bool {
        log.contains("All probe processes started successfully.") && log.contains("FPing: probing \(targets) targets with step \(Self.step) s")
    }

    /// `/status` once the reload after `reloads` earlier ones has finished (whatever its verdict).
    func waitForVerifiedReload(_ server: RunningConfigServer, after reloads: Int) async throws -> RunningConfigServer.Answer {
        let publisher = server.server.publisher
        var status = try await server.call(.GET, "/status")
        _ = try await eventually(within: .seconds(120), every: .milliseconds(200)) {
            guard await publisher.reloads > reloads else { return false }
            status = try await server.call(.GET, "/status")
            return (status.object["last_reload"] as? [String: Any])?["verified"] as? Bool == true
        }
        return status
    }

    struct Round: CustomStringConvertible {
        var loss: Double
        var median: Double
        var description: String { "loss \(loss), median \(median) s" }
    }

    /// The first round SmokePing wrote into `rrd` (a known median), within `timeout`.
    func firstRound(_ rrd: String, within timeout: Duration) async -> Round? {
        var round: Round?
        _ = await eventually(within: timeout, every: .milliseconds(500)) {
            guard let last = try? await RRDClient().lastUpdate(rrd) else { return false }
            let values = Dictionary(zip(last.dataSources, last.values), uniquingKeysWith: { first, _ in first })
            guard let median = values["median"].flatMap(Double.init), let loss = values["loss"].flatMap(Double.init) else { return false }
            round = Round(loss: loss, median: median)
            return true
        }
        return round
    }

    func read(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    func logSize() -> UInt64 { (try? FileManager.default.attributesOfItem(atPath: logFile)[.size] as? UInt64) ?? 0 }

    /// SmokePing's log from byte `offset` on.
    func log(from offset: UInt64) -> String {
        guard let handle = FileHandle(forReadingAtPath: logFile) else { return "" }
        defer { try? handle.close() }
        guard (try? handle.seek(toOffset: offset)) != nil, let data = try? handle.readToEnd() else { return "" }
        return String(decoding: data, as: UTF8.self)
    }
}
