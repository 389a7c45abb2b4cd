import Foundation
import LineProtocol
import Synchronization
import SmokeflowTesting
import Testing

/// The `smokeflow` executable, run as an operator would.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct CommandLineTests: CommandLineRunning {
    @Test func validatePrintsOneLinePerProblemAndExitsOne() async throws {
        let directory = temporaryDirectory()
        let bad = directory + "/bad.yaml"
        try """
            sources:
              a: { type: fixture, path: x, colour: red }
            sinks:
              out: { type: stdout, inputs: [b] }
            """.write(toFile: bad, atomically: true, encoding: .utf8)
        let result = try await smokeflow(["validate", "pipelines/default.yaml", bad])
        #expect(result.status == 1)
        #expect(result.stderr.split(separator: "\n") == [
            "\(bad):2:3: source 'a' is not an input of any transform or sink",
            "\(bad):2:32: unknown option 'colour' for 'a'",
            "\(bad):4:33: input 'b' of 'out' is not a source or transform in this file",
        ])
        #expect(try await smokeflow(["validate", "pipelines/default.yaml"]).status == 0)
    }

    @Test func replayPrintsTheFixtureAsLineProtocol() async throws {
        let result = try await smokeflow(["replay", "fixtures/day.lp.zst", "--log-level", "error"])
        #expect(result.status == 0)
        let points = try LineProtocolParser.parse(result.stdout)
        #expect(points.count == 2304)
        #expect(Set(points.map(\.measurement)) == ["latency", "dns_latency"])
    }

    @Test func sigtermStopsTheSourceDrainsAndExitsZero() async throws {
        let directory = temporaryDirectory()
        let pipeline = directory + "/slow.yaml"
        try """
            sources:
              live: { type: fixture, path: fixtures/day.lp.zst, speed: 7200 }
            sinks:
              out: { type: file, inputs: [live], path: \(directory)/out.lp }
            """.write(toFile: pipeline, atomically: true, encoding: .utf8)
        let output = directory + "/out.lp"
        // SIGTERM once the first points are on disk, wherever the run is by then.
        let result = try await smokeflow(["run", pipeline]) {
            ((try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0) > 0
        }
        #expect(result.status == 0, "\(result.stderr)")
        let written = try String(contentsOfFile: directory + "/out.lp", encoding: .utf8)
        let points = try LineProtocolParser.parse(written)
        // At 7200x a day takes 12 s: a signal early on leaves a whole-line prefix.
        #expect(points.count > 0 && points.count < 2304)
        #expect(written.hasSuffix("\n"))
    }

    @Test func aDrainThatCannotFinishIsCutAtTheShutdownTimeout() async throws {
        let directory = temporaryDirectory()
        let pipeline = directory + "/stuck.yaml"
        // Nothing listens on this port, so the sink retries until the drain bound cuts it off.
        try """
            shutdown_timeout: 1s
            sources:
              live: { type: fixture, path: fixtures/day.lp.zst, speed: 7200 }
            sinks:
              influx: { type: influx, inputs: [live], url: "http://127.0.0.1:\(freePort())", database: x, flush_interval: 100ms }
            """.write(toFile: pipeline, atomically: true, encoding: .utf8)
        // SIGTERM once the sink has reported its first failed attempt: the pipeline is running
        // (its signal handlers are in place) and the drain cannot finish.
        let signalled = Mutex<ContinuousClock.Instant?>(nil)
        let result = try await smokeflow(["run", pipeline, "--log-level", "warning"], signalWhenPrinted: { _, stderr in
            guard !stderr.isEmpty else { return false }
            signalled.withLock { $0 = .now }
            return true
        })
        #expect(result.status == 1)
        let sent = try #require(signalled.withLock { $0 }, "\(result.stderr)")
        // Cut at the 1 s shutdown timeout (a sink retrying forever would run into the time limit).
        #expect(ContinuousClock.now - sent < .seconds(20))
        #expect(result.stderr.contains("did not drain within"), "\(result.stderr)")
    }

    /// Review M8: a password on the command line is readable in /proc/PID/cmdline; the command
    /// says so (without the value) and points at DATABASE_URL.
    @Test func aDatabaseURLOnTheCommandLineIsWarnedAboutWithoutItsPassword() async throws {
        // Nothing listens on port 1: the command fails at once, after the warning.
        let result = try await smokeflow(["db", "status", "--database-url", "postgresql://u:pw-0f3a@127.0.0.1:1/x?connect_timeout=2"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("smokeflow: warning: --database-url is visible to every local user"), "\(result.stderr)")
        #expect(result.stderr.contains("DATABASE_URL") && !result.stderr.contains("pw-0f3a"), "\(result.stderr)")
        let quiet = try await smokeflow(["db", "status"], environment: ["DATABASE_URL": "postgresql://u:pw-0f3a@127.0.0.1:1/x?connect_timeout=2"])
        #expect(quiet.status == 1 && !quiet.stderr.contains("warning") && !quiet.stderr.contains("pw-0f3a"), "\(quiet.stderr)")
    }

    @Test func aFailedSinkExitsNonZeroNamingIt() async throws {
        let directory = temporaryDirectory()
        let pipeline = directory + "/p.yaml"
        try """
            sources:
              recorded: { type: fixture, path: fixtures/day.lp.zst }
            sinks:
              out: { type: file, inputs: [recorded], path: \(directory)/no/such/dir/out.lp }
            """.write(toFile: pipeline, atomically: true, encoding: .utf8)
        let result = try await smokeflow(["run", pipeline, "--log-level", "error"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("smokeflow: sink 'out': \(directory)/no/such/dir/out.lp: open failed: No such file or directory"))
    }

    @Test func recordWritesAReplayableFixtureOfOneStage() async throws {
        let directory = temporaryDirectory()
        let fixture = directory + "/tagged.lp.zst"
        let recorded = try await smokeflow(
            ["record", "--pipeline", "pipelines/replay.yaml", "--stage", "agent", "--out", fixture, "--log-level", "error"],
            environment: ["SMOKEFLOW_AGENT": "recorder"])
        #expect(recorded.status == 0, "\(recorded.stderr)")
        let replayed = try await smokeflow(["replay", fixture, "--log-level", "error"])
        let points = try LineProtocolParser.parse(replayed.stdout)
        #expect(points.count == 2304)
        #expect(points.allSatisfy { $0.tag("agent") == "recorder" })
    }

    /// A backfill whose file names no state_dir runs, keeps its positions in the default
    /// location ($STATE_DIRECTORY/<pipeline>, as under systemd) and says where.
    @Test func aBackfillWithoutStateDirKeepsItsStateInTheDefaultLocationAndSaysWhere() async throws {
        let directory = temporaryDirectory()
        let tree = SmokePingTree()
        try await tree.update(try await tree.create("Core/r1.rrd"), rounds: 0..<30)
        let pipeline = directory + "/history-import.yaml"
        try """
            sources:
              history: { type: rrd, mode: backfill, path: \(tree.root) }
            sinks:
              out: { type: file, inputs: [history], path: \(directory)/out.lp }
            """.write(toFile: pipeline, atomically: true, encoding: .utf8)
        let state = directory + "/state"
        let result = try await smokeflow(["run", pipeline, "--log-level", "info"], environment: ["STATE_DIRECTORY": state])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("state in \(state)/history-import (default: \(pipeline) names no state_dir)"), "\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: state + "/history-import/rrd-history.json"))
        let points = try LineProtocolParser.parse(try String(contentsOfFile: directory + "/out.lp", encoding: .utf8))
        #expect(points.count > 0)
        // A second run resumes from those positions: nothing is sent again (the file sink
        // appends, so the file is as the first run left it).
        let again = try await smokeflow(["run", pipeline, "--log-level", "info"], environment: ["STATE_DIRECTORY": state])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try LineProtocolParser.parse(try String(contentsOfFile: directory + "/out.lp", encoding: .utf8)).count == points.count)
    }
}
