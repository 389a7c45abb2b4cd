import Foundation
public import PipelineRuntime
import Telemetry

/// What the web admin's dashboard says of the pipeline `smokeflow run --serve` runs beside it:
/// the file, since when, and whether every part can do its work (the checks `/ready` asks),
/// with the reasons when not.
public struct PipelineStatus: Sendable {
    let file: String
    let stages: Int
    let started = Date()
    let health: HealthChecks

    public init(_ loaded: LoadedPipeline) {
        file = loaded.definition.file
        stages = loaded.plan.count
        health = loaded.settings.health
    }

    public func describe() -> String {
        let since = started.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false).timeSeparator(.colon))
        let head = "running \(file) (\(stages) stages) since \(since) UTC"
        let problems = health.problems()
        guard !problems.isEmpty else { return head + ": ready" }
        return head + ": not ready: " + problems.map { "\($0.name): \($0.reason)" }.joined(separator: "; ")
    }
}
