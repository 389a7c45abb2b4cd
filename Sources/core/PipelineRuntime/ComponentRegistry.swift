public import PipelineConfig

/// A built stage, ready to be wired.
public enum BuiltComponent: Sendable {
    case source(any Source)
    case transform(any Transform)
    case sink(any Sink)
}

/// A component whose options were read and checked; `build` makes the running component.
public struct PlannedComponent: Sendable {
    public let definition: ComponentDefinition
    public let build: @Sendable (BuildContext) throws -> BuiltComponent
    /// A sink's input buffer (`buffer:`); the default for other kinds.
    public var buffer = SinkBuffer()
}

/// Component types by kind and `type:` name. Registering a type is how a stage is added.
public struct ComponentRegistry: Sendable {
    private typealias Factory = @Sendable (inout OptionsReader) -> @Sendable (BuildContext) throws -> BuiltComponent
    private var factories: [ComponentKind: [String: Factory]] = [:]
    /// Checkpoint backends other than the state directory, by their `checkpoints:` name.
    private var checkpointBackends: [String: @Sendable (RuntimeSettings) throws -> any CheckpointStorage] = [:]
    /// What jobs may use, as the types declare it (`RangedSourceConfiguration`, `WindowTransformConfiguration`).
    private var rangedSources: [String: @Sendable (Int64, Int64) -> [WindowOption]] = [:]
    private var windowTransforms: [String: [WindowOption]] = [:]
    /// The transform of a job that names none, and its option that takes the job's `window`.
    public private(set) var defaultJobTransform: (type: String, windowOption: String)?
    /// Buffers other than memory, by kind: each wraps a built sink (the disk buffer needs the
    /// line-protocol and zstd formats, which the runtime does not depend on).
    public typealias SinkBufferWrapper = @Sendable (SinkBuffer, BuildContext, any Sink) throws -> any Sink
    private var sinkBufferWrappers: [SinkBuffer.Kind: SinkBufferWrapper] = [:]

    public init() {}

    public mutating func registerCheckpointBackend(
        _ name: String, _ make: @escaping @Sendable (RuntimeSettings) throws -> any CheckpointStorage
    ) {
        checkpointBackends[name] = make
    }

    /// The one place a run's checkpoint backend is chosen (`run`, `replay`, `record`, `job run`
    /// and `test` all come here): storage already set on the settings wins; `checkpoints:` names
    /// a registered backend; `state_dir` (the default) is the state directory, when there is one.
    public func resolveCheckpoints(_ settings: inout RuntimeSettings, file: String) throws(ConfigErrors) {
        guard settings.checkpointStorage == nil else { return }
        let location = SourceLocation(file: file, line: 1, column: 1)
        if settings.checkpointBackend == RuntimeSettings.stateDirectoryBackend {
            settings.checkpointStorage = settings.stateDirectory.map { FileCheckpointStorage(directory: $0) }
            return
        }
        guard let make = checkpointBackends[settings.checkpointBackend] else {
            let known = ([RuntimeSettings.stateDirectoryBackend] + checkpointBackends.keys.sorted()).joined(separator: ", ")
            throw ConfigErrors([ConfigError(location, "checkpoints: unknown backend '\(settings.checkpointBackend)' (expected \(known))")])
        }
        do {
            settings.checkpointStorage = try make(settings)
        } catch {
            throw ConfigErrors([ConfigError(location, "checkpoints: \(error)")])
        }
    }

    public mutating func registerSinkBuffer(_ kind: SinkBuffer.Kind, _ wrap: @escaping SinkBufferWrapper) {
        sinkBufferWrappers[kind] = wrap
    }

    public mutating func register<C: SourceConfiguration>(_ type: C.Type) {
        registerSource(type)
    }

    /// A source that jobs can run over one window.
    public mutating func register<C: RangedSourceConfiguration>(_ type: C.Type) {
        registerSource(type)
        rangedSources[C.typeName] = { C.rangeOptions(from: $0, to: $1) }
    }

    private mutating func registerSource<C: SourceConfiguration>(_ type: C.Type) {
        factories[.source, default: [:]][C.typeName] = { options in
            let config = C(options: &options)
            return { context in .source(try config.build(context)) }
        }
    }

    public mutating func register<C: TransformConfiguration>(_ type: C.Type) {
        registerTransform(type)
    }

    /// A transform that jobs can run over one window.
    public mutating func register<C: WindowTransformConfiguration>(_ type: C.Type) {
        registerTransform(type)
        windowTransforms[C.typeName] = C.endOfInputOptions
    }

    /// Makes `C` (registered on its own) the transform of jobs that name none, with its option
    /// `windowOption` set to the job's `window` as written.
    public mutating func setDefaultJobTransform<C: WindowTransformConfiguration>(_ type: C.Type, windowOption: String) {
        defaultJobTransform = (C.typeName, windowOption)
    }

    private mutating func registerTransform<C: TransformConfiguration>(_ type: C.Type) {
        factories[.transform, default: [:]][C.typeName] = { options in
            let config = C(options: &options)
            return { context in .transform(try config.build(context)) }
        }
    }

    public mutating func register<C: SinkConfiguration>(_ type: C.Type) {
        factories[.sink, default: [:]][C.typeName] = { options in
            let config = C(options: &options)
            return { context in .sink(try config.build(context)) }
        }
    }

    public func typeNames(_ kind: ComponentKind) -> [String] {
        (factories[kind] ?? [:]).keys.sorted()
    }

    /// The options that make a source of type `type` read `[from, to)`; nil when the type cannot.
    public func rangeOptions(source type: String, from: Int64, to: Int64) -> [WindowOption]? {
        rangedSources[type].map { $0(from, to) }
    }

    /// The options that make a transform of type `type` emit all it holds at the end of its
    /// input; nil when the type cannot run over a window.
    public func endOfInputOptions(transform type: String) -> [WindowOption]? {
        windowTransforms[type]
    }

    /// The source and transform types jobs may use.
    public var rangedSourceTypes: [String] { rangedSources.keys.sorted() }
    public var windowTransformTypes: [String] { windowTransforms.keys.sorted() }

    /// Reads every component's options; all problems of all components at once.
    public func plan(_ definition: PipelineDefinition) throws(ConfigErrors) -> [PlannedComponent] {
        var errors: [ConfigError] = []
        var planned: [PlannedComponent] = []
        for component in definition.topologicalOrder {
            guard let factory = factories[component.kind]?[component.type] else {
                let known = typeNames(component.kind).joined(separator: ", ")
                errors.append(ConfigError(component.typeLocation, "unknown \(component.kind) type '\(component.type)' (known: \(known))"))
                continue
            }
            var options = component.optionsReader()
            let buffer = component.kind == .sink ? SinkBuffer.read(&options) : SinkBuffer()
            var build = factory(&options)
            if buffer.kind != .memory {
                if let wrap = sinkBufferWrappers[buffer.kind] {
                    build = { [build] context in
                        guard case .sink(let sink) = try build(context) else { preconditionFailure("a sink factory built another kind") }
                        return .sink(try wrap(buffer, context, sink))
                    }
                } else {
                    errors.append(ConfigError(component.location, "buffer type '\(buffer.kind.rawValue)' of '\(component.id)' is not available in this registry"))
                }
            }
            do throws(ConfigErrors) {
                try options.finish()
                planned.append(PlannedComponent(definition: component, build: build, buffer: buffer))
            } catch {
                errors += error.errors
            }
        }
        if !errors.isEmpty { throw ConfigErrors(errors) }
        return planned
    }
}
