public import Logging
public import PipelineConfig
public import EventModel
public import Telemetry

/// What every stage gets at run time.
public struct StageContext: Sendable {
    public let id: String
    public let logger: Logger
    public let counters: StageCounters
    /// `run --once`: sources that would run forever do one pass (one probe round, one poll) and end.
    public let once: Bool
    /// Where the stage reports whether it can do its work (`GET /ready`).
    public let health: HealthChecks

    public init(id: String, logger: Logger, counters: StageCounters, once: Bool, health: HealthChecks = HealthChecks()) {
        self.id = id
        self.logger = logger
        self.counters = counters
        self.once = once
        self.health = health
    }

    /// The stage's series (its counters' registry and labels).
    public var metrics: ComponentMetrics { counters.metrics }
}

/// A source produces batches until it is done (finite) or cancelled (graceful shutdown).
public protocol Source: Sendable {
    func run(context: StageContext, output: StageOutput) async throws
    /// Called once the whole pipeline has stopped, when every sink has acknowledged (or failed)
    /// what it received: the moment to persist the last acknowledged positions.
    func finish(context: StageContext) async
}

extension Source {
    public func finish(context: StageContext) async {}
}

/// A transform consumes its input until it ends and emits into its output.
public protocol Transform: Sendable {
    func run(context: StageContext, input: StageInput, output: StageOutput) async throws
    /// Called once the whole pipeline has stopped, when every sink has acknowledged (or failed)
    /// what it received: the moment to store state that depends on those acknowledgements.
    func finish(context: StageContext) async
}

extension Transform {
    public func finish(context: StageContext) async {}
}

/// A transform that maps each batch on its own; points it removes are acknowledged by the
/// batch's remaining path, and a batch left empty is acknowledged as delivered.
public protocol BatchTransform: Transform {
    func transform(_ batch: inout Batch) throws
}

extension BatchTransform {
    public func run(context: StageContext, input: StageInput, output: StageOutput) async throws {
        for await var batch in input {
            context.counters.add(received: batch.points.count)
            try transform(&batch)
            if batch.points.isEmpty {
                batch.acknowledge(.delivered)
            } else {
                try await output.send(batch)
            }
        }
    }
}

/// A sink consumes its input until it ends, acknowledging each batch once it is durable.
/// Throwing means it failed for good.
public protocol Sink: Sendable {
    func run(context: StageContext, input: StageInput) async throws
}

/// Settings every component's build sees.
public struct BuildContext: Sendable {
    public let id: String
    public let logger: Logger
    public let once: Bool
    public let stateDirectory: String?
    /// Where positions and job progress are kept: the state directory or PostgreSQL; nil when
    /// the pipeline configures neither.
    public let checkpoints: (any CheckpointStorage)?
    /// The pipeline's `database_url:`, for components that read the configuration store.
    public let databaseURL: Secret?
    /// The component's series; they count nothing unless the run exposes metrics.
    public let metrics: ComponentMetrics
    /// Where the component reports whether it can do its work (`GET /ready`).
    public let health: HealthChecks
    /// The pipeline's `agent:` (this instance's name), for what must be unique per instance.
    public let agent: String

    /// For building a component outside a pipeline (benchmarks, tools).
    public init(
        id: String, logger: Logger, once: Bool = false, stateDirectory: String? = nil,
        checkpoints: (any CheckpointStorage)? = nil, databaseURL: Secret? = nil,
        metrics: ComponentMetrics? = nil, health: HealthChecks = HealthChecks(), agent: String = RuntimeSettings.hostAgentName
    ) {
        self.agent = agent
        self.metrics = metrics ?? .discarding(id: id)
        self.health = health
        self.id = id
        self.logger = logger
        self.once = once
        self.stateDirectory = stateDirectory
        self.checkpoints = checkpoints
        self.databaseURL = databaseURL
    }
}

/// A component type: a config struct decoded from the file's options, plus `build()`.
public protocol ComponentConfiguration: Sendable {
    associatedtype Component: Sendable
    /// The `type:` name in pipeline files.
    static var typeName: String { get }
    /// Reads and checks options; problems go into `options`, which the registry then finishes.
    init(options: inout OptionsReader)
    func build(_ context: BuildContext) throws -> Component
}

public protocol SourceConfiguration: ComponentConfiguration where Component: Source {}
public protocol TransformConfiguration: ComponentConfiguration where Component: Transform {}
public protocol SinkConfiguration: ComponentConfiguration where Component: Sink {}

/// A component that failed to build or run; the description names the stage, never a secret.
public struct StageError: Error, Sendable, CustomStringConvertible {
    public var kind: ComponentKind
    public var id: String
    public var message: String
    /// What the component threw, for callers that match on the cause (`message` is its description).
    public var cause: (any Error)?

    public init(kind: ComponentKind, id: String, message: String, cause: (any Error)? = nil) {
        self.kind = kind
        self.id = id
        self.message = message
        self.cause = cause
    }

    /// The stage `kind` `id` failed with `error`.
    public init(kind: ComponentKind, id: String, failure error: any Error) {
        self.init(kind: kind, id: id, message: "\(error)", cause: error)
    }

    public var description: String { "\(kind) '\(id)': \(message)" }
}
