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
///     transform: { type: downsample, window: 1h }   # default: a downsample with the job's window
///     sink: { type: influx, url: …, database: smokeping, retention_policy: rollups }
/// ```
///
/// The source gets `from`/`to` (nanoseconds) per window — an `rrd` source `since`/`until`, the
/// rows stamped in `(from, to]` (use `mode: rrd` in the transform) —; the transform
/// `flush_at_end: true`.
public struct JobDefinition: Sendable {
    public var name: String
    public var location: SourceLocation
    public var schedule: String
    public var scheduleLocation: SourceLocation
    public var timezone: String?
    public var window: Duration
    public var lag: Duration
    public var start: String?
    public var source: ComponentDefinition
    public var transform: ComponentDefinition
    public var sink: ComponentDefinition

    /// The job's stages as a pipeline reading `[from, to)` (nanoseconds).
    public func pipeline(file: String, from: Int64, to: Int64) -> PipelineDefinition {
        var source = source
        var transform = transform
        let location = source.location
        func scalar(_ text: String) -> ConfigNode { ConfigNode(.scalar(text), at: location, isQuoted: true) }
        if source.type == "rrd" {
            // RRD rows are stamped at the end of their interval: rows in (from, to], read whole.
            source.options.removeAll { ["since", "until", "mode"].contains($0.key.scalar) }
            source.options += [
                (scalar("since"), scalar("\(from / 1_000_000_000 + 1)")), (scalar("until"), scalar("\(to / 1_000_000_000)")),
                (scalar("mode"), scalar("backfill")),
            ]
        } else {
            source.options.removeAll { ["from", "to"].contains($0.key.scalar) }
            source.options += [(scalar("from"), scalar("\(from)")), (scalar("to"), scalar("\(to)"))]
        }
        transform.options.removeAll { $0.key.scalar == "flush_at_end" }
        transform.options.append((scalar("flush_at_end"), ConfigNode(.scalar("true"), at: location)))
        return PipelineDefinition(file: file, components: [source, transform, sink])
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
                ?? ComponentDefinition(
                    id: name + "-transform", kind: .transform, type: "downsample", inputs: [name + "-source"], location: nameNode.location,
                    typeLocation: nameNode.location, inputLocations: [nameNode.location],
                    options: [(ConfigNode(.scalar("window"), at: nameNode.location), windowNode)]
                )
            let sink = component(&reader, "sink", kind: .sink, id: name + "-sink", inputs: [name + "-transform"], errors: &errors)
            if source == nil { reader.fail(nameNode.location, "job '\(name)' needs a 'source'") }
            if sink == nil { reader.fail(nameNode.location, "job '\(name)' needs a 'sink'") }
            do throws(ConfigErrors) { try reader.finish() } catch { errors += error.errors }
            if let source, let sink {
                jobs.append(JobDefinition(
                    name: name, location: nameNode.location, schedule: schedule, scheduleLocation: scheduleLocation, timezone: timezone,
                    window: window, lag: lag, start: start, source: source, transform: transform, sink: sink))
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
