import EventModel
public import PipelineConfig
public import PipelineRuntime

/// `type: influx_query` — reads points back from InfluxDB with InfluxQL over `/query`
/// (InfluxDB 1.x, or 2.x through its v1-compatible endpoint), chunked, for a time range:
/// `SELECT * FROM <measurement> WHERE time >= from AND time < to GROUP BY *` per measurement.
/// Field types come from `SHOW FIELD KEYS`, so integers stay integers.
public struct InfluxQueryConfiguration: SourceConfiguration {
    public static let typeName = "influx_query"

    /// `url`, and `username`/`password`, or `token` for InfluxDB 2's v1-compatible endpoint.
    public var server: InfluxServerOptions
    public var database: String
    public var retentionPolicy: String?
    public var measurements: [String]
    /// Nanoseconds since the epoch; `from` inclusive, `to` exclusive. Jobs set them per run.
    public var from: Int64?
    public var to: Int64?
    public var chunkSize: Int
    public var requestTimeout: Duration

    public init(options: inout OptionsReader) {
        server = InfluxServerOptions(options: &options)
        database = options.requiredString("database")
        retentionPolicy = options.string("retention_policy").flatMap { $0.isEmpty ? nil : $0 }
        measurements = options.stringList("measurements") ?? LatencySchema.Measurement.rounds
        from = options.time("from", in: .nanoseconds)
        to = options.time("to", in: .nanoseconds)
        chunkSize = options.int("chunk_size", default: 10_000, range: 1...1_000_000)
        requestTimeout = options.duration("request_timeout", default: .seconds(60))
        server.checkUserAndPassword(&options)
    }

    public func build(_ context: BuildContext) throws -> InfluxQuerySource {
        try InfluxQuerySource(configuration: self)
    }
}
