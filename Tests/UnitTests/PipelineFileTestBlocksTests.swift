import Foundation
import JobScheduler
import Logging
import PipelineConfig
import PipelineTesting
import Components
import PipelineRuntime
import SmokeflowTesting
import Testing

/// `tests:` blocks and `smokeflow test`.
@Suite struct PipelineFileTestsTests {
    static let yaml = """
        sources:
          in: { type: fixture, path: x.lp.zst }
        transforms:
          tagged: { type: add_tags, inputs: [in], tags: { site: lab } }
        sinks:
          out: { type: stdout, inputs: [tagged] }
        tests:
          - name: passes
            transform: tagged
            input: "m,a=1 v=1 10"
            expect: "m,a=1,site=lab v=1 10"
          - name: fails
            transform: tagged
            input: |
              m v=1 10
            conditions:
              - { tags: { site: elsewhere } }
            count: 2
        """

    @Test func failuresNameTheLineOfWhatFailed() async throws {
        let definition = try PipelineLoader(environment: [:]).load(text: Self.yaml, file: "p.yaml")
        let outcomes = try await PipelineTestRunner(registry: .builtin, logger: Logger(label: "test")).run(definition)
        #expect(outcomes.map(\.passed) == [true, false])
        try #require(outcomes.count == 2)
        // The count's value, then the condition that no point met.
        #expect(outcomes[1].failures.map { "\($0.location)" } == ["p.yaml:18:12", "p.yaml:17:9"])
    }

    @Test func everyShippedPipelinesJobsAreValidAndItsTestsPass() async throws {
        let directory = packageRoot() + "/pipelines"
        var tested = 0
        for file in try FileManager.default.contentsOfDirectory(atPath: directory).filter({ $0.hasSuffix(".yaml") }) {
            let definition = try PipelineLoader(environment: ["INFLUX_TOKEN": "test"]).load(path: directory + "/" + file)
            for job in try JobDefinition.read(definition) {
                _ = try JobRunner(job: job, file: file, registry: .builtin, checkpoints: nil, logger: Logger(label: "test"))
            }
            for outcome in try await PipelineTestRunner(registry: .builtin, logger: Logger(label: "test")).run(definition) {
                #expect(outcome.passed, "\(file): \(outcome.failures)")
                tested += 1
            }
        }
        #expect(tested >= 4)
    }

    @Test func badTestsAreConfigErrorsWithPositions() throws {
        let text = """
            sources:
              in: { type: fixture, path: x.lp.zst }
            sinks:
              out: { type: stdout, inputs: [in] }
            tests:
              - transform: nope
                input: "not line protocol"
                colour: red
            """
        let definition = try PipelineLoader(environment: [:]).load(text: text, file: "q.yaml")
        #expect(throws: ConfigErrors.self) { try PipelineTest.read(definition) }
        do {
            _ = try PipelineTest.read(definition)
        } catch {
            let lines = error.errors.map(\.description)
            #expect(lines.contains { $0.hasPrefix("q.yaml:6:16: test 'test 1': 'nope' is not a transform") }, "\(lines)")
            #expect(lines.contains { $0.hasPrefix("q.yaml:7:") }, "\(lines)")
            #expect(lines.contains { $0.hasPrefix("q.yaml:8:5: unknown option 'colour'") }, "\(lines)")
            #expect(lines.contains { $0.contains("needs 'expect', 'conditions' or 'count'") }, "\(lines)")
        }
    }
}

extension CommandLineTests {
    @Test func testCommandRunsTheShippedPipelinesTests() async throws {
        for shipped in ["pipelines/rollups.yaml", "pipelines/default.yaml"] {
            let passing = try await smokeflow(["test", shipped])
            #expect(passing.status == 0, "\(passing.stdout)\(passing.stderr)")
            #expect(passing.stdout.contains("0 failed") && !passing.stdout.contains("FAIL"), "\(shipped)")
        }

        let directory = temporaryDirectory()
        let file = directory + "/broken.yaml"
        try PipelineFileTestsTests.yaml.write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try await smokeflow(["validate", file]).status == 0)  // failing tests are not invalid
        try (PipelineFileTestsTests.yaml + "\n    colour: red\n").write(toFile: directory + "/bad.yaml", atomically: true, encoding: .utf8)
        let invalid = try await smokeflow(["validate", directory + "/bad.yaml"])
        #expect(invalid.status == 1 && invalid.stderr.contains("bad.yaml:19:5: unknown option 'colour' for 'test 2'"), "\(invalid.stderr)")
        let failing = try await smokeflow(["test", file])
        #expect(failing.status == 1)
        #expect(failing.stdout.contains("FAIL \(file):12:5 fails") && failing.stdout.contains("1 passed, 1 failed"))
        let errors = failing.stderr.split(separator: "\n")
        #expect(errors.first == "\(file):18:12: test 'fails': expected 2 points, got 1", "\(failing.stderr)")
        #expect(errors.contains { $0.hasPrefix("\(file):17:9: test 'fails': no output point meets this condition") }, "\(failing.stderr)")
    }
}

extension CommandLineTests {
    @Test func validateReportsBadJobsWithTheirPosition() async throws {
        let file = temporaryDirectory() + "/jobs.yaml"
        let text = """
            state_dir: /tmp/x
            sources:
              in: { type: fixture, path: x.lp.zst }
            sinks:
              out: { type: stdout, inputs: [in] }
            jobs:
              hourly:
                schedule: "61 * * * *"
                source: { type: influx_query, database: db, colour: red }
                sink: { type: stdout }
            """
        try (text + "\n    every: 1h\n").write(toFile: file, atomically: true, encoding: .utf8)
        let structural = try await smokeflow(["validate", file])
        #expect(structural.status == 1)
        #expect(structural.stderr.hasPrefix("\(file):11:5: unknown option 'every' for 'hourly'"), "\(structural.stderr)")

        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let options = try await smokeflow(["validate", file])
        #expect(options.status == 1)
        let lines = options.stderr.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("\(file):8:15: job 'hourly': minute field '61' must be within 0-59") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("\(file):9:49: unknown option 'colour' for 'hourly-source'") }, "\(lines)")
    }
}

extension CommandLineTests {
    @Test func runOnceFailsWhenAJobFails() async throws {
        let directory = temporaryDirectory()
        let file = directory + "/jobs.yaml"
        try """
            state_dir: \(directory)/state
            sources:
              outage: { type: fixture, path: fixtures/outage.lp.zst }
            sinks:
              out: { type: file, inputs: [outage], path: \(directory)/out.lp }
            jobs:
              unreachable:
                schedule: "@hourly"
                source: { type: influx_query, url: "http://127.0.0.1:1", database: db, request_timeout: 2s }
                sink: { type: file, path: \(directory)/rollups.lp }
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let result = try await smokeflow(["run", file, "--once", "--log-level", "error"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("job(s) failed: unreachable"), "\(result.stderr)")
        // The streaming pipeline itself ran to the end, and no progress was recorded.
        #expect(FileManager.default.fileExists(atPath: directory + "/out.lp"))
        #expect(!FileManager.default.fileExists(atPath: directory + "/state/job-unreachable.json"))
    }
}

extension CommandLineTests {
    @Test func aFileOfJobsAloneRunsItsJobs() async throws {
        let tree = SmokePingTree()
        try await tree.update(try await tree.create("Core/router.rrd", archives: RRDConsolidationTests.archives), rounds: 0..<50)
        let directory = temporaryDirectory()
        let file = directory + "/jobs.yaml"
        // A lag that makes the hour ending 5 h after the file's start the last one due.
        let lagHours = (Int(Date().timeIntervalSince1970) - SmokePingTree.start) / 3600 - 5
        try """
            state_dir: \(directory)/state
            jobs:
              rrd-hourly:
                schedule: "5 * * * *"
                lag: \(lagHours)h
                start: "2025-11-29T00:00:00Z"
                source: { type: rrd, path: \(tree.root) }
                transform: { type: downsample, mode: rrd, window: 1h, measurements: { latency: latency_1h } }
                sink: { type: file, path: \(directory)/rollups.lp, append: true, precision: s }
            """.write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try await smokeflow(["validate", file]).status == 0)
        let result = try await smokeflow(["run", file, "--once", "--log-level", "error"])
        #expect(result.status == 0, "\(result.stderr)")
        // The five hours since 2025-11-29 ran once each; the file's four complete hours gave rollups.
        let lines = try String(contentsOfFile: directory + "/rollups.lp", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 4, "\(lines)")
        #expect(FileManager.default.fileExists(atPath: directory + "/state/job-rrd-hourly.json"))
    }
}
