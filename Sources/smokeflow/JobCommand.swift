import ArgumentParser
import Foundation
import JobScheduler
import Logging
import PipelineConfig
import PipelineTesting
import ServiceLifecycle
import SmokeflowComponents
import SmokeflowRuntime

struct Job: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Scheduled jobs of a pipeline file (they also run inside `smokeflow run`).",
        subcommands: [JobRun.self]
    )
}

struct JobRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one job over a time range now, window by window, with a progress bar. Leaves the job's progress alone."
    )

    @Argument(help: "The job's name.") var name: String
    @Option(help: "The pipeline file that declares the job.") var pipeline: String
    @Option(help: "Start (ISO 8601, e.g. 2025-11-01T00:00:00Z, or seconds since 1970); rounded down to the window.") var from: String
    @Option(help: "End (exclusive), same forms.") var to: String
    @OptionGroup var common: PipelineOptions

    func run() async throws {
        let logger = bootstrapLogging(common.logLevel)
        let runner: JobRunner
        do {
            let runners = try jobRunners(pipeline, envFile: common.envFile, overrides: nil, logger: logger)
            guard let found = runners.first(where: { $0.job.name == name }) else {
                let known = runners.map(\.job.name).joined(separator: ", ")
                throw ConfigErrors([ConfigError(SourceLocation(file: pipeline, line: 1, column: 1), "no job '\(name)' (jobs: \(known))")])
            }
            runner = found
        } catch {
            report(error)
            throw ExitCode(1)
        }
        guard let start = Self.time(from), let end = Self.time(to), start < end else {
            report(ValidationError("--from and --to must be times (ISO 8601 or seconds since 1970), --from before --to"))
            throw ExitCode(1)
        }
        let windows = runner.windows(from: start, to: end)
        let progress = ProgressBar(total: windows.count, label: name)
        for (index, range) in windows.enumerated() {
            do {
                try await runner.run(from: range.from, to: range.to)
            } catch {
                progress.finish()
                report(error)
                throw ExitCode(1)
            }
            progress.update(index + 1)
        }
        progress.finish()
        print("job '\(name)': \(windows.count) window(s) from \(JobRunner.iso(windows.first?.from ?? start)) to \(JobRunner.iso(windows.last?.to ?? end))")
    }

    static func time(_ text: String) -> Int64? {
        if let seconds = Int64(text) { return seconds * 1_000_000_000 }
        return ISO8601DateFormatter().date(from: text).map { Int64($0.timeIntervalSince1970) * 1_000_000_000 }
    }
}

/// `[#####.....] 12/48 windows` on stderr when it is a terminal, a line per tenth otherwise.
final class ProgressBar {
    let total: Int
    let label: String
    let terminal = isatty(FileHandle.standardError.fileDescriptor) == 1
    var lastTenth = -1

    init(total: Int, label: String) {
        self.total = total
        self.label = label
    }

    func update(_ done: Int) {
        let width = 30
        let filled = total == 0 ? width : done * width / total
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        if terminal {
            FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(done)/\(total) windows".utf8))
        } else if total > 0, done * 10 / total != lastTenth {
            lastTenth = done * 10 / total
            FileHandle.standardError.write(Data("\(label) [\(bar)] \(done)/\(total) windows\n".utf8))
        }
    }

    func finish() { if terminal { FileHandle.standardError.write(Data("\n".utf8)) } }
}

/// The jobs of a pipeline file, ready to run, with their progress in the file's state directory.
/// `overrides` are the run's settings (command-line state directory or checkpoint backend).
func jobRunners(_ file: String, envFile: String?, overrides: RuntimeSettings?, logger: Logger) throws -> [JobRunner] {
    let definition = try PipelineLoader(envFile: envFile).load(path: file)
    let jobs = try JobDefinition.read(definition)
    var settings = try RuntimeSettings(definition)
    // `checkpoints: postgres` keeps job progress in the database, as it does the sources' positions.
    try ComponentRegistry.builtin.resolveCheckpoints(&settings, file: definition.file)
    let directory = overrides?.stateDirectory ?? settings.stateDirectory
    let checkpoints = try overrides?.checkpointStorage ?? settings.checkpointStorage ?? directory.map { try FileCheckpointStorage(directory: $0) }
    var errors: [ConfigError] = []
    var runners: [JobRunner] = []
    for job in jobs {
        do {
            runners.append(try JobRunner(job: job, file: file, registry: .builtin, checkpoints: checkpoints, logger: logger))
        } catch {
            errors += error.errors
        }
    }
    if !errors.isEmpty { throw ConfigErrors(errors) }
    return runners
}

/// `run`: the streaming pipeline, and the file's jobs next to it until the pipeline stops.
func runPipelineAndJobs(_ file: String, _ plan: [PlannedComponent], settings: RuntimeSettings, envFile: String?, logger: Logger) async throws {
    let runners: [JobRunner]
    do {
        runners = try jobRunners(file, envFile: envFile, overrides: settings, logger: logger)
    } catch {
        report(error)
        throw ExitCode(1)
    }
    if !runners.isEmpty && runners.first?.checkpoints == nil {
        report(ValidationError("\(file): jobs keep their progress in state_dir (or run --state-dir)"))
        throw ExitCode(1)
    }
    guard !runners.isEmpty else { return try await runPipeline(plan, settings: settings, logger: logger) }
    let scheduler = JobSchedulerService(runners: runners, logger: logger, once: settings.once)
    if plan.isEmpty {
        // A job file: the scheduler alone, until SIGTERM/SIGINT (or one catch-up with --once).
        let service = ServiceGroupConfiguration.ServiceConfiguration(service: scheduler, successTerminationBehavior: .gracefullyShutdownGroup)
        var configuration = ServiceGroupConfiguration(services: [service], logger: logger)
        configuration.gracefulShutdownSignals = settings.signals
        do {
            try await ServiceGroup(configuration: configuration).run()
        } catch {
            report(error)
            throw ExitCode(1)
        }
        return
    }
    let jobs = Task {
        let service = ServiceGroupConfiguration.ServiceConfiguration(service: scheduler, successTerminationBehavior: .gracefullyShutdownGroup)
        let group = ServiceGroup(configuration: .init(services: [service], logger: logger))
        try await group.run()
    }
    do {
        try await runPipeline(plan, settings: settings, logger: logger)
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
    } catch {
        report(error)
        throw ExitCode(1)
    }
}

/// For `validate`: the jobs' structure, schedules and stage options, and the tests' structure.
func jobAndTestErrors(_ definition: PipelineDefinition) -> [ConfigError] {
    var errors: [ConfigError] = []
    do {
        for job in try JobDefinition.read(definition) {
            _ = try JobRunner(job: job, file: definition.file, registry: .builtin, checkpoints: nil, logger: Logger(label: "validate"))
        }
    } catch {
        errors += error.errors
    }
    do { _ = try PipelineTest.read(definition) } catch { errors += error.errors }
    return errors
}
