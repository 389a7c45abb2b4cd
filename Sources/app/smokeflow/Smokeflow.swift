import ArgumentParser
import Logging
import StructuredLogs

@main
struct Smokeflow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smokeflow",
        abstract: "Moves SmokePing latency data through pipelines declared in YAML files.",
        subcommands: [
            Validate.self, Graph.self, Run.self, Replay.self, Record.self, TestPipelines.self, Job.self, Database.self, Targets.self,
            Init.self, Serve.self, Doctor.self,
        ]
    )
}

/// Options every pipeline command shares.
struct PipelineOptions: ParsableArguments {
    @Option(name: .customLong("env-file"), help: "A .env file of NAME=value lines for ${VAR} interpolation (the environment wins).")
    var envFile: String?

    @OptionGroup var logging: LoggingOptions
}

/// `--log-level` and `--log-format`, on every command that logs.
struct LoggingOptions: ParsableArguments {
    @Option(
        name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.",
        transform: { text in
            guard let level = Logger.Level(rawValue: text.lowercased()) else {
                throw ValidationError("--log-level must be trace, debug, info, notice, warning, error or critical, not '\(text)'")
            }
            return level
        })
    var logLevel: Logger.Level = .info

    @Option(
        name: .customLong("log-format"),
        help: "text, logfmt or json (default: text when standard error is a terminal, else logfmt).",
        transform: { text in
            guard let format = LogFormat(rawValue: text) else { throw ValidationError("--log-format must be text, logfmt or json, not '\(text)'") }
            return format
        })
    var logFormat: LogFormat?
}
