import Postgres
import ProbeEngine
import TargetStore
public import PipelineRuntime

extension ComponentRegistry {
    /// Every component type smokeflow ships. Adding a stage: write its configuration struct and
    /// component (in `sources/`, `transforms/` or `sinks/`) and register it here.
    public static var builtin: ComponentRegistry {
        var registry = ComponentRegistry()
        registry.register(FixtureSourceConfiguration.self)
        registry.register(RRDSourceConfiguration.self)
        registry.register(InfluxQueryConfiguration.self)
        registry.register(AddTagsConfiguration.self)
        registry.register(ClassifyConfiguration.self)
        registry.register(DownsampleConfiguration.self)
        // A job that names no transform downsamples by its window.
        registry.setDefaultJobTransform(DownsampleConfiguration.self, windowOption: "window")
        registry.register(FileSinkConfiguration.self)
        registry.register(StdoutSinkConfiguration.self)
        registry.register(FixtureSinkConfiguration.self)
        registry.register(InfluxSinkConfiguration.self)
        registry.register(RRDSinkConfiguration.self)
        registry.register(PostgresJoinConfiguration.self)
        registry.register(AlertConfiguration.self)
        registry.registerCheckpointBackend("postgres") { settings in
            PostgresCheckpointStorage(
                connectionString: ConnectionString.resolve(explicit: nil, pipeline: settings.databaseURL?.value), agent: settings.agent)
        }
        registry.register(ProbeSourceConfiguration.self)
        registry.register(NatsSourceConfiguration.self)
        registry.register(NatsSinkConfiguration.self)
        registry.registerDiskBuffer()
        return registry
    }
}
