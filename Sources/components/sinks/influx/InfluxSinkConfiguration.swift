public import LineProtocol
public import PipelineConfig
public import PipelineRuntime

/// `type: influx` — InfluxDB line protocol over HTTP, v1 `/write` or v2 `/api/v2/write`.
public struct InfluxSinkConfiguration: SinkConfiguration {
    public static let typeName = "influx"

    public enum API: String, Sendable, CaseIterable {
        case v1, v2
    }

    /// `url`, and `username`/`password` (v1) or `token` (v2).
    public var server: InfluxServerOptions
    public var api: API
    // v1
    public var database: String?
    public var retentionPolicy: String?
    // v2
    public var org: String?
    public var bucket: String?

    public var precision: Precision
    public var batchMaxLines: Int
    public var batchMaxBytes: Int
    public var flushInterval: Duration
    public var gzip: Bool
    public var concurrency: Int
    public var requestTimeout: Duration
    public var retryInitialBackoff: Duration
    public var retryMaxBackoff: Duration
    /// 0: retry retryable failures for as long as the pipeline runs.
    public var retryMaxAttempts: Int

    public init(url: String, api: API) {
        server = InfluxServerOptions(url: url)
        self.api = api
        precision = .nanoseconds
        batchMaxLines = 5000
        batchMaxBytes = 1 << 20
        flushInterval = .seconds(1)
        gzip = true
        concurrency = 2
        requestTimeout = .seconds(10)
        retryInitialBackoff = .milliseconds(500)
        retryMaxBackoff = .seconds(30)
        retryMaxAttempts = 0
    }

    public init(options: inout OptionsReader) {
        self.init(url: "", api: .v1)
        server = InfluxServerOptions(options: &options)
        api = options.oneOf("api", default: .v1)
        // An empty value counts as unset, so `${INFLUX_DATABASE:-}` reads as not given.
        database = options.string("database").nonEmpty
        retentionPolicy = options.string("retention_policy").nonEmpty
        org = options.string("org").nonEmpty
        bucket = options.string("bucket").nonEmpty
        precision = options.oneOf("precision", default: .nanoseconds)
        batchMaxLines = options.int("batch_max_lines", default: batchMaxLines, range: 1...1_000_000)
        batchMaxBytes = options.int("batch_max_bytes", default: batchMaxBytes, range: 1024...(256 << 20))
        flushInterval = options.duration("flush_interval", default: flushInterval)
        gzip = options.bool("gzip", default: gzip)
        concurrency = options.int("concurrency", default: concurrency, range: 1...64)
        requestTimeout = options.duration("request_timeout", default: requestTimeout)
        retryInitialBackoff = options.duration("retry_initial_backoff", default: retryInitialBackoff)
        retryMaxBackoff = options.duration("retry_max_backoff", default: retryMaxBackoff)
        retryMaxAttempts = options.int("retry_max_attempts", default: 0, range: 0...1_000_000)

        let id = options.componentID
        switch api {
        case .v1:
            if database == nil { options.fail(options.location, "'\(id)' (api v1) needs option 'database'") }
            for key in ["org", "bucket", "token"] where options.has(key) {
                options.fail(options.location, "option '\(key)' of '\(id)' belongs to api v2")
            }
            server.checkUserAndPassword(&options)
        case .v2:
            if bucket == nil { options.fail(options.location, "'\(id)' (api v2) needs option 'bucket'") }
            for key in ["database", "retention_policy", "username", "password"] where options.has(key) {
                options.fail(options.location, "option '\(key)' of '\(id)' belongs to api v1")
            }
        }
    }

    public func build(_ context: BuildContext) throws -> InfluxSink {
        InfluxSink(configuration: self, endpoint: try InfluxEndpoint(self, server: server.server()))
    }
}

extension Optional<String> {
    var nonEmpty: String? {
        guard let self, !self.isEmpty else { return nil }
        return self
    }
}
