public import Logging
public import PipelineConfig
import ServiceLifecycle
public import UnixSignals
public import Telemetry
import Synchronization
import StructuredLogs
#if canImport(Glibc)
import Glibc
#endif

/// Runtime settings, from the pipeline file's top level and the command line.
public struct RuntimeSettings: Sendable {
    /// Batches a channel holds before its producers wait.
    public var channelCapacity = 4
    /// How long in-flight batches may take to drain on shutdown before stages are cancelled.
    public var shutdownTimeout: Duration = .seconds(30)
    public var stateDirectory: String?
    /// The PostgreSQL configuration store (`database_url:`), for components and checkpoints.
    public var databaseURL: Secret?
    /// `checkpoints:` — the backend name (`state_dir` by default, `postgres`).
    public var checkpointBackend = RuntimeSettings.stateDirectoryBackend
    /// The `checkpoints:` value that keeps them in `state_dir`.
    public static let stateDirectoryBackend = "state_dir"
    /// `agent:` — this instance's name (default: the host name): checkpoints shared by several
    /// agents (PostgreSQL) are kept per agent, so two running one file never share positions.
    public var agent = RuntimeSettings.hostAgentName
    /// Overrides the state directory as the checkpoint backend (e.g. PostgreSQL).
    public var checkpointStorage: (any CheckpointStorage)?
    public var once = false
    public var signals: [UnixSignal] = [.sigterm, .sigint]
    /// `metrics: { address: 127.0.0.1:9598 }`: where `smokeflow run` serves `/metrics`,
    /// `/health` and `/ready`; nil: no endpoint, and no series kept.
    public var metricsAddress: ListenAddress?
    /// The run's series: `.discarding` unless something serves them.
    public var metrics = MetricsRegistry.discarding
    /// The run's readiness checks (`GET /ready`).
    public var health = HealthChecks()

    public init() {}

    /// Reads the top-level settings of a pipeline file.
    public init(_ definition: PipelineDefinition) throws(ConfigErrors) {
        var reader = OptionsReader(
            componentID: "pipeline", location: SourceLocation(file: definition.file, line: 1, column: 1), pairs: definition.settings
        )
        channelCapacity = reader.int("channel_capacity", default: channelCapacity, range: 1...1024)
        shutdownTimeout = reader.duration("shutdown_timeout", default: shutdownTimeout)
        stateDirectory = reader.string("state_dir")
        databaseURL = reader.secret("database_url")
        checkpointBackend = reader.string("checkpoints") ?? checkpointBackend
        if let node = reader.node("agent") {
            if let name = node.scalar, Self.isAgentName(name) {
                agent = name
            } else {
                reader.fail(node.location, "agent: must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
            }
        }
        if let node = reader.node("metrics") {
            (metricsAddress, health) = Self.metrics(node, reader: &reader)
        }
        // Read by `smokeflow test` and the job scheduler, not by the streaming pipeline.
        _ = reader.node("jobs")
        _ = reader.node("tests")
        try reader.finish()
    }
}

extension RuntimeSettings {
    /// `metrics: { address: HOST:PORT, sink_failure_budget: 60s }`.
    static func metrics(_ node: ConfigNode, reader: inout OptionsReader) -> (ListenAddress?, HealthChecks) {
        guard let pairs = node.mapping else {
            reader.fail(node.location, "metrics: must be a mapping such as { address: 127.0.0.1:9598 }")
            return (nil, HealthChecks())
        }
        var options = OptionsReader(componentID: "metrics", location: node.location, pairs: pairs)
        var address: ListenAddress?
        if let value = options.node("address") {
            address = value.scalar.flatMap(ListenAddress.init)
            if address == nil { options.fail(value.location, "metrics.address: '\(value.scalar ?? value.kindName)' is not HOST:PORT (IPv6 as [::1]:9598)") }
        } else {
            options.fail(node.location, "metrics: needs 'address' (HOST:PORT, such as 127.0.0.1:9598)")
        }
        let budget = options.duration("sink_failure_budget", default: .seconds(60))
        do { try options.finish() } catch { for problem in error.errors { reader.fail(problem.location, problem.message) } }
        return (address, HealthChecks(sinkFailureBudget: budget))
    }

    /// A name that is safe in a key, a path and a log line.
    public static func isAgentName(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 64, isAlphanumeric(first) else { return false }
        return name.utf8.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// The host name (`gethostname`), or "localhost" when it is not a safe agent name.
    public static let hostAgentName: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return isAgentName(name) ? name : "localhost"
    }()
}

/// The outcome of a run: the stages that failed, and every stage's counts.
public struct RunReport: Sendable {
    public var failures: [StageError]
    public var counts: [(kind: ComponentKind, id: String, received: Int, sent: Int, dropped: Int)]
    public var succeeded: Bool { failures.isEmpty }
}

/// A pipeline wired from its plan: one `Service` per stage in a `ServiceGroup`, bounded
/// channels between them.
public struct Pipeline: Sendable {
    public let settings: RuntimeSettings
    let stages: [ServiceGroupConfiguration.ServiceConfiguration]
    let monitor: RunMonitor
    let counters: [(ComponentKind, String, StageCounters)]
    let sources: [(any Source, StageContext)]
    let transforms: [(any Transform, StageContext)]
    let logger: Logger

    public init(plan: [PlannedComponent], settings: RuntimeSettings, logger: Logger) throws(StageError) {
        self.settings = settings
        self.logger = logger
        let sinkCount = plan.filter { $0.definition.kind == .sink }.count
        let monitor = RunMonitor(sinks: sinkCount)
        self.monitor = monitor

        // One input channel per consuming stage; its producers are the stage's inputs.
        var inputChannels: [String: BoundedChannel] = [:]
        var downstream: [String: [BoundedChannel]] = [:]
        // Created first, so a sink's input channel can count the drops of its buffer.
        let stageCounters = Dictionary(
            plan.map { component in
                let definition = component.definition
                let metrics = ComponentMetrics(
                    registry: settings.metrics, id: definition.id, kind: definition.kind.rawValue, type: definition.type)
                return (definition.id, StageCounters(metrics: metrics))
            }, uniquingKeysWith: { first, _ in first })
        for component in plan where component.definition.kind != .source {
            let channel = BoundedChannel(
                capacity: component.buffer.maxBatches ?? settings.channelCapacity, producers: component.definition.inputs.count,
                // A disk buffer reads its channel at once and applies `when_full` itself.
                whenFull: component.buffer.kind == .memory ? component.buffer.whenFull : .block,
                counters: stageCounters[component.definition.id],
                measuresBytes: component.definition.kind == .sink && component.buffer.kind == .memory)
            inputChannels[component.definition.id] = channel
            for input in component.definition.inputs { downstream[input, default: []].append(channel) }
        }

        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        var counters: [(ComponentKind, String, StageCounters)] = []
        var sources: [(any Source, StageContext)] = []
        var transforms: [(any Transform, StageContext)] = []
        let checkpoints = try Self.checkpoints(settings)
        for component in plan {
            let definition = component.definition
            var stageLogger = logger
            stageLogger[metadataKey: LogKey.componentID] = "\(definition.id)"
            let stageCounters = stageCounters[definition.id] ?? StageCounters()
            counters.append((definition.kind, definition.id, stageCounters))
            let context = StageContext(
                id: definition.id, logger: stageLogger, counters: stageCounters, once: settings.once, health: settings.health)
            let built: BuiltComponent
            do {
                built = try component.build(
                    BuildContext(
                        id: definition.id, logger: stageLogger, once: settings.once, stateDirectory: settings.stateDirectory,
                        checkpoints: checkpoints, databaseURL: settings.databaseURL, metrics: stageCounters.metrics,
                        health: settings.health, agent: settings.agent
                    )
                )
            } catch {
                throw StageError(kind: definition.kind, id: definition.id, failure: error)
            }
            let output = StageOutput(
                channels: downstream[definition.id] ?? [], counters: stageCounters, origin: definition.kind == .source ? definition.id : nil
            )
            let service: any Service
            switch built {
            case .source(let source):
                sources.append((source, context))
                service = SourceStage(source: source, context: context, output: output, monitor: monitor)
            case .transform(let transform):
                transforms.append((transform, context))
                service = TransformStage(
                    transform: transform, context: context, input: StageInput(inputChannels[definition.id]!), output: output,
                    monitor: monitor
                )
            case .sink(let sink):
                let channel = inputChannels[definition.id]!
                if component.buffer.kind == .memory {
                    BufferMetrics.register(
                        context.metrics, health: settings.health, type: "memory", fullIsFault: component.buffer.whenFull == .dropNewest
                    ) { [channel] in
                        let usage = channel.usage
                        return (usage, Double(usage.records) / Double(max(1, channel.capacity)))
                    }
                }
                service = SinkStage(
                    sink: sink, context: context, input: StageInput(channel), monitor: monitor,
                    bufferStatus: component.buffer.kind == .memory ? MemoryBufferStatus(channel: channel, logger: stageLogger) : nil)
            }
            services.append(
                .init(service: service, successTerminationBehavior: .ignore, failureTerminationBehavior: .gracefullyShutdownGroup)
            )
        }
        // The group shuts services down in reverse order: sources first, sinks last.
        self.stages = services.reversed()
        self.counters = counters
        self.sources = sources
        self.transforms = transforms
    }

    /// Settings made in code (tests, jobs) may name a state directory without resolving the
    /// backend; a file's settings come resolved (`ComponentRegistry.resolveCheckpoints`).
    static func checkpoints(_ settings: RuntimeSettings) throws(StageError) -> (any CheckpointStorage)? {
        if let storage = settings.checkpointStorage { return storage }
        guard settings.checkpointBackend == RuntimeSettings.stateDirectoryBackend else {
            throw StageError(kind: .source, id: "*", message: "checkpoints: backend '\(settings.checkpointBackend)' was not resolved")
        }
        return settings.stateDirectory.map { FileCheckpointStorage(directory: $0) }
    }

    /// Stops a running pipeline as a shutdown signal does (sources first, then drain); before
    /// `run`, makes it stop as soon as it starts. For embedders and tests: a signal is
    /// process-wide.
    public func shutdown() {
        monitor.requestShutdown()
    }

    /// Runs until every sink has drained (finite sources) or a shutdown signal, then drains.
    public func run() async -> RunReport {
        // Notified first (the group goes through its services in reverse order), it marks when
        // the shutdown began: `shutdown_timeout` bounds everything from there.
        let shutdownStart = ShutdownStart()
        var configuration = ServiceGroupConfiguration(
            services: stages + [.init(service: shutdownStart, successTerminationBehavior: .ignore)], logger: logger)
        configuration.gracefulShutdownSignals = settings.signals
        configuration.maximumGracefulShutdownDuration = settings.shutdownTimeout
        // Cancelled work that cannot stop (a blocking call) ends the process rather than hold it
        // for ever; at least 5 s, so a loaded machine's slow wake-up is not mistaken for a hang.
        configuration.maximumCancellationDuration = max(settings.shutdownTimeout, .seconds(5))
        let group = ServiceGroup(configuration: configuration)
        monitor.whenDrained {
            Task { await group.triggerGracefulShutdown() }
        }
        monitor.whenShutdownRequested {
            Task { await group.triggerGracefulShutdown() }
        }
        var failures: [StageError] = []
        do {
            try await group.run()
        } catch {
            failures = monitor.errors
            if failures.isEmpty {
                let cause = error is CancellationError ? "" : ": \(error)"
                failures.append(StageError(kind: .sink, id: "*", message: "shutdown did not drain within \(settings.shutdownTimeout)\(cause)"))
            }
        }
        failures = monitor.errors.isEmpty ? failures : monitor.errors
        // The stages the timeout cut off, named, rather than the group's word for it.
        let cancelled = monitor.cancelled.withLock { $0 }.map { kind, id in
            StageError(kind: kind, id: id, message: "cancelled: the shutdown did not drain within \(settings.shutdownTimeout)")
        }
        if monitor.errors.isEmpty, !cancelled.isEmpty { failures = cancelled }
        // The stages' last saves get what is left of the shutdown's time, no more.
        let deadline = (shutdownStart.instant ?? .now) + settings.shutdownTimeout
        for (transform, context) in transforms {
            failures += await finish(.transform, context, by: deadline) { await transform.finish(context: context) }
        }
        for (source, context) in sources {
            failures += await finish(.source, context, by: deadline) { await source.finish(context: context) }
        }
        return RunReport(
            failures: failures,
            counts: counters.map { kind, id, counters in
                let snapshot = counters.snapshot
                return (kind, id, snapshot.received, snapshot.sent, snapshot.dropped)
            }
        )
    }

    /// Runs a stage's `finish` until `deadline`; a stage that did not finish by then is a failure.
    private func finish(
        _ kind: ComponentKind, _ context: StageContext, by deadline: ContinuousClock.Instant, _ body: @escaping @Sendable () async -> Void
    ) async -> [StageError] {
        if await untilDeadline(deadline, body) != nil { return [] }
        let failure = StageError(kind: kind, id: context.id, message: "did not finish within the shutdown timeout (\(settings.shutdownTimeout))")
        context.logger.error("\(failure)")
        return [failure]
    }
}

/// Marks when the group begins its graceful shutdown (or is cancelled).
final class ShutdownStart: Service, Sendable {
    private let started = Mutex<ContinuousClock.Instant?>(nil)

    var instant: ContinuousClock.Instant? { started.withLock { $0 } }

    func run() async throws {
        try? await gracefulShutdown()
        started.withLock { $0 = $0 ?? .now }
    }
}
