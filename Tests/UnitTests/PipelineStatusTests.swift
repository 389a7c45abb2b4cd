import PipelineConfig
import SmokeflowApp
import Testing

/// The dashboard's line about the pipeline `run --serve` runs: ready, or each reason it is not.
@Suite struct PipelineStatusTests {
    @Test func theStatusSaysReadyOrEveryReasonItIsNot() throws {
        let definition = try PipelineLoader(environment: [:]).load(
            text: "sources:\n  a: { type: fixture, path: x.lp.zst }\nsinks:\n  b: { type: stdout, inputs: [a] }\n", file: "p.yaml")
        let loaded = try LoadedPipeline.resolve(definition, overrides: .init(once: true))
        let status = PipelineStatus(loaded)
        #expect(status.describe().hasPrefix("running p.yaml (2 stages) since "), "\(status.describe())")
        #expect(status.describe().hasSuffix(": ready"), "\(status.describe())")
        loaded.settings.health.register("influx") { .notReady("writes failing for 75 s: HTTP 503") }
        #expect(status.describe().hasSuffix(": not ready: influx: writes failing for 75 s: HTTP 503"), "\(status.describe())")
    }
}
