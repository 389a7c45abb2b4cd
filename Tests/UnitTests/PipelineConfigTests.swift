import Foundation
import PipelineConfig
import Components
import PipelineRuntime
import SmokeflowTesting
import Testing

@Suite struct PipelineConfigTests {
    /// Every problem `validate` reports for `yaml`, as `LINE:COL: message`.
    func problems(_ yaml: String, environment: [String: String] = [:]) -> [String] {
        do {
            let definition = try PipelineLoader(environment: environment).load(text: yaml, file: "p.yaml")
            _ = try ComponentRegistry.builtin.plan(definition)
            _ = try RuntimeSettings(definition)
            return []
        } catch {
            return error.errors.map { error in
                #expect(error.location.file == "p.yaml")
                return "\(error.location.line):\(error.location.column): \(error.message)"
            }
        }
    }

    @Test func acceptsAValidPipeline() {
        let yaml = """
            sources:
              a: { type: fixture, path: x.lp.zst }
            sinks:
              out: { type: stdout, inputs: [a] }
            """
        #expect(problems(yaml) == [])
    }

    @Test func unknownTopLevelKey() {
        #expect(problems("sources:\n  a: { type: fixture, path: x }\nsink:\n  o: {}\n").contains {
            $0.hasPrefix("3:1: unknown top-level key 'sink'")
        })
    }

    @Test func unknownOptionKey() {
        let yaml = """
            sources:
              a:
                type: fixture
                path: x
                pth: y
            sinks:
              out: { type: stdout, inputs: [a] }
            """
        #expect(problems(yaml) == ["5:5: unknown option 'pth' for 'a'"])
    }

    @Test func unknownType() {
        let yaml = """
            sources:
              a: { type: fixture, path: x }
            sinks:
              out: { type: kafka, inputs: [a] }
            """
        #expect(problems(yaml).count == 1)
        #expect(problems(yaml).first?.hasPrefix("4:16: unknown sink type 'kafka' (known:") == true)
    }

    @Test func missingInput() {
        let yaml = """
            sources:
              a: { type: fixture, path: x }
            sinks:
              out: { type: stdout, inputs: [a, b] }
            """
        #expect(problems(yaml) == ["4:36: input 'b' of 'out' is not a source or transform in this file"])
    }

    @Test func cyclicInputs() {
        let yaml = """
            sources:
              a: { type: fixture, path: x }
            transforms:
              t1: { type: add_tags, inputs: [a, t2], tags: { x: y } }
              t2:
                type: add_tags
                inputs: [t1]
                tags: { x: y }
            sinks:
              out: { type: stdout, inputs: [t2] }
            """
        #expect(problems(yaml) == ["7:14: inputs form a cycle: t1 -> t2 -> t1"])
    }

    @Test func sinkWithoutInputs() {
        let yaml = """
            sources:
              a: { type: fixture, path: x }
            sinks:
              out: { type: stdout, inputs: [a] }
              lonely: { type: stdout }
            """
        #expect(problems(yaml) == ["5:3: sink 'lonely' has no 'inputs'"])
    }

    @Test func wrongOptionTypes() {
        let yaml = """
            sources:
              a: { type: fixture, path: [x], batch_size: many }
            sinks:
              out:
                type: influx
                inputs: [a]
                database: db
                gzip: maybe
                flush_interval: soon
                concurrency: "2"
            """
        #expect(problems(yaml) == [
            "2:29: option 'path' must be a string, not a list",
            "2:46: option 'batch_size' must be an integer",
            "8:11: option 'gzip' must be true or false",
            "9:21: option 'flush_interval' must be a duration such as 500ms, 10s, 5m, 1h",
            "10:18: option 'concurrency' must be an integer",
        ])
    }

    @Test func invalidYAMLNamesLineAndColumn() {
        let result = problems("sources:\n  a: { type: fixture\n")
        #expect(result.count == 1)
        #expect(result.first?.contains("invalid YAML") == true)
        #expect(result.first?.hasPrefix("3:") == true)
    }

    @Test func duplicateIDsAcrossSections() {
        let yaml = """
            sources:
              a: { type: fixture, path: x }
            sinks:
              a: { type: stdout, inputs: [a] }
            """
        #expect(problems(yaml).contains { $0.hasPrefix("4:3: component id 'a' is already used by source") })
    }

    @Test func sourceNobodyReads() {
        let yaml = """
            sources:
              a: { type: fixture, path: x }
              b: { type: fixture, path: y }
            sinks:
              out: { type: stdout, inputs: [a] }
            """
        #expect(problems(yaml) == ["3:3: source 'b' is not an input of any transform or sink"])
    }

    @Test func interpolationFromEnvironmentWithDefaults() throws {
        let yaml = """
            sources:
              a: { type: fixture, path: "${DIR:-/data}/${NAME}.lp.zst" }
            sinks:
              out: { type: file, inputs: [a], path: "$${literal}" }
            """
        let definition = try PipelineLoader(environment: ["NAME": "day"]).load(text: yaml, file: "p.yaml")
        var reader = try #require(definition.component("a")).optionsReader()
        #expect(reader.string("path") == "/data/day.lp.zst")
        var sink = try #require(definition.component("out")).optionsReader()
        #expect(sink.string("path") == "${literal}")
    }

    @Test func unsetVariableIsAnErrorNamingIt() {
        let yaml = """
            sources:
              a: { type: fixture, path: "${FIXTURE_PATH}" }
            sinks:
              out: { type: stdout, inputs: [a] }
            """
        #expect(problems(yaml) == ["2:29: environment variable 'FIXTURE_PATH' is not set and has no default"])
    }

    @Test func secretsNeverAppearInErrors() {
        let yaml = """
            sources:
              a: { type: fixture, path: x }
            sinks:
              out:
                type: influx
                inputs: [a]
                api: v2
                bucket: b
                token: ${TOKEN}
                concurrency: ${TOKEN}
                url: ${TOKEN}
            """
        let result = problems(yaml, environment: ["TOKEN": "s3cr3t-t0ken"])
        #expect(result.count == 2)
        #expect(!result.joined().contains("s3cr3t"))
        #expect(Secret("s3cr3t").description == "<redacted>")
        #expect("\(Secret("s3cr3t"))" == "<redacted>")
    }

    @Test func envFileSuppliesVariablesAndEnvironmentWins() throws {
        let directory = temporaryDirectory()
        let path = directory + "/.env"
        try "# comment\nexport A=from-file\nB=\"quoted value\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        let loader = try PipelineLoader(environment: ["A": "from-env"], envFile: path)
        #expect(loader.environment["A"] == "from-env")
        #expect(loader.environment["B"] == "quoted value")
        try "NOT A LINE\n".write(toFile: path, atomically: false, encoding: .utf8)
        #expect(throws: ConfigErrors.self) { try PipelineLoader(environment: [:], envFile: path) }
        do {
            _ = try PipelineLoader(environment: [:], envFile: path)
        } catch {
            #expect(error.description.contains("expected NAME=value"), "the line is the problem, not the mode: \(error)")
        }
    }

    @Test func everyShippedPipelineValidates() throws {
        let directory = packageRoot() + "/pipelines"
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".yaml") }
        #expect(files.count >= 3)
        for file in files {
            let definition = try PipelineLoader(environment: ["INFLUX_TOKEN": "test"]).load(path: directory + "/" + file)
            _ = try ComponentRegistry.builtin.plan(definition)
            _ = try RuntimeSettings(definition)
        }
    }
}
