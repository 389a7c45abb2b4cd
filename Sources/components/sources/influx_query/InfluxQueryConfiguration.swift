import EventModel
public import PipelineConfig
public import PipelineRuntime

/// `type: influx_query` — reads points back from InfluxDB with InfluxQL over `/query`
/// (InfluxDB 1.x, or 2.x through its v1-compatible endpoint), chunked, for a time range:
/// `SELECT * FROM <measurement> WHERE time >= from AND time < to GROUP BY *` per measurement.
/// Field types come from `SHOW FIELD KEYS`, so integers stay integers.
public struct InfluxQueryConfiguration: SourceConfiguration {
    public static let typeName = "influx_query"

    public var url: String
    public var database: String
    public var retentionPolicy: String?
    public var username: String?
    public var password: Secret?
    /// InfluxDB 2's v1-compatible endpoint takes `Authorization: Token …`.
    public var token: Secret?
    public var measurements: [String]
    /// Nanoseconds since the epoch; `from` inclusive, `to` exclusive. Jobs set them per run.
    public var from: Int64?
    public var to: Int64?
    public var chunkSize: Int
    public var requestTimeout: Duration

    public init(options: inout OptionsReader) {
        url = options.string("url") ?? "http://127.0.0.1:8086"
        if !(url.hasPrefix("http://") || url.hasPrefix("https://")), let node = options.node("url") {
            options.fail(node.location, "option 'url' must start with http:// or https://")
        }
        database = options.requiredString("database")
        retentionPolicy = options.string("retention_policy").flatMap { $0.isEmpty ? nil : $0 }
        username = options.string("username").flatMap { $0.isEmpty ? nil : $0 }
        password = options.secret("password").flatMap { $0.value.isEmpty ? nil : $0 }
        token = options.secret("token").flatMap { $0.value.isEmpty ? nil : $0 }
        measurements = options.stringList("measurements") ?? LatencySchema.Measurement.rounds
        from = options.time("from", in: .nanoseconds)
        to = options.time("to", in: .nanoseconds)
        chunkSize = options.int("chunk_size", default: 10_000, range: 1...1_000_000)
        requestTimeout = options.duration("request_timeout", default: .seconds(60))
        if (username == nil) != (password == nil) {
            options.fail(options.location, "'\(options.componentID)' needs both 'username' and 'password', or neither")
        }
    }

    public func build(_ context: BuildContext) throws -> InfluxQuerySource {
        try InfluxQuerySource(configuration: self)
    }
}
