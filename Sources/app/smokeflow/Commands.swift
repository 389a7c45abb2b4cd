import ArgumentParser
import Foundation
import Logging
import PipelineConfig
import ConfigManager
import SmokeflowApp
import PipelineRuntime

struct Validate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check pipeline files; print FILE:LINE:COL: message per problem.")

    @Argument(help: "Pipeline files.") var files: [String]
    @OptionGroup var common: PipelineOptions

    func run() async throws {
        var failed = false
        for file in files {
            do {
                _ = try LoadedPipeline.load(file, envFile: common.envFile)
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
        try await failing {
            let definition = try LoadedPipeline.load(file, envFile: common.envFile).definition
            print(StageGraph(definition).render(format == .dot ? .dot : .text), terminator: "")
        }
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
    @Option(name: .customLong("serve"), help: "Also run `smokeflow serve` in this process, with the settings of this YAML file (as serve --config).")
    var serveConfig: String?
    @OptionGroup var common: PipelineOptions

    func run() async throws {
        let logger = bootstrapLogging(common.logging)
        warnAboutCommandLineDatabaseURL(databaseURL)
        let overrides = LoadedPipeline.Overrides(
            databaseURL: databaseURL, stateDirectory: stateDir, shutdownTimeout: shutdownTimeout.map { .milliseconds(Int64($0 * 1000)) },
            once: once)
        try await failing {
            let loaded = try LoadedPipeline.load(file, envFile: common.envFile, overrides: overrides)
            guard let serveConfig else { return try await PipelineRunner.runWithJobs(loaded, envFile: common.envFile, logger: logger) }
            var settings = try ServeSettings.read(serveConfig, environment: ProcessInfo.processInfo.environment)
            if settings.envFile == nil { settings.envFile = common.envFile }
            try await ServeSetup(settings: settings, logger: logger, pipelineStatus: PipelineStatus(loaded)).runBeside {
                try await PipelineRunner.runWithJobs(loaded, envFile: common.envFile, logger: logger)
            }
        }
    }
}

struct Replay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Feed a fixture (*.lp.zst) through a pipeline; by default print its line protocol to stdout."
    )

    @Argument(help: "A zstd-compressed line-protocol fixture.") var fixture: String
    @Option(help: "A pipeline whose sources are all replaced by the fixture.") var pipeline: String?
    @Option(help: "Replay at this multiple of real time (default: as fast as possible).") var speed: Double?
    @Option(name: .customLong("state-dir"), help: "A state directory of the replay's own (default: state in memory, never the file's).")
    var stateDir: String?
    @OptionGroup var common: PipelineOptions

    func run() async throws {
        let logger = bootstrapLogging(common.logging)
        var options = [("path", fixture)]
        if let speed { options.append(("speed", String(speed))) }
        try await failing {
            let loaded: LoadedPipeline
            if let pipeline {
                // The file's stages and settings, its sources replaced by the fixture; a state of its
                // own, so fixture data never folds into the live windows or positions.
                let overrides = LoadedPipeline.Overrides(stateDirectory: stateDir, once: true, isolatedState: true)
                loaded = try LoadedPipeline.load(pipeline, envFile: common.envFile, overrides: overrides) { definition in
                    definition.components = definition.components.map { component in
                        guard component.kind == .source else { return component }
                        return .synthetic(id: component.id, kind: .source, type: "fixture", options: options)
                    }
                }
            } else {
                let definition = try PipelineDefinition(
                    file: "<replay>",
                    components: [
                        .synthetic(id: "fixture", kind: .source, type: "fixture", options: options),
                        .synthetic(id: "stdout", kind: .sink, type: "stdout", inputs: ["fixture"]),
                    ]
                ).checked()
                loaded = try LoadedPipeline.resolve(definition, overrides: .init(once: true))
            }
            try await PipelineRunner.run(loaded.plan, settings: loaded.settings, logger: logger)
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
    @Option(name: .customLong("state-dir"), help: "A state directory of the recording's own (default: state in memory, never the file's).")
    var stateDir: String?
    @OptionGroup var common: PipelineOptions

    func run() async throws {
        let logger = bootstrapLogging(common.logging)
        // A state of its own: what goes only into the fixture must not move the production positions.
        let overrides = LoadedPipeline.Overrides(stateDirectory: stateDir, once: true, isolatedState: true)
        try await failing {
            let loaded = try LoadedPipeline.load(pipeline, envFile: common.envFile, overrides: overrides) { definition throws(ConfigErrors) in
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
                definition = try definition.checked()
            }
            try await PipelineRunner.run(loaded.plan, settings: loaded.settings, logger: logger)
        }
    }
}
