import Foundation
public import JobScheduler
public import Logging
import Components
public import PipelineConfig
public import PipelineRuntime
import ServiceLifecycle
import Telemetry
import MetricsEndpoint

/// A run that failed: each line says which stage or job and why (the commands print them).
public struct RunFailed: Error, CustomStringConvertible {
    public let failures: [String]
    public var description: String { failures.joined(separator: "\n") }
}

/// `smokeflow run`: the streaming pipeline, and the file's jobs beside it until it stops.
public enum PipelineRunner {
    /// Runs the pipeline alone; throws `RunFailed` naming each failed stage. The checkpoint
    /// storage is closed at the end (its connection ends with the run), unless jobs still use it.
    public static func run(_ plan: [PlannedComponent], settings: RuntimeSettings, logger: Logger, closingStorage: Bool = true) async throws {
        var settings = settings
        let endpoint = settings.metricsAddress.map { address in
            if settings.metrics.isDiscarding { settings.metrics = MetricsRegistry() }
            ProcessMetrics.register(in: settings.metrics, version: SmokeflowVersion.current)
            return MetricsEndpoint(address: address, registry: settings.metrics, health: settings.health, logger: logger)
        }
        let pipeline: Pipeline
        do {
            pipeline = try Pipeline(plan: plan, settings: settings, logger: logger)
        } catch {
            await settings.checkpointStorage?.close()
            throw RunFailed(failures: ["\(error)"])
        }
        let report: RunReport
        if let endpoint {
            do {
                report = try await endpoint.serving(logger: logger) { await pipeline.run() }
            } catch {
                await settings.checkpointStorage?.close()
                throw RunFailed(failures: ["\(error)"])
            }
        } else {
            report = await pipeline.run()
        }
        if closingStorage { await settings.checkpointStorage?.close() }
        for (kind, id, received, sent, dropped) in report.counts where kind == .sink {
            logger.info("\(kind) '\(id)': \(received) points in, \(sent) written, \(dropped) dropped")
        }
        if !report.succeeded { throw RunFailed(failures: report.failures.map { "\($0)" }) }
    }

    /// The pipeline and its jobs (a file of jobs alone runs its scheduler alone).
    public static func runWithJobs(_ loaded: LoadedPipeline, envFile: String?, logger: Logger) async throws {
        var loaded = loaded
        // Made here, so the jobs' series go into the registry the pipeline's endpoint serves.
        if loaded.settings.metricsAddress != nil, loaded.settings.metrics.isDiscarding { loaded.settings.metrics = MetricsRegistry() }
        if let state = loaded.defaultStateDirectory {
            logger.info("state in \(state) (default: \(loaded.definition.file) names no state_dir)")
        }
        let runners = try jobRunners(loaded, logger: logger)
        if !runners.isEmpty && runners.first?.checkpoints == nil {
            throw ConfigErrors([ConfigError(SourceLocation(file: loaded.definition.file, line: 1, column: 1), "jobs keep their progress in state_dir (or run --state-dir)")])
        }
        let settings = loaded.settings
        guard !runners.isEmpty else { return try await run(loaded.plan, settings: settings, logger: logger) }
        do {
            try await runBeside(runners, loaded, logger: logger)
        } catch {
            await settings.checkpointStorage?.close()
            throw error
        }
        await settings.checkpointStorage?.close()
    }

    /// The pipeline with its jobs' scheduler beside it (or the scheduler alone).
    static func runBeside(_ runners: [JobRunner], _ loaded: LoadedPipeline, logger: Logger) async throws {
        let settings = loaded.settings
        let scheduler = JobSchedulerService(runners: runners, logger: logger, once: settings.once, metrics: settings.metrics)
        let service = ServiceGroupConfiguration.ServiceConfiguration(service: scheduler, successTerminationBehavior: .gracefullyShutdownGroup)
        if loaded.plan.isEmpty {
            // A job file: the scheduler alone, until SIGTERM/SIGINT (or one catch-up with --once).
            var configuration = ServiceGroupConfiguration(services: [service], logger: logger)
            configuration.gracefulShutdownSignals = settings.signals
            try await ServiceGroup(configuration: configuration).run()
            return
        }
        let jobs = Task {
            try await ServiceGroup(configuration: .init(services: [service], logger: logger)).run()
        }
        do {
            try await run(loaded.plan, settings: settings, logger: logger, closingStorage: false)
        } catch {
            jobs.cancel()
            throw error
        }
        // The pipeline stopped (signal, or finite sources drained): with --once the jobs finish
        // their catch-up first; otherwise they stop with it.
        if !settings.once { jobs.cancel() }
        do {
            try await jobs.value
        } catch is CancellationError {
        }
    }

    /// The file's jobs, ready to run, with their progress in the run's checkpoint storage.
    public static func jobRunners(_ loaded: LoadedPipeline, logger: Logger) throws(ConfigErrors) -> [JobRunner] {
        let jobs = try JobDefinition.read(loaded.definition)
        var errors: [ConfigError] = []
        var runners: [JobRunner] = []
        for job in jobs {
            do {
                runners.append(
                    try JobRunner(job: job, file: loaded.definition.file, registry: .builtin, checkpoints: loaded.settings.checkpointStorage, logger: logger))
            } catch {
                errors += error.errors
            }
        }
        if !errors.isEmpty { throw ConfigErrors(errors) }
        return runners
    }
}
