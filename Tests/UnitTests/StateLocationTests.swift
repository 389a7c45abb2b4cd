import Foundation
import Logging
import PipelineConfig
import PipelineRuntime
import SmokeflowApp
import SmokeflowTesting
import Testing

/// Where a pipeline keeps its state when its file names no `state_dir` (StateLocation), and
/// that a backfill without one runs and keeps its positions there.
@Suite struct StateLocationTests {
    func location(_ environment: [String: String], file: String = "pipelines/backfill.yaml", root: Bool = false) -> String {
        StateLocation.defaultDirectory(forPipeline: file, environment: environment, isRoot: root)
    }

    @Test func systemdsStateDirectoryComesFirstEvenForRoot() {
        #expect(location(["STATE_DIRECTORY": "/var/lib/private/smokeflow"]) == "/var/lib/private/smokeflow/backfill")
        #expect(location(["STATE_DIRECTORY": "/srv/state", "XDG_STATE_HOME": "/x", "HOME": "/home/u"], root: true) == "/srv/state/backfill")
        // systemd lists several directories separated by colons: the first is this service's.
        #expect(location(["STATE_DIRECTORY": "/run/a:/run/b"]) == "/run/a/backfill")
    }

    @Test func aRelativeStateDirectoryIsIgnored() {
        #expect(location(["STATE_DIRECTORY": "state"], root: true) == "/var/lib/smokeflow/backfill")
        #expect(location(["STATE_DIRECTORY": "", "HOME": "/home/u"]) == "/home/u/.local/state/smokeflow/backfill")
    }

    @Test func rootUsesVarLib() {
        #expect(location([:], root: true) == "/var/lib/smokeflow/backfill")
        #expect(location(["XDG_STATE_HOME": "/x", "HOME": "/home/u"], root: true) == "/var/lib/smokeflow/backfill")
    }

    @Test func otherUsersUseTheXDGStateHome() {
        #expect(location(["XDG_STATE_HOME": "/home/u/state", "HOME": "/home/u"]) == "/home/u/state/smokeflow/backfill")
        // Unset, empty or relative: ~/.local/state.
        #expect(location(["HOME": "/home/u"]) == "/home/u/.local/state/smokeflow/backfill")
        #expect(location(["XDG_STATE_HOME": "relative", "HOME": "/home/u"]) == "/home/u/.local/state/smokeflow/backfill")
        // No HOME at all: the account's home directory.
        #expect(location([:]) == NSHomeDirectory() + "/.local/state/smokeflow/backfill")
    }

    @Test func theFolderIsTheFilesNameWithoutItsExtension() {
        let environment = ["STATE_DIRECTORY": "/s"]
        #expect(location(environment, file: "/etc/smokeflow/edge.v2.yml") == "/s/edge.v2")
        #expect(location(environment, file: "backfill.yaml") == "/s/backfill")
        // Two pipelines never share positions.
        #expect(location(environment, file: "a/backfill.yaml") != location(environment, file: "a/tail.yaml"))
    }

    // MARK: LoadedPipeline

    func write(_ yaml: String, name: String) throws -> String {
        let path = temporaryDirectory() + "/" + name
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func aBackfillWithoutStateDirUsesTheDefaultLocationAndKeepsItsPositionsThere() async throws {
        let tree = SmokePingTree()
        try await tree.update(try await tree.create("Core/r1.rrd"), rounds: 0..<30)
        let (key, probe) = Observer.make()
        let file = try write("""
            sources:
              history: { type: rrd, mode: backfill, path: \(tree.root) }
            sinks:
              collect: { type: collect, inputs: [history], probe: \(key) }
            """, name: "history-import.yaml")
        let state = temporaryDirectory() + "/state"
        let loaded = try LoadedPipeline.load(
            file, envFile: nil, overrides: .init(once: true), registry: .testing, environment: ["STATE_DIRECTORY": state])
        #expect(loaded.defaultStateDirectory == state + "/history-import")
        #expect(loaded.settings.stateDirectory == state + "/history-import")
        #expect(loaded.settings.checkpointStorage?.description == state + "/history-import")

        var settings = loaded.settings
        settings.signals = []
        let report = try await Pipeline(plan: loaded.plan, settings: settings, logger: Logger(label: "test")).run()
        #expect(report.succeeded, "\(report.failures)")
        #expect(probe.received.withLock { $0.count } > 0)
        let positions = state + "/history-import/rrd-history.json"
        let document = try #require(FileManager.default.contents(atPath: positions), "no positions in \(positions)")
        #expect(String(decoding: document, as: UTF8.self).contains("Core/r1.rrd") || String(decoding: document, as: UTF8.self).contains(#"Core\/r1.rrd"#))
    }

    @Test func stateDirInTheFileOrOnTheCommandLineWinsOverTheDefault() throws {
        let configured = temporaryDirectory()
        let yaml = """
            state_dir: \(configured)
            sources:
              history: { type: rrd, mode: backfill, path: /nonexistent }
            sinks:
              collect: { type: collect, inputs: [history], probe: x }
            """
        let file = try write(yaml, name: "p.yaml")
        let environment = ["STATE_DIRECTORY": "/should/not/be/used"]
        let fromFile = try LoadedPipeline.load(file, envFile: nil, registry: .testing, environment: environment)
        #expect(fromFile.defaultStateDirectory == nil && fromFile.settings.stateDirectory == configured)
        let overridden = try LoadedPipeline.load(
            file, envFile: nil, overrides: .init(stateDirectory: "/from/the/command/line"), registry: .testing, environment: environment)
        #expect(overridden.defaultStateDirectory == nil && overridden.settings.stateDirectory == "/from/the/command/line")
    }
}
