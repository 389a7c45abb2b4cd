import LibRRD
import SmokePingConfig
import SmokePingFiles
public import PipelineConfig
public import PipelineRuntime
import EventModel

/// `type: rrd` — SmokePing's RRD files as a source.
///
/// `mode: backfill` reads every file's whole history once (finest archive per period, see
/// `ArchivePlan`) and ends; `mode: tail` polls the tree and emits the rows newer than each file's
/// acknowledged position. Both keep per-file positions in `state_dir` and commit only what every
/// sink acknowledged, so a rerun or restart continues where the last one stopped.
public struct RRDSourceConfiguration: SourceConfiguration {
    public static let typeName = "rrd"

    public enum Mode: String, Sendable, CaseIterable { case backfill, tail }
    public enum StartFrom: String, Sendable, CaseIterable { case beginning, end }

    public var mode: Mode
    /// The data directory; empty when `smokepingConfig` gives it (its `datadir`).
    public var path: String
    /// SmokePing's config (`/etc/smokeping/config`): each file's probe type, probe, title and
    /// host come from its target there; `probe_types` only decides files the config lacks.
    public var smokepingConfig: String?
    public var include: [Glob]
    public var exclude: [Glob]
    /// First matching glob decides a file's `probe_type`; otherwise `default_probe_type`.
    public var probeTypes: [(Glob, String)]
    public var defaultProbeType: String
    public var since: Int?
    public var until: Int?
    public var concurrency: Int
    public var batchSize: Int
    public var pollInterval: Duration
    public var startFrom: StartFrom
    /// `mode: backfill` shared by workers through a JetStream work queue (`RRDWorkQueue`).
    public var workQueue: RRDWorkQueue?

    public init(options: inout OptionsReader) {
        mode = options.oneOf("mode", default: .backfill)
        smokepingConfig = options.string("smokeping_config")
        path = smokepingConfig == nil ? options.requiredString("path") : options.string("path") ?? ""
        include = (options.stringList("include") ?? []).map(Glob.init)
        exclude = (options.stringList("exclude") ?? []).map(Glob.init)
        probeTypes = (options.stringMap("probe_types") ?? []).map { (Glob($0.0), $0.1) }
        defaultProbeType = options.string("default_probe_type") ?? LatencySchema.ProbeType.fping
        since = options.time("since", in: .seconds).map { Int($0) }
        until = options.time("until", in: .seconds).map { Int($0) }
        concurrency = options.int("concurrency", default: 4, range: 1...64)
        batchSize = options.int("batch_size", default: 1000, range: 1...100_000)
        pollInterval = options.duration("poll_interval", default: .seconds(60))
        startFrom = options.oneOf("start_from", default: .beginning)
        if let node = options.node("work_queue") {
            workQueue = RRDWorkQueue(node, options: &options)
            if mode != .backfill { options.fail(node.location, "'\(options.componentID)': work_queue is for mode: backfill") }
        }
    }

    struct MissingCheckpointStorage: Error, CustomStringConvertible {
        var description: String {
            "needs somewhere to keep its positions (pipeline setting state_dir, run --state-dir, or checkpoints: postgres)"
        }
    }

    public func build(_ context: BuildContext) throws -> RRDSource {
        guard let storage = context.checkpoints else { throw MissingCheckpointStorage() }
        let checkpoints = CheckpointStore(storage: storage, name: "rrd-\(context.id)", logger: context.logger)
        let tree = path.isEmpty ? smokepingConfig ?? "" : path
        return RRDSource(
            configuration: self, checkpoints: checkpoints,
            metrics: RRDSourceMetrics(context.metrics, tree: tree, checkpoints: checkpoints))
    }

    func probeType(for file: SmokePingFile) -> String {
        probeTypes.first { $0.0.matches(file.relativePath) }?.1 ?? defaultProbeType
    }

    /// A file's probe type and the tags its SmokePing target adds (`probe`, `title`, and `host`,
    /// or `resolver` for DNS rounds); glob rules for files the config does not name.
    func probeTypeAndTags(of file: SmokePingFile, in index: SmokePingTargetIndex?) -> (probeType: String, tags: [Point.Tag]) {
        guard let entry = index?.entry(forSeriesPath: file.seriesPath) else { return (probeType(for: file), []) }
        typealias Tag = LatencySchema.Tag
        var tags = [Point.Tag(Tag.probe, entry.probe)]
        if let title = entry.title, !title.isEmpty { tags.append(Point.Tag(Tag.title, title)) }
        tags.append(Point.Tag(entry.probeType == LatencySchema.ProbeType.dns ? Tag.resolver : Tag.host, entry.host))
        return (entry.probeType, tags)
    }
}
