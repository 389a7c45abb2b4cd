import ArgumentParser

@main
struct Smokeflow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smokeflow",
        abstract: "Moves SmokePing latency data through pipelines declared in YAML files.",
        subcommands: [
            Validate.self, Graph.self, Run.self, Replay.self, Record.self, TestPipelines.self, Job.self, Database.self, Targets.self,
            Init.self, Serve.self,
        ]
    )
}

/// Options every pipeline command shares.
struct PipelineOptions: ParsableArguments {
    @Option(name: .customLong("env-file"), help: "A .env file of NAME=value lines for ${VAR} interpolation (the environment wins).")
    var envFile: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"
}
