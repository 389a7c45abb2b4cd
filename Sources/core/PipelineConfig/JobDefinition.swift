/// One entry of a pipeline file's `jobs:` — a scheduled, idempotent rerun of a range:
///
/// ```yaml
/// jobs:
///   rollup-1h:
///     schedule: "5 * * * *"        # cron (minute hour day month weekday), UTC unless `timezone`
///     timezone: UTC
///     window: 1h                   # each run handles the whole windows completed since the last
///     lag: 5m                      # a window is due once it ended this long ago
///     start: 2025-11-01T00:00:00Z  # the first window when there is no progress yet (default: the last complete one)
///     source: { type: influx_query, url: …, database: smokeping }
///     transform: { type: downsample, window: 1h }   # default: the registry's, with the job's window
///     sink: { type: influx, url: …, database: smokeping, retention_policy: rollups }
/// ```
///
/// Per window, the source reads just that range and the transform emits everything when its
/// input ends: which options do that is for the stages' types to say (the runtime's
/// `RangedSourceConfiguration` and `WindowTransformConfiguration`), so this layer knows no
/// component type.
public struct JobDefinition: Sendable {
    public var name: String
    public var location: SourceLocation
    public var schedule: String
    public var scheduleLocation: SourceLocation
    public var timezone: String?
    public var window: Duration
    /// `window` as written (`1h` when not), for a default transform that reads it itself.
    public var windowNode: ConfigNode
    public var lag: Duration
    public var start: String?
    public var source: ComponentDefinition
    /// nil when the job names none: the registry's default job transform runs.
    public var transform: ComponentDefinition?
    public var sink: ComponentDefinition

    /// The stage that stands for a transform the job does not name: `type` with `options`,
    /// between the job's source and sink.
    public func defaultTransform(type: String, options: [(key: ConfigNode, value: ConfigNode)]) -> ComponentDefinition {
        ComponentDefinition(
            id: name + "-transform", kind: .transform, type: type, inputs: [source.id], location: location,
            typeLocation: location, inputLocations: [location], options: options
        )
    }

    /// The job's stages as one pipeline: `transform` between the source and the sink, with
    /// `sourceOptions` and `transformOptions` set over the file's options of the same names.
    public func pipeline(
        file: String, transform: ComponentDefinition, sourceOptions: [(key: String, value: ConfigNode)],
        transformOptions: [(key: String, value: ConfigNode)]
    ) -> PipelineDefinition {
        func overriding(_ stage: ComponentDefinition, _ options: [(key: String, value: ConfigNode)]) -> ComponentDefinition {
            var stage = stage
            let keys = Set(options.map(\.key))
            stage.options.removeAll { $0.key.scalar.map(keys.contains) ?? false }
            stage.options += options.map { (ConfigNode(.scalar($0.key), at: stage.location, isQuoted: true), $0.value) }
            return stage
        }
        return PipelineDefinition(
            file: file, components: [overriding(source, sourceOptions), overriding(transform, transformOptions), sink]
        )
    }
}

extension JobDefinition {
    /// The `jobs:` of a pipeline file, every problem with its line and column. Component
    /// options are checked by the registry when a job's pipeline is planned.
    public static func read(_ definition: PipelineDefinition) throws(ConfigErrors) -> [JobDefinition] {
        guard let node = definition.settings.first(where: { $0.key.scalar == "jobs" })?.value else { return [] }
        guard let entries = node.mapping else { throw ConfigErrors([ConfigError(node.location, "'jobs' must map job names to jobs")]) }
        var errors: [ConfigError] = []
        var jobs: [JobDefinition] = []
        for (nameNode, body) in entries {
            let name = nameNode.scalar ?? ""
            guard PipelineDefinition.isValidID(name), let pairs = body.mapping else {
                errors.append(ConfigError(nameNode.location, "job '\(name)' must have a name matching [A-Za-z0-9_-]+ and be a mapping"))
                continue
            }
            var reader = OptionsReader(componentID: name, location: nameNode.location, pairs: pairs)
            let schedule = reader.requiredString("schedule")
            let scheduleLocation = reader.node("schedule")?.location ?? nameNode.location
            let timezone = reader.string("timezone")
            let window = reader.duration("window", default: .seconds(3600))
            // The default transform gets the window as written: its reader parses it the same way.
            let windowNode = reader.node("window") ?? ConfigNode(.scalar("1h"), at: nameNode.location)
            let lag = reader.duration("lag", default: .seconds(300))
            let start = reader.string("start")
            let source = component(&reader, "source", kind: .source, id: name + "-source", inputs: [], errors: &errors)
            let transform = component(&reader, "transform", kind: .transform, id: name + "-transform", inputs: [name + "-source"], errors: &errors)
            let sink = component(&reader, "sink", kind: .sink, id: name + "-sink", inputs: [name + "-transform"], errors: &errors)
            if source == nil { reader.fail(nameNode.location, "job '\(name)' needs a 'source'") }
            if sink == nil { reader.fail(nameNode.location, "job '\(name)' needs a 'sink'") }
            do throws(ConfigErrors) { try reader.finish() } catch { errors += error.errors }
            if let source, let sink {
                jobs.append(JobDefinition(
                    name: name, location: nameNode.location, schedule: schedule, scheduleLocation: scheduleLocation, timezone: timezone,
                    window: window, windowNode: windowNode, lag: lag, start: start, source: source, transform: transform, sink: sink))
            }
        }
        if !errors.isEmpty { throw ConfigErrors(errors) }
        return jobs
    }

    static func component(
        _ reader: inout OptionsReader, _ key: String, kind: ComponentKind, id: String, inputs: [String], errors: inout [ConfigError]
    ) -> ComponentDefinition? {
        guard let node = reader.node(key) else { return nil }
        guard let pairs = node.mapping, let typeNode = pairs.first(where: { $0.key.scalar == "type" })?.value, let type = typeNode.scalar else {
            errors.append(ConfigError(node.location, "'\(key)' of job '\(reader.componentID)' must be a mapping with a 'type'"))
            return nil
        }
        return ComponentDefinition(
            id: id, kind: kind, type: type, inputs: inputs, location: node.location, typeLocation: typeNode.location,
            inputLocations: inputs.map { _ in node.location }, options: pairs.filter { $0.key.scalar != "type" }
        )
    }
}
