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
}

/// Component types by kind and `type:` name. Registering a type is how a stage is added.
public struct ComponentRegistry: Sendable {
    private typealias Factory = @Sendable (inout OptionsReader) -> @Sendable (BuildContext) throws -> BuiltComponent
    private var factories: [ComponentKind: [String: Factory]] = [:]

    public init() {}

    public mutating func register<C: SourceConfiguration>(_ type: C.Type) {
        factories[.source, default: [:]][C.typeName] = { options in
            let config = C(options: &options)
            return { context in .source(try config.build(context)) }
        }
    }

    public mutating func register<C: TransformConfiguration>(_ type: C.Type) {
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
            let build = factory(&options)
            do throws(ConfigErrors) {
                try options.finish()
                planned.append(PlannedComponent(definition: component, build: build))
            } catch {
                errors += error.errors
            }
        }
        if !errors.isEmpty { throw ConfigErrors(errors) }
        return planned
    }
}
