/// A JetStream stream as the pipeline file declares it; created or updated at start.
public struct NatsStreamSettings: Sendable, Equatable {
    public enum Retention: String, Sendable, CaseIterable {
        /// Kept by age and size, read by any number of consumers (the points' stream).
        case limits
        /// Each message read once by one consumer, then gone (backfill work items).
        case workQueue = "work_queue"
    }

    public var name: String
    public var subjects: [String]
    public var retention: Retention = .limits
    public var replicas = 1
    public var memory = false
    public var maxAge: Duration = .zero
    public var maxBytes: Int64 = 0
    /// How long JetStream remembers a `Nats-Msg-Id` to drop a resend.
    public var duplicateWindow: Duration = .seconds(20 * 60)
    /// JetStream domains (leaf-node sites) whose stream `sourceStream` this one sources.
    public var sourceDomains: [String] = []
    /// The name of the stream in each of `sourceDomains`; nil for `name`.
    public var sourceStream: String?

    public init(name: String, subjects: [String]) {
        self.name = name
        self.subjects = subjects
    }
}
