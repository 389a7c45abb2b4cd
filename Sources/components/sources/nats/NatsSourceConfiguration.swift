public import PipelineConfig
public import PipelineRuntime

/// `type: nats` (source) — a durable JetStream pull consumer: each message becomes a batch,
/// acked when every sink has accepted it, nak'ed (redelivered after `nak_delay`) when one failed.
/// Several processes on the same `durable` share the messages.
public struct NatsSourceConfiguration: SourceConfiguration {
    public static let typeName = "nats"

    public var server: NatsServerOptions
    /// The stream to read (declared first when `stream:` is a mapping).
    public var streamName: String
    /// The consumer's filter: which of the stream's subjects it reads.
    public var subject: String
    public var durable: String
    /// Messages asked for per fetch.
    public var fetchBatch: Int
    public var fetchTimeout: Duration
    /// Messages delivered and not yet acknowledged, at most: the backpressure across machines.
    public var maxAckPending: Int
    public var ackWait: Duration
    public var nakDelay: Duration

    public init(urls: [String], stream: String, subject: String, durable: String) {
        server = NatsServerOptions(urls: urls)
        streamName = stream
        self.subject = subject
        self.durable = durable
        fetchBatch = 16
        fetchTimeout = .seconds(1)
        maxAckPending = 1000
        ackWait = .seconds(120)
        nakDelay = .seconds(5)
    }

    public init(options: inout OptionsReader) {
        self.init(urls: [], stream: "", subject: "", durable: "")
        server = NatsServerOptions(options: &options)
        streamName = server.stream?.name ?? server.streamName ?? ""
        if streamName.isEmpty { options.fail(options.location, "'\(options.componentID)' needs option 'stream' (a name, or a mapping to declare it)") }
        subject = options.string("subject") ?? server.stream?.subjects.first ?? ""
        if subject.isEmpty { options.fail(options.location, "'\(options.componentID)' needs option 'subject' (which of the stream's subjects to read)") }
        durable = options.requiredString("durable")
        if durable.contains(where: { " .*>\t".contains($0) }) {
            options.fail(options.location, "'\(options.componentID)': durable '\(durable)' may not contain spaces, '.', '*' or '>'")
        }
        fetchBatch = options.int("fetch_batch", default: fetchBatch, range: 1...1024)
        fetchTimeout = options.duration("fetch_timeout", default: fetchTimeout)
        maxAckPending = options.int("max_ack_pending", default: maxAckPending, range: 1...100_000)
        ackWait = options.duration("ack_wait", default: ackWait)
        nakDelay = options.duration("nak_delay", default: nakDelay)
    }

    public func build(_ context: BuildContext) throws -> NatsSource {
        NatsSource(configuration: self, agent: context.agent)
    }
}
