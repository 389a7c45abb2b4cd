public import Components
public import Foundation
import JobScheduler
import Logging
public import PipelineConfig
public import PipelineRuntime
import PipelineTesting

/// A pipeline file read, planned and with its settings resolved: what every command that runs
/// a pipeline (`run`, `replay`, `record`, `job run`, `validate`) starts from, so each resolves
/// the checkpoint backend and the state location the same way.
public struct LoadedPipeline: Sendable {
    public var definition: PipelineDefinition
    public var plan: [PlannedComponent]
    public var settings: RuntimeSettings
    /// Set when the file names no `state_dir` and the default location is used.
    public var defaultStateDirectory: String?

    /// Command-line settings that override the file's.
    public struct Overrides: Sendable {
        public var databaseURL: String?
        public var stateDirectory: String?
        public var shutdownTimeout: Duration?
        public var once = false
        /// A state of the run's own, never the file's (`record`, `replay`): `stateDirectory`
        /// when given, else memory. Their acknowledgements must not move production positions.
        public var isolatedState = false

        public init(
            databaseURL: String? = nil, stateDirectory: String? = nil, shutdownTimeout: Duration? = nil, once: Bool = false,
            isolatedState: Bool = false
        ) {
            self.databaseURL = databaseURL
            self.stateDirectory = stateDirectory
            self.shutdownTimeout = shutdownTimeout
            self.once = once
            self.isolatedState = isolatedState
        }
    }

    /// Reads `file`; `edit` may change the definition before it is planned (replay swaps the
    /// sources for a fixture, record swaps the sinks). Every problem at once, as `ConfigErrors`.
    public static func load(
        _ file: String, envFile: String?, overrides: Overrides = Overrides(), registry: ComponentRegistry = .builtin,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        edit: (inout PipelineDefinition) throws(ConfigErrors) -> Void = { _ throws(ConfigErrors) in }
    ) throws(ConfigErrors) -> LoadedPipeline {
        let (read, structural) = try PipelineLoader(envFile: envFile).read(path: file)
        guard var definition = read else { throw ConfigErrors(structural) }
        try edit(&definition)
        return try resolve(definition, structuralErrors: structural, overrides: overrides, registry: registry, environment: environment)
    }

    /// Plans a definition made in code (replay of a fixture with no pipeline file).
    public static func resolve(
        _ definition: PipelineDefinition, structuralErrors: [ConfigError] = [], overrides: Overrides = Overrides(),
        registry: ComponentRegistry = .builtin, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigErrors) -> LoadedPipeline {
        var errors = structuralErrors
        var plan: [PlannedComponent] = []
        var settings = RuntimeSettings()
        var defaultState: String?
        do { plan = try registry.plan(definition) } catch { errors += error.errors }
        do {
            settings = try RuntimeSettings(definition)
            if let databaseURL = overrides.databaseURL { settings.databaseURL = Secret(databaseURL) }
            if let stateDirectory = overrides.stateDirectory { settings.stateDirectory = stateDirectory }
            if let timeout = overrides.shutdownTimeout { settings.shutdownTimeout = timeout }
            settings.once = overrides.once
            if overrides.isolatedState {
                settings.stateDirectory = overrides.stateDirectory
                settings.checkpointBackend = RuntimeSettings.stateDirectoryBackend
                settings.checkpointStorage = overrides.stateDirectory.map { FileCheckpointStorage(directory: $0) } ?? MemoryCheckpointStorage()
            } else if settings.stateDirectory == nil, definition.file.hasSuffix(".yaml") || definition.file.hasSuffix(".yml") {
                defaultState = StateLocation.defaultDirectory(forPipeline: definition.file, environment: environment)
                settings.stateDirectory = defaultState
            }
            try registry.resolveCheckpoints(&settings, file: definition.file)
        } catch { errors += error.errors }
        errors += jobAndTestErrors(definition, registry: registry)
        if !errors.isEmpty { throw ConfigErrors(errors) }
        return LoadedPipeline(definition: definition, plan: plan, settings: settings, defaultStateDirectory: defaultState)
    }

    /// The jobs' structure, schedules and stage options, and the tests' structure (for `validate`).
    static func jobAndTestErrors(_ definition: PipelineDefinition, registry: ComponentRegistry) -> [ConfigError] {
        var errors: [ConfigError] = []
        do {
            for job in try JobDefinition.read(definition) {
                _ = try JobRunner(job: job, file: definition.file, registry: registry, checkpoints: nil, logger: Logger(label: "validate"))
            }
        } catch {
            errors += error.errors
        }
        do { _ = try PipelineTest.read(definition) } catch { errors += error.errors }
        return errors
    }
}
