import EventModel
import Foundation
import Logging
import PipelineConfig
import PipelineRuntime
import SmokeflowTesting
import Testing

/// `type: hanging_finish` — sends one batch; its `finish` sleeps an hour (a flush to a dead
/// database, a stuck filesystem).
struct HangingFinishSourceConfiguration: SourceConfiguration {
    static let typeName = "hanging_finish"
    init(options: inout OptionsReader) {}
    func build(_ context: BuildContext) throws -> HangingFinishSource { HangingFinishSource() }
}

struct HangingFinishSource: Source {
    func run(context: StageContext, output: StageOutput) async throws {
        try await output.send(Batch(points: [Point(measurement: "m", fields: [.init("n", .int(1))], timestamp: 1)]))
    }

    func finish(context: StageContext) async {
        try? await Task.sleep(for: .seconds(3600))
    }
}

/// `type: sleeping` — takes its first batch and sleeps an hour (until cancelled).
struct SleepingTransformConfiguration: TransformConfiguration {
    static let typeName = "sleeping"
    init(options: inout OptionsReader) {}
    func build(_ context: BuildContext) throws -> SleepingTransform { SleepingTransform() }
}

struct SleepingTransform: Transform {
    func run(context: StageContext, input: StageInput, output: StageOutput) async throws {
        for await batch in input {
            context.counters.add(received: batch.points.count)
            try await Task.sleep(for: .seconds(3600))
        }
    }
}

@Suite(.timeLimit(.minutes(2))) struct ShutdownTests {
    var registry: ComponentRegistry {
        var registry = ComponentRegistry.testing
        registry.register(HangingFinishSourceConfiguration.self)
        registry.register(SleepingTransformConfiguration.self)
        return registry
    }

    /// `shutdown_timeout` bounds the whole shutdown, `Source.finish` included: `run` returns
    /// and names the stage that did not finish in time.
    @Test func aFinishThatHangsIsCutOffByTheShutdownTimeout() async throws {
        let (probe, _) = Observer.make()
        let registry = self.registry
        let report = try await finishes(within: .seconds(60)) {
            try await runPipeline("""
                shutdown_timeout: 1s
                sources: { stuck: { type: hanging_finish } }
                sinks: { out: { type: collect, inputs: [stuck], probe: \(probe) } }
                """, registry: registry)
        }
        let finished = try #require(report, "run did not return within 60 s of a 1 s shutdown timeout")
        #expect(finished.failures.count == 1)
        #expect(finished.failures.first?.description.hasPrefix("source 'stuck': did not finish within the shutdown timeout") == true, "\(finished.failures)")
    }

    /// A transform cancelled by the shutdown timeout did not fail: the timeout is the failure,
    /// not a "CancellationError()" line for the stage.
    @Test func aTransformCancelledAtTheTimeoutIsNotAStageFailure() async throws {
        let (sourceProbe, source) = Observer.make()
        let (sinkProbe, _) = Observer.make()
        let definition = try PipelineLoader(environment: [:]).load(text: """
            shutdown_timeout: 200ms
            sources: { gen: { type: generator, probe: \(sourceProbe) } }
            transforms: { slow: { type: sleeping, inputs: [gen] } }
            sinks: { out: { type: collect, inputs: [slow], probe: \(sinkProbe) } }
            """, file: "test.yaml")
        var settings = try RuntimeSettings(definition)
        settings.signals = []
        let pipeline = try Pipeline(plan: try registry.plan(definition), settings: settings, logger: Logger(label: "test"))
        let run = Task { await pipeline.run() }
        // Once a batch is in its input the transform has one to sleep on while draining.
        try #require(await eventually(within: .seconds(60)) { source.produced.load(ordering: .relaxed) >= 1 })
        pipeline.shutdown()
        let report = await run.value
        #expect(!report.succeeded, "\(report.counts)")
        #expect(!report.failures.contains { $0.description.contains("CancellationError") }, "\(report.failures)")
    }
}
