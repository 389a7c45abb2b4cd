import ArgumentParser
import Foundation
import JobScheduler
import Logging
import PipelineConfig
import SmokeflowApp
import PipelineRuntime

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
    @Option(help: "Start (ISO 8601, e.g. 2025-11-01T00:00:00Z or 2025-11-01, or seconds since 1970); rounded down to the window.") var from: String
    @Option(help: "End (exclusive), same forms.") var to: String
    @OptionGroup var common: PipelineOptions

    func run() async throws {
        let logger = bootstrapLogging(common.logging)
        let runner: JobRunner
        do {
            let runners = try PipelineRunner.jobRunners(LoadedPipeline.load(pipeline, envFile: common.envFile), logger: logger)
            guard let found = runners.first(where: { $0.job.name == name }) else {
                let known = runners.map(\.job.name).joined(separator: ", ")
                throw ConfigErrors([ConfigError(SourceLocation(file: pipeline, line: 1, column: 1), "no job '\(name)' (jobs: \(known))")])
            }
            runner = found
        } catch {
            report(error)
            throw ExitCode(1)
        }
        guard let start = OptionsReader.parseTime(from, as: .nanoseconds, integersIn: .seconds),
            let end = OptionsReader.parseTime(to, as: .nanoseconds, integersIn: .seconds), start < end
        else {
            report(ValidationError("--from and --to must be times (ISO 8601 or seconds since 1970), --from before --to"))
            throw ExitCode(1)
        }
        let windows = runner.windows(from: start, to: end)
        let progress = ProgressBar(total: windows.count, label: name, unit: "windows")
        for (index, range) in windows.enumerated() {
            do {
                try await runner.run(from: range.from, to: range.to)
            } catch {
                progress.finish(index)
                report(error)
                throw ExitCode(1)
            }
            progress.update(index + 1)
        }
        progress.finish(windows.count)
        print("job '\(name)': \(windows.count) window(s) from \(JobRunner.iso(windows.first?.from ?? start)) to \(JobRunner.iso(windows.last?.to ?? end))")
    }
}
