import Postgres
public import PipelineConfig
import EventModel
public import PipelineRuntime
import TargetStore

/// `type: postgres_join` — adds each target's metadata (category, site, cachegroup, title,
/// probe) from the configuration store as tags. Points of inactive targets are dropped;
/// unknown targets are passed, dropped or tagged. The metadata lives in memory, follows the
/// database through NOTIFY and a periodic refresh, and survives the database going away (see
/// `MetadataRefresher`). With no database configured, `targets_file` is the origin.
public struct PostgresJoinConfiguration: TransformConfiguration {
    public static let typeName = "postgres_join"

    public enum Match: String, CaseIterable, Sendable { case name, host }
    public enum Unknown: String, CaseIterable, Sendable { case pass, drop, tag }
    /// Metadata columns a tag can come from, each with its default tag name (docs/schema.md).
    static let defaultTags: [(column: String, tag: String)] = [
        ("category", LatencySchema.Tag.category), ("site", LatencySchema.Tag.site), ("cachegroup", LatencySchema.Tag.cachegroup),
        ("title", LatencySchema.Tag.title), ("probe", LatencySchema.Tag.probe),
    ]
    /// `alerts` (the `alert` transform's rules per target) is a column a tag can come from but
    /// not a default: the alert transform reads the tag and takes it off before any sink.
    public static let columns = defaultTags.map(\.column) + ["alerts"]

    var databaseURL: Secret?
    var targetsFile: String?
    var match: Match
    var matchTag: String
    /// Column → tag name, sorted by tag name in byte order.
    var tags: [(column: String, tag: String)]
    var unknown: Unknown
    var unknownTag: String
    /// The boolean field set to `true` on points enriched from a stale snapshot. A field, not
    /// a tag: a marker that comes and goes with an outage must not change a point's series
    /// (InfluxDB's, the downsampler's), or every window spanning an outage splits in two.
    var staleField: String?
    var refreshInterval: Duration

    public init(options: inout OptionsReader) {
        databaseURL = options.secret("database_url")
        targetsFile = options.string("targets_file")
        match = options.oneOf("match", default: Match.name)
        matchTag = options.string("match_tag") ?? LatencySchema.Tag.target
        let mapping = options.stringMap("tags") ?? Self.defaultTags.map { ($0.column, $0.tag) }
        for (column, tag) in mapping where !Self.columns.contains(column) || tag.isEmpty {
            options.fail(options.location, "'\(options.componentID)': tags maps metadata columns (\(Self.columns.joined(separator: ", "))) to tag names; '\(column): \(tag)' is not one")
        }
        tags = mapping.map { (column: $0.0, tag: $0.1) }.sorted { Point.byteOrder($0.tag, $1.tag) }
        unknown = options.oneOf("unknown", default: Unknown.pass)
        unknownTag = options.string("unknown_tag") ?? LatencySchema.Tag.metadata
        if options.has("stale_tag"), let node = options.node("stale_tag") {
            options.fail(node.location, "'\(options.componentID)': stale_tag was replaced by stale_field (a boolean field: a tag that comes and goes with an outage splits every series in two)")
        }
        staleField = options.string("stale_field")
        if let staleField, staleField.isEmpty {
            options.fail(options.location, "'\(options.componentID)': stale_field must name a field")
        }
        refreshInterval = options.duration("refresh_interval", default: .seconds(300))
    }

    struct NoOrigin: Error, CustomStringConvertible {
        var description: String {
            "needs a database (option database_url, the pipeline's database_url, or DATABASE_URL) or a targets_file"
        }
    }

    public func build(_ context: BuildContext) throws -> PostgresJoin {
        let origin: MetadataRefresher.Origin
        if let connectionString = ConnectionString.configured(explicit: databaseURL?.value, pipeline: context.databaseURL?.value) {
            origin = .database(connectionString: connectionString)
        } else if let targetsFile {
            origin = .file(path: targetsFile)
        } else {
            throw NoOrigin()
        }
        let cache = MetadataCache()
        // The last good snapshot sits in the state directory even when checkpoints go to PostgreSQL.
        let storage = context.stateDirectory.map { FileCheckpointStorage(directory: $0) }
        let refresher = MetadataRefresher(
            origin: origin, cache: cache, refreshInterval: refreshInterval, snapshotStorage: storage,
            snapshotName: "postgres-join-\(context.id)", logger: context.logger
        )
        return PostgresJoin(configuration: self, cache: cache, refresher: refresher)
    }
}
