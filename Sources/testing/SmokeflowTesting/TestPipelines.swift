import Foundation
import Logging
public import PipelineConfig
import Components
public import EventModel
public import PipelineRuntime
public import Synchronization

/// Runs a pipeline given as YAML text, without signal handlers, and returns its report.
public func runPipeline(
    _ yaml: String, registry: ComponentRegistry = .testing, environment: [String: String] = [:],
    configure: (inout RuntimeSettings) -> Void = { _ in }
) async throws -> RunReport {
    let definition = try PipelineLoader(environment: environment).load(text: yaml, file: "test.yaml")
    let plan = try registry.plan(definition)
    var settings = try RuntimeSettings(definition)
    try registry.resolveCheckpoints(&settings, file: definition.file)
    settings.signals = []
    settings.once = true
    configure(&settings)
    var logger = Logger(label: "test")
    logger.logLevel = .warning
    let pipeline = try Pipeline(plan: plan, settings: settings, logger: logger)
    let report = await pipeline.run()
    await settings.checkpointStorage?.close()
    return report
}

public func temporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "smokeflow-test-" + UUID().uuidString
    _ = try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)  // a later write says why it failed
    return path
}

public func packageRoot() -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
}

/// Points handed to test sources by name (pipelines are built from YAML, so they look them up).
public enum TestData {
    private static let store = Mutex<[String: [Point]]>([:])

    public static func register(_ points: [Point]) -> String {
        let key = UUID().uuidString
        store.withLock { $0[key] = points }
        return key
    }

    public static func points(_ key: String) -> [Point] { store.withLock { $0[key] ?? [] } }
}

/// What test sources and sinks observed, by name.
public final class Observer: Sendable {
    private static let probes = Mutex<[String: Observer]>([:])

    public let produced = Atomic<Int>(0)
    public let consumed = Atomic<Int>(0)
    public let statuses = Mutex<[DeliveryStatus]>([])
    public let received = Mutex<[Point]>([])
    /// Batches a `hold` sink keeps unacknowledged until the test releases them.
    public let held = Mutex<[Batch]>([])

    public static func make() -> (String, Observer) {
        let key = UUID().uuidString
        let probe = Observer()
        probes.withLock { $0[key] = probe }
        return (key, probe)
    }

    /// The observer `make` registered as `key`; an unknown key gets a new one (never a trap).
    public static func named(_ key: String) -> Observer {
        probes.withLock { probes in
            if let probe = probes[key] { return probe }
            let probe = Observer()
            probes[key] = probe
            return probe
        }
    }
}

extension ComponentRegistry {
    public static var testing: ComponentRegistry {
        var registry = ComponentRegistry.builtin
        registry.register(MemorySourceConfiguration.self)
        registry.register(GeneratorSourceConfiguration.self)
        registry.register(CollectSinkConfiguration.self)
        registry.register(StallSinkConfiguration.self)
        registry.register(HoldSinkConfiguration.self)
        return registry
    }
}

/// `type: memory` — sends registered points in batches, each with an acknowledgement that
/// records its final status in the probe.
public struct MemorySourceConfiguration: SourceConfiguration {
    public static let typeName = "memory"
    public var key: String
    public var probe: String?
    public var batchSize: Int

    public init(options: inout OptionsReader) {
        key = options.requiredString("key")
        probe = options.string("probe")
        batchSize = options.int("batch_size", default: 100)
    }

    public func build(_ context: BuildContext) throws -> MemorySource { MemorySource(configuration: self) }
}

public struct MemorySource: Source {
    public let configuration: MemorySourceConfiguration

    public func run(context: StageContext, output: StageOutput) async throws {
        let points = TestData.points(configuration.key)
        let probe = configuration.probe.map(Observer.named)
        var start = 0
        while start < points.count {
            let end = min(start + configuration.batchSize, points.count)
            let acknowledgement = Acknowledgement { status in probe?.statuses.withLock { $0.append(status) } }
            probe?.produced.add(end - start, ordering: .relaxed)
            try await output.send(Batch(points: Array(points[start..<end]), acknowledgements: [acknowledgement]))
            start = end
        }
    }
}

/// `type: generator` — endless batches of one point each (until cancelled), counted in the
/// probe; with `target:`, each point has that `target` tag.
public struct GeneratorSourceConfiguration: SourceConfiguration {
    public static let typeName = "generator"
    public var probe: String
    public var interval: Duration
    public var target: String?

    public init(options: inout OptionsReader) {
        probe = options.requiredString("probe")
        interval = options.duration("interval", default: .zero)
        target = options.string("target")
    }

    public func build(_ context: BuildContext) throws -> GeneratorSource { GeneratorSource(configuration: self) }
}

public struct GeneratorSource: Source {
    public let configuration: GeneratorSourceConfiguration

    public func run(context: StageContext, output: StageOutput) async throws {
        let probe = Observer.named(configuration.probe)
        var sequence: Int64 = 0
        while true {
            sequence += 1
            let tags = configuration.target.map { [Point.Tag(LatencySchema.Tag.target, $0)] } ?? []
            let point = Point(measurement: "generated", tags: tags, fields: [.init("n", .int(sequence))], timestamp: sequence)
            let acknowledgement = Acknowledgement { status in probe.statuses.withLock { $0.append(status) } }
            try await output.send(Batch(points: [point], acknowledgements: [acknowledgement]))
            probe.produced.add(1, ordering: .relaxed)
            if configuration.interval > .zero { try await Task.sleep(for: configuration.interval) }
        }
    }
}

/// `type: collect` — keeps every point and acknowledges it as delivered.
public struct CollectSinkConfiguration: SinkConfiguration {
    public static let typeName = "collect"
    public var probe: String
    public var delay: Duration

    public init(options: inout OptionsReader) {
        probe = options.requiredString("probe")
        delay = options.duration("delay", default: .zero)
    }

    public func build(_ context: BuildContext) throws -> CollectSink { CollectSink(configuration: self) }
}

public struct CollectSink: Sink {
    public let configuration: CollectSinkConfiguration

    public func run(context: StageContext, input: StageInput) async throws {
        let probe = Observer.named(configuration.probe)
        for await batch in input {
            if configuration.delay > .zero { try? await Task.sleep(for: configuration.delay) }
            probe.received.withLock { $0 += batch.points }
            probe.consumed.add(batch.points.count, ordering: .relaxed)
            batch.acknowledge(.delivered)
        }
    }
}

/// `type: stall` — takes one batch, then stops reading until cancelled: a sink that hangs.
public struct StallSinkConfiguration: SinkConfiguration {
    public static let typeName = "stall"
    public var probe: String

    public init(options: inout OptionsReader) { probe = options.requiredString("probe") }

    public func build(_ context: BuildContext) throws -> StallSink { StallSink(configuration: self) }
}

public struct StallSink: Sink {
    public let configuration: StallSinkConfiguration

    public func run(context: StageContext, input: StageInput) async throws {
        let probe = Observer.named(configuration.probe)
        var iterator = input.makeAsyncIterator()
        if let batch = await iterator.next() { probe.consumed.add(batch.points.count, ordering: .relaxed) }
        try await Task.sleep(for: .seconds(3600))
    }
}

/// `type: hold` — collects like `collect`, but keeps the acknowledgements of the first `hold`
/// batches in the probe's `held` (the test releases them, in any order and with any status):
/// a sink whose early requests are still retrying while later ones succeed.
public struct HoldSinkConfiguration: SinkConfiguration {
    public static let typeName = "hold"
    public var probe: String
    public var hold: Int

    public init(options: inout OptionsReader) {
        probe = options.requiredString("probe")
        hold = options.int("hold", default: 1, range: 0...1_000_000)
    }

    public func build(_ context: BuildContext) throws -> HoldSink { HoldSink(configuration: self) }
}

public struct HoldSink: Sink {
    public let configuration: HoldSinkConfiguration

    public func run(context: StageContext, input: StageInput) async throws {
        let probe = Observer.named(configuration.probe)
        var seen = 0
        for await batch in input {
            probe.received.withLock { $0 += batch.points }
            probe.consumed.add(batch.points.count, ordering: .relaxed)
            seen += 1
            if seen <= configuration.hold {
                probe.held.withLock { $0.append(batch) }
            } else {
                batch.acknowledge(.delivered)
            }
        }
    }
}
