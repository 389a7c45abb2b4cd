public import Downsampling
import EventModel
public import PipelineConfig
public import PipelineRuntime

/// `type: downsample` — tumbling event-time windows per series (`Downsampler`): latency rollups
/// (`mode: aggregate`) or SmokePing's own consolidation (`mode: rrd`). Window state is kept in
/// the pipeline's checkpoint storage, so a restart loses no window in progress.
public struct DownsampleConfiguration: TransformConfiguration {
    public static let typeName = "downsample"
    public var rules: DownsampleRules
    public var idleTimeout: Int64?
    /// Emit incomplete windows when the input ends; default: only when there is no checkpoint
    /// storage to keep them in.
    public var flushAtEnd: Bool?
    public var checkpointInterval: Duration
    /// Points stamped more than this after the wall clock are dropped and counted (ns).
    public var futureLimit: Int64
    /// A series no point arrived for during this long (processing time) is closed and forgotten (ns).
    public var forgetAfter: Int64

    public init(options: inout OptionsReader) {
        let window = options.duration("window", default: .seconds(3600)).nanoseconds
        if !options.has("window") { options.fail(options.location, "'\(options.componentID)' needs option 'window' (e.g. 1h)") }
        if window <= 0 { options.fail(options.location, "option 'window' of '\(options.componentID)' must be longer than 0") }
        let mode: DownsampleRules.Mode = options.oneOf("mode", default: .aggregate)
        var rules = DownsampleRules(window: max(window, 1), measurements: [:])
        rules.mode = mode
        rules.measurements = Self.measurements(&options, window: rules.window)
        rules.allowedLateness = options.duration("allowed_lateness", default: .zero).nanoseconds
        rules.lateData = options.oneOf("late_data", default: .drop)
        rules.updateHorizon = options.duration("update_horizon", default: .nanoseconds(rules.window)).nanoseconds
        rules.stamp = options.oneOf("stamp", default: .end)
        rules.recomputeLoss = options.bool("recompute_loss", default: true)
        if let fields = Self.fields(&options) { rules.fields = fields }
        if let percentiles = Self.percentiles(&options) { rules.percentiles = percentiles }
        rules.step = options.duration("step", default: .seconds(300)).nanoseconds
        rules.xff = options.double("xff") ?? 0.5
        if mode == .rrd, rules.step <= 0 || rules.window % rules.step != 0 {
            options.fail(options.location, "option 'window' of '\(options.componentID)' must be a multiple of 'step' in rrd mode")
        }
        if !(0..<1).contains(rules.xff) { options.fail(options.location, "option 'xff' of '\(options.componentID)' must be in [0, 1)") }
        self.rules = rules
        idleTimeout = options.has("idle_timeout") ? options.duration("idle_timeout", default: .zero).nanoseconds : nil
        flushAtEnd = options.has("flush_at_end") ? options.bool("flush_at_end", default: false) : nil
        checkpointInterval = options.duration("checkpoint_interval", default: .seconds(30))
        futureLimit = options.duration("future_limit", default: .seconds(3600)).nanoseconds
        forgetAfter = options.duration("forget_after", default: .seconds(86_400)).nanoseconds
    }

    /// A list (`[latency, dns_latency]`, each to `<name>_<window>`) or a mapping to output names.
    static func measurements(_ options: inout OptionsReader, window: Int64) -> [String: String] {
        guard let node = options.node("measurements") else {
            return Dictionary(uniqueKeysWithValues: LatencySchema.Measurement.rounds.map { ($0, LatencySchema.Measurement.rollup($0, window: window)) })
        }
        if node.mapping != nil, let pairs = options.stringMap("measurements") {
            return Dictionary(pairs, uniquingKeysWith: { _, last in last })
        }
        let names = options.stringList("measurements") ?? []
        return Dictionary(names.map { ($0, LatencySchema.Measurement.rollup($0, window: window)) }, uniquingKeysWith: { first, _ in first })
    }

    /// `fields: { median: [mean, min, max, count], lost: [mean] }`.
    static func fields(_ options: inout OptionsReader) -> [(name: String, aggregates: [DownsampleRules.Aggregate])]? {
        guard let node = options.node("fields") else { return nil }
        guard let pairs = node.mapping else {
            options.fail(node.location, "option 'fields' must map field names to lists of aggregates")
            return nil
        }
        let known = DownsampleRules.Aggregate.allCases.map(\.rawValue).joined(separator: ", ")
        var fields: [(name: String, aggregates: [DownsampleRules.Aggregate])] = []
        for (key, value) in pairs {
            let items = value.scalar.map { _ in [value] } ?? value.sequence ?? []
            var aggregates: [DownsampleRules.Aggregate] = []
            for item in items {
                guard let aggregate = item.scalar.flatMap(DownsampleRules.Aggregate.init(rawValue:)) else {
                    options.fail(item.location, "unknown aggregate in option 'fields' (known: \(known))")
                    continue
                }
                aggregates.append(aggregate)
            }
            if items.isEmpty { options.fail(value.location, "option 'fields' must map field names to lists of aggregates") }
            fields.append((key.scalar ?? "", aggregates))
        }
        return fields
    }

    static func percentiles(_ options: inout OptionsReader) -> [Double]? {
        guard let node = options.node("percentiles") else { return nil }
        let items = node.sequence ?? []
        if node.sequence == nil { options.fail(node.location, "option 'percentiles' must be a list of numbers in (0, 100]") }
        return items.compactMap { item in
            guard let text = item.scalar, let value = Double(text), value > 0, value <= 100 else {
                options.fail(item.location, "option 'percentiles' must be a list of numbers in (0, 100]")
                return nil
            }
            return value
        }
    }

    public func build(_ context: BuildContext) throws -> DownsampleTransform {
        DownsampleTransform(configuration: self, checkpoints: context.checkpoints, document: "downsample-\(context.id)")
    }
}
