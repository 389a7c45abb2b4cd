import Components
import JobScheduler
import Logging
import PipelineConfig
import PipelineRuntime
import Testing

/// What a job sets on its stages per window comes from the stages' types
/// (`RangedSourceConfiguration`, `WindowTransformConfiguration`), not from the config layer.
@Suite struct JobStageTests {
    static func runner(_ stages: String) throws -> JobRunner {
        // A file of jobs alone is a pipeline file too.
        let text = """
            jobs:
              hourly:
                schedule: "@hourly"
            \(stages)
                sink: { type: stdout }
            """
        let definition = try PipelineLoader(environment: [:]).load(text: text, file: "jobs.yaml")
        let job = try #require(try JobDefinition.read(definition).first)
        return try JobRunner(job: job, file: "jobs.yaml", registry: .builtin, checkpoints: nil, logger: Logger(label: "test"))
    }

    static func options(_ stage: ComponentDefinition) -> [String: String] {
        Dictionary(stage.options.map { ($0.key.scalar ?? "", $0.value.scalar ?? "") }, uniquingKeysWith: { _, last in last })
    }

    @Test func anRRDSourceReadsTheRowsStampedInTheWindowWhole() throws {
        let runner = try Self.runner("""
                source: { type: rrd, path: /srv/smokeping, since: 5, mode: tail }
                transform: { type: downsample, mode: rrd, window: 1h, flush_at_end: false }
            """)
        let stages = try runner.pipeline(from: 7_200_000_000_000, to: 10_800_000_000_000).components
        #expect(Self.options(stages[0]) == ["path": "/srv/smokeping", "since": "7201", "until": "10800", "mode": "backfill"])
        #expect(stages[0].options.filter { $0.key.scalar == "since" }.count == 1)
        let flush = try #require(stages[1].options.first { $0.key.scalar == "flush_at_end" }?.value)
        #expect(flush.scalar == "true" && !flush.isQuoted)
        #expect(stages.map(\.id) == ["hourly-source", "hourly-transform", "hourly-sink"])
    }

    @Test func anInfluxQuerySourceGetsTheRangeInNanosecondsAndTheDefaultTransformDownsamples() throws {
        let runner = try Self.runner("""
                window: 30m
                source: { type: influx_query, database: db, from: 1, to: 2 }
            """)
        let stages = try runner.pipeline(from: 0, to: 1_800_000_000_000).components
        #expect(Self.options(stages[0]) == ["database": "db", "from": "0", "to": "1800000000000"])
        #expect(stages[1].type == "downsample" && stages[1].inputs == ["hourly-source"])
        #expect(Self.options(stages[1]) == ["window": "30m", "flush_at_end": "true"])
        #expect(stages[2].inputs == ["hourly-transform"])
    }

    @Test func stagesThatCannotRunOverAWindowAreNamedWithTheirPosition() {
        #expect {
            try Self.runner("""
                    source: { type: fixture, path: x.lp.zst }
                    transform: { type: add_tags, tags: { a: b } }
                """)
        } throws: { error in
            let messages = (error as? ConfigErrors)?.errors.map(\.description) ?? []
            return messages == [
                "jobs.yaml:4:21: job 'hourly': source type 'fixture' cannot read a time range (a job's source is one of: influx_query, rrd)",
                "jobs.yaml:5:24: job 'hourly': transform type 'add_tags' cannot run over a window (a job's transform is one of: downsample)",
            ]
        }
    }
}
