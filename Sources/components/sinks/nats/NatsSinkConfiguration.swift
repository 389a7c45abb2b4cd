public import LineProtocol
public import PipelineConfig
public import PipelineRuntime

/// `type: nats` (sink) — publishes batches to JetStream as zstd-compressed line protocol, one
/// message per batch (split at `batch_max_points`), each acknowledged upstream only when
/// JetStream's publish acknowledgement arrives.
public struct NatsSinkConfiguration: SinkConfiguration {
    public static let typeName = "nats"

    public enum Compression: String, Sendable, CaseIterable { case zstd, none }

    public var server: NatsServerOptions
    /// The subject of every message (e.g. `smokeflow.points.<site>`).
    public var subject: String
    public var precision: Precision
    public var batchMaxPoints: Int
    public var compression: Compression
    public var retryInitialBackoff: Duration
    public var retryMaxBackoff: Duration

    public init(urls: [String], subject: String) {
        server = NatsServerOptions(urls: urls)
        self.subject = subject
        precision = .nanoseconds
        batchMaxPoints = 5000
        compression = .zstd
        retryInitialBackoff = .milliseconds(250)
        retryMaxBackoff = .seconds(10)
    }

    public init(options: inout OptionsReader) {
        self.init(urls: [], subject: "")
        server = NatsServerOptions(options: &options)
        subject = options.requiredString("subject")
        if subject.contains(where: { " *>\t\n".contains($0) }) || subject.hasPrefix(".") || subject.hasSuffix(".") {
            options.fail(options.location, "'\(options.componentID)': subject '\(subject)' must be dot-separated tokens without spaces or wildcards")
        }
        precision = options.oneOf("precision", default: .nanoseconds)
        batchMaxPoints = options.int("batch_max_points", default: batchMaxPoints, range: 1...100_000)
        compression = options.oneOf("compression", default: .zstd)
        retryInitialBackoff = options.duration("retry_initial_backoff", default: retryInitialBackoff)
        retryMaxBackoff = options.duration("retry_max_backoff", default: retryMaxBackoff)
    }

    public func build(_ context: BuildContext) throws -> NatsSink {
        NatsSink(configuration: self, agent: context.agent)
    }
}
