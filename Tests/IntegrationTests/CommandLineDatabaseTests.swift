import Foundation
import LineProtocol
import Postgres
import SmokeflowTesting
import Testing

/// `smokeflow db …` and `smokeflow targets …` against the real PostgreSQL.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct CommandLineDatabaseTests: CommandLineRunning {
    @Test(.enabled(if: PostgresServers.runIntegration))
    func databaseCommandsMigrateImportAndExport() async throws {
        let url = try await PostgresServers.freshDatabase()
        let environment = ["DATABASE_URL": url]
        let status = try await smokeflow(["db", "status"], environment: environment)
        #expect(status.status == 0)
        #expect(status.stdout.split(separator: "\n").allSatisfy { $0.contains("\tpending\t") })
        #expect(try await smokeflow(["db", "migrate"], environment: environment).stdout.hasSuffix("now at version 8\n"))
        #expect(try await smokeflow(["db", "migrate"], environment: environment).stdout == "up to date at version 8\n")

        let directory = temporaryDirectory()
        try "name,host,category\nr1,192.0.2.1,default\nr2,192.0.2.999,default\nr3,192.0.2.3,nosuch\n"
            .write(toFile: directory + "/bad.csv", atomically: true, encoding: .utf8)
        let bad = try await smokeflow(["targets", "import", directory + "/bad.csv"], environment: environment)
        #expect(bad.status == 1)
        #expect(bad.stderr.split(separator: "\n") == [
            "\(directory)/bad.csv:3:1: target 'r2': host '192.0.2.999' is neither an IP address nor a valid host name",
            "\(directory)/bad.csv:4:1: target 'r3': unknown category 'nosuch'",
        ])
        #expect(try await smokeflow(["targets", "export", "--format", "csv"], environment: environment).stdout
            == "name,host,title,active,category,probe,site,cachegroup,lookup,record,alerts\n")

        try "targets:\n  - { name: r1, host: 192.0.2.1, category: default, site: \"ams, \\\"1\\\"\" }\n"
            .write(toFile: directory + "/good.yaml", atomically: true, encoding: .utf8)
        let good = try await smokeflow(["targets", "import", directory + "/good.yaml"], environment: environment)
        #expect(good.status == 0, "\(good.stderr)")
        let exported = try await smokeflow(["targets", "export", "--format", "csv"], environment: environment)
        #expect(exported.stdout == "name,host,title,active,category,probe,site,cachegroup,lookup,record,alerts\nr1,192.0.2.1,,true,default,FPing,\"ams, \"\"1\"\"\",,,,\n")
    }

    @Test func databaseErrorsAreOneLineWithoutThePassword() async throws {
        let secret = "pw-" + UUID().uuidString
        // From the environment, the documented way (`--database-url` adds a warning line first:
        // CommandLineTests.aDatabaseURLOnTheCommandLineIsWarnedAboutWithoutItsPassword).
        let result = try await smokeflow(["db", "status"], environment: ["DATABASE_URL": "postgresql://u:\(secret)@127.0.0.1:1/x"])
        #expect(result.status == 1)
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(result.stderr.hasPrefix("smokeflow: postgres: connection to server at \"127.0.0.1\", port 1 failed"))
        #expect(!result.stderr.contains(secret))
    }

    /// A pipeline file whose RRD reader keeps its positions in a fresh, migrated PostgreSQL
    /// database (`checkpoints: postgres`); its output goes to `<directory>/out.lp`.
    func postgresCheckpointedPipeline() async throws -> (pipeline: String, directory: String, url: String) {
        let url = try await PostgresServers.freshDatabase()
        let migrated = try await smokeflow(["db", "migrate"], environment: ["DATABASE_URL": url])
        #expect(migrated.status == 0, "\(migrated.stderr)")
        let tree = SmokePingTree()
        try await tree.update(try await tree.create("Core/r1.rrd"), rounds: 0..<60, seed: 2)
        let directory = temporaryDirectory()
        let pipeline = directory + "/shared-positions.yaml"
        try """
            database_url: "\(url)"
            checkpoints: postgres
            sources:
              history: { type: rrd, mode: backfill, path: \(tree.root) }
            transforms:
              tagged: { type: add_tags, inputs: [history], tags: { agent: recorder } }
            sinks:
              out: { type: file, inputs: [tagged], path: \(directory)/out.lp }
            """.write(toFile: pipeline, atomically: true, encoding: .utf8)
        return (pipeline, directory, url)
    }

    /// `replay --pipeline FILE` runs a file with `checkpoints: postgres`: its stages and settings,
    /// its sources replaced by the fixture (it used to stop with "checkpoints: postgres is not
    /// available here").
    @Test(.enabled(if: PostgresServers.runIntegration))
    func replayRunsAFileWithPostgresCheckpoints() async throws {
        let (pipeline, directory, _) = try await postgresCheckpointedPipeline()
        let replayed = try await smokeflow(["replay", "fixtures/day.lp.zst", "--pipeline", pipeline, "--log-level", "error"])
        #expect(replayed.status == 0, "\(replayed.stderr)")
        let written = try LineProtocolParser.parse((try? String(contentsOfFile: directory + "/out.lp", encoding: .utf8)) ?? "")
        #expect(written.count == 2304 && written.allSatisfy { $0.tag("agent") == "recorder" }, "\(written.count) points")
    }

    /// `record` runs a file with `checkpoints: postgres`: the stage's output becomes a fixture,
    /// and the production positions in PostgreSQL are left alone (the next real run would skip
    /// what went only into the fixture): record keeps its positions in memory.
    @Test(.enabled(if: PostgresServers.runIntegration))
    func recordRunsAFileWithPostgresCheckpoints() async throws {
        let (pipeline, directory, url) = try await postgresCheckpointedPipeline()
        let fixture = directory + "/tagged.lp.zst"
        let recorded = try await smokeflow(["record", "--pipeline", pipeline, "--stage", "tagged", "--out", fixture, "--log-level", "error"])
        #expect(recorded.status == 0, "\(recorded.stderr)")
        let points = try LineProtocolParser.parse(try await smokeflow(["replay", fixture, "--log-level", "error"]).stdout)
        #expect(points.count > 50 && points.allSatisfy { $0.tag("agent") == "recorder" }, "\(points.count) points")
        let connection = try await PostgresConnection.connect(url)
        let rows = try await connection.query("SELECT name FROM smokeflow_checkpoints")
        let names = try rows.map { try $0.decode(0, as: String.self) }
        await connection.close()
        #expect(names == [])
    }

    /// `record` and `replay --pipeline` against a tail pipeline's state directory leave its files
    /// byte for byte as they were; `--state-dir` gives them a state of their own.
    @Test func recordAndReplayLeaveTheProductionStateAlone() async throws {
        let tree = SmokePingTree()
        let file = try await tree.create("Core/r1.rrd")
        try await tree.update(file, rounds: 0..<30, seed: 2)
        let directory = temporaryDirectory()
        let pipeline = directory + "/tail.yaml"
        try """
            state_dir: \(directory)/state
            sources:
              live: { type: rrd, mode: tail, path: \(tree.root), start_from: beginning, poll_interval: 200ms }
            sinks:
              out: { type: file, inputs: [live], path: \(directory)/out.lp }
            """.write(toFile: pipeline, atomically: true, encoding: .utf8)
        let run = try await smokeflow(["run", pipeline, "--once", "--log-level", "error"])
        #expect(run.status == 0, "\(run.stderr)")
        let state = directory + "/state/rrd-live.json"
        let before = try #require(FileManager.default.contents(atPath: state))
        try await tree.update(file, rounds: 30..<40, seed: 2)
        let recorded = try await smokeflow(["record", "--pipeline", pipeline, "--stage", "live", "--out", directory + "/x.lp.zst", "--log-level", "error"])
        #expect(recorded.status == 0, "\(recorded.stderr)")
        let replayed = try await smokeflow(["replay", directory + "/x.lp.zst", "--pipeline", pipeline, "--log-level", "error"])
        #expect(replayed.status == 0, "\(replayed.stderr)")
        #expect(FileManager.default.contents(atPath: state) == before, "record or replay moved the production positions")
        let own = directory + "/record-state"
        let again = try await smokeflow(["record", "--pipeline", pipeline, "--stage", "live", "--out", directory + "/y.lp.zst", "--state-dir", own, "--log-level", "error"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(FileManager.default.fileExists(atPath: own + "/rrd-live.json"))
        #expect(FileManager.default.contents(atPath: state) == before)
    }
}
