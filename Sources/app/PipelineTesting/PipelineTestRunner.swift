public import Logging
public import PipelineConfig
import EventModel
public import PipelineRuntime

/// Runs a pipeline file's `tests:`: each test builds its transform alone (no checkpoint
/// storage, so a downsampler emits its open windows when the input ends), feeds it the input
/// as one batch and checks what came out.
public struct PipelineTestRunner: Sendable {
    public struct Outcome: Sendable {
        public var test: PipelineTest
        /// Empty when the test passed; each failure with the place in the file it concerns.
        public var failures: [ConfigError]
        public var passed: Bool { failures.isEmpty }
    }

    public let registry: ComponentRegistry
    public let logger: Logger

    public init(registry: ComponentRegistry, logger: Logger) {
        self.registry = registry
        self.logger = logger
    }

    public func run(_ definition: PipelineDefinition) async throws -> [Outcome] {
        let tests = try PipelineTest.read(definition)
        let plan = try registry.plan(definition)
        var outcomes: [Outcome] = []
        for test in tests {
            outcomes.append(await run(test, plan: plan))
        }
        return outcomes
    }

    func run(_ test: PipelineTest, plan: [PlannedComponent]) async -> Outcome {
        guard let planned = plan.first(where: { $0.definition.id == test.transform }) else {
            return Outcome(test: test, failures: [ConfigError(test.transformLocation, "test '\(test.name)': no transform '\(test.transform)'")])
        }
        let output: [Point]
        do {
            guard case .transform(let transform) = try planned.build(BuildContext.standalone(id: test.transform, logger: logger)) else {
                return Outcome(test: test, failures: [ConfigError(test.transformLocation, "test '\(test.name)': '\(test.transform)' is not a transform")])
            }
            var batch = Batch(points: test.input)
            batch.origin = test.origin
            output = try await transform.runStandalone(id: test.transform, batches: [batch], logger: logger)
        } catch {
            return Outcome(test: test, failures: [ConfigError(test.location, "test '\(test.name)': transform '\(test.transform)' failed: \(error)")])
        }
        return Outcome(test: test, failures: Self.check(test, output))
    }

    static func check(_ test: PipelineTest, _ output: [Point]) -> [ConfigError] {
        var failures: [ConfigError] = []
        let got = output.map(Self.render)
        if let count = test.count, count != output.count {
            failures.append(ConfigError(test.countLocation ?? test.location, "test '\(test.name)': expected \(count) points, got \(output.count)\(Self.listing(got))"))
        }
        if let expected = test.expected {
            var unmatched = output
            var missing: [Point] = []
            for point in expected {
                if let index = unmatched.firstIndex(where: { Self.same(point, $0) }) { unmatched.remove(at: index) } else { missing.append(point) }
            }
            if !missing.isEmpty || !unmatched.isEmpty {
                let location = test.expectedLocation ?? test.location
                let message = "test '\(test.name)': output differs; missing:\(Self.listing(missing.map(Self.render))); unexpected:\(Self.listing(unmatched.map(Self.render)))"
                failures.append(ConfigError(location, message))
            }
        }
        for condition in test.conditions where !output.contains(where: { Self.satisfies($0, condition) }) {
            failures.append(ConfigError(condition.location, "test '\(test.name)': no output point meets this condition\(Self.listing(got))"))
        }
        return failures
    }

    static func listing(_ lines: [String]) -> String { lines.isEmpty ? " (none)" : "\n    " + lines.joined(separator: "\n    ") }

    static func render(_ point: Point) -> String {
        let tags = point.tags.map { ",\($0.key)=\($0.value)" }.joined()
        let fields = point.fields.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        return "\(point.measurement)\(tags) \(fields) \(point.timestamp)"
    }

    static func same(_ expected: Point, _ actual: Point) -> Bool {
        guard expected.measurement == actual.measurement, expected.tags == actual.tags, expected.timestamp == actual.timestamp,
            expected.fields.count == actual.fields.count
        else { return false }
        return expected.fields.allSatisfy { field in actual.field(field.key).map { close(field.value, $0) } ?? false }
    }

    static func satisfies(_ point: Point, _ condition: PipelineTest.Condition) -> Bool {
        if let measurement = condition.measurement, point.measurement != measurement { return false }
        for (key, value) in condition.tags where point.tag(key) != value { return false }
        for (key, value) in condition.fields {
            switch (value, point.field(key)) {
            case (nil, nil): continue
            case (let expected?, let actual?) where close(expected, actual): continue
            default: return false
            }
        }
        return true
    }

    /// Floats to 1e-9 relative (line protocol round-trips and sums in another order); an
    /// integer written without `i` in a test still equals an integer field.
    static func close(_ expected: FieldValue, _ actual: FieldValue) -> Bool {
        switch (expected, actual) {
        case (.float(let a), .float(let b)): return a == b || abs(a - b) <= 1e-9 * max(abs(a), abs(b))
        case (.float(let a), .int(let b)): return a == Double(b)
        default: return expected == actual
        }
    }
}
