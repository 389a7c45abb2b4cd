import ArgumentParser
import Foundation
import Logging
import PipelineConfig
import SmokeflowComponents
import SmokeflowRuntime

struct Validate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check pipeline files; print FILE:LINE:COL: message per problem.")

    @Argument(help: "Pipeline files.") var files: [String]
    @OptionGroup var common: PipelineOptions

    func run() async throws {
        var failed = false
        for file in files {
            do {
                _ = try loadPlan(file, envFile: common.envFile)
            } catch {
                report(error)
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }
}

struct Graph: AsyncParsableCommand {
    enum Format: String, ExpressibleByArgument, CaseIterable { case text, dot }
    static let configuration = CommandConfiguration(abstract: "Print a pipeline's stage graph.")

    @Argument(help: "A pipeline file.") var file: String
    @Option(help: "text or dot.") var format: Format = .text
    @OptionGroup var common: PipelineOptions

    func run() async throws {
        let (definition, _, _): (PipelineDefinition, [PlannedComponent], RuntimeSettings)
        do {
            (definition, _, _) = try loadPlan(file, envFile: common.envFile)
        } catch {
            report(error)
            throw ExitCode(1)
        }
        print(StageGraph(definition).render(format == .dot ? .dot : .text), terminator: "")
    }
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a pipeline until SIGTERM/SIGINT, or until its finite sources have drained to the sinks."
    )

    @Argument(help: "A pipeline file.") var file: String
    @Flag(help: "One pass of every source (one probe round, one poll), then drain and exit.") var once = false
    @Option(name: .customLong("state-dir"), help: "Where sources keep checkpoints (overrides state_dir).") var stateDir: String?
    @Option(name: .customLong("shutdown-timeout"), help: "Seconds in-flight batches may take to drain on shutdown.")
    var shutdownTimeout: Double?
    @Option(name: .customLong("database-url"), help: "The PostgreSQL configuration store (overrides database_url).")
    var databaseURL: String?
    @OptionGroup var common: PipelineOptions

    func run() async throws {
        let logger = bootstrapLogging(common.logLevel)
        let plan: (PipelineDefinition, [PlannedComponent], RuntimeSettings)
        do {
            plan = try loadPlan(file, envFile: common.envFile, databaseURL: databaseURL)
        } catch {
            report(error)
            throw ExitCode(1)
        }
        var settings = plan.2
        settings.once = once
        if let stateDir { settings.stateDirectory = stateDir }
        if let shutdownTimeout { settings.shutdownTimeout = .milliseconds(Int64(shutdownTimeout * 1000)) }
        try await runPipelineAndJobs(file, plan.1, settings: settings, envFile: common.envFile, logger: logger)
    }
}

struct Replay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Feed a fixture (*.lp.zst) through a pipeline; by default print its line protocol to stdout."
    )

    @Argument(help: "A zstd-compressed line-protocol fixture.") var fixture: String
    @Option(help: "A pipeline whose sources are all replaced by the fixture.") var pipeline: String?
    @Option(help: "Replay at this multiple of real time (default: as fast as possible).") var speed: Double?
    @OptionGroup var common: PipelineOptions

    func run() async throws {
        let logger = bootstrapLogging(common.logLevel)
        var options = [("path", fixture)]
        if let speed { options.append(("speed", String(speed))) }
        let definition: PipelineDefinition
        var settings = RuntimeSettings()
        do {
            if let pipeline {
                var loaded = try PipelineLoader(envFile: common.envFile).load(path: pipeline)
                settings = try RuntimeSettings(loaded)
                loaded.components = loaded.components.map { component in
                    guard component.kind == .source else { return component }
                    return .synthetic(id: component.id, kind: .source, type: "fixture", options: options)
                }
                definition = loaded
            } else {
                definition = try PipelineDefinition(
                    file: "<replay>",
                    components: [
                        .synthetic(id: "fixture", kind: .source, type: "fixture", options: options),
                        .synthetic(id: "stdout", kind: .sink, type: "stdout", inputs: ["fixture"]),
                    ]
                ).checked()
            }
            let plan = try ComponentRegistry.builtin.plan(definition)
            settings.once = true
            try await runPipeline(plan, settings: settings, logger: logger)
        } catch let error as ConfigErrors {
            report(error)
            throw ExitCode(1)
        }
    }
}

struct Record: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a pipeline once and record one stage's output as a fixture (*.lp.zst)."
    )

    @Option(help: "The pipeline file.") var pipeline: String
    @Option(help: "The source or transform whose output is recorded.") var stage: String
    @Option(help: "The fixture to write.") var out: String
    @OptionGroup var common: PipelineOptions

    func run() async throws {
        let logger = bootstrapLogging(common.logLevel)
        do {
            var definition = try PipelineLoader(envFile: common.envFile).load(path: pipeline)
            guard let recorded = definition.component(stage), recorded.kind != .sink else {
                throw ConfigErrors([
                    ConfigError(SourceLocation(file: pipeline, line: 1, column: 1), "no source or transform '\(stage)' to record")
                ])
            }
            // Keep only what feeds the recorded stage; its output goes to the fixture.
            let needed = definition.upstream(of: recorded.id)
            definition.components = definition.components.filter { needed.contains($0.id) }
            definition.components.append(
                .synthetic(id: "record-fixture", kind: .sink, type: "fixture", inputs: [recorded.id], options: [("path", out)])
            )
            var settings = try RuntimeSettings(definition)
            settings.once = true
            let plan = try ComponentRegistry.builtin.plan(try definition.checked())
            try await runPipeline(plan, settings: settings, logger: logger)
        } catch let error as ConfigErrors {
            report(error)
            throw ExitCode(1)
        }
    }
}
