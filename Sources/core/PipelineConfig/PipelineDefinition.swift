/// What kind of stage a component is, by the section it is declared in.
public enum ComponentKind: String, Sendable, CaseIterable {
    case source, transform, sink

    public var section: String { rawValue + "s" }
}

/// One component as written in the file, before its type is looked up.
public struct ComponentDefinition: Sendable {
    public var id: String
    public var kind: ComponentKind
    public var type: String
    public var inputs: [String]
    public var location: SourceLocation
    public var typeLocation: SourceLocation
    public var inputLocations: [SourceLocation]
    /// Every key but `type` and `inputs`, for the component's own `OptionsReader`.
    public var options: [(key: ConfigNode, value: ConfigNode)]

    public func optionsReader() -> OptionsReader {
        OptionsReader(componentID: id, location: location, pairs: options)
    }
}

/// A pipeline file: sources, transforms and sinks joined by `inputs`, and runtime settings.
public struct PipelineDefinition: Sendable {
    public var file: String
    public var components: [ComponentDefinition]
    /// Top-level sections this module does not interpret (e.g. `jobs`, `tests` of later stages).
    public var settings: [(key: ConfigNode, value: ConfigNode)]

    public static let topLevelKeys: Set<String> = [
        "sources", "transforms", "sinks", "shutdown_timeout", "channel_capacity", "state_dir", "database_url", "checkpoints",
        "agent", "jobs", "tests", "metrics",
    ]

    public func component(_ id: String) -> ComponentDefinition? { components.first { $0.id == id } }

    /// Reads and structurally checks a pipeline file: sections, ids, `type`, `inputs`, the graph.
    /// Option checks belong to each component type and happen in the registry.
    public static func parse(_ root: ConfigNode) throws(ConfigErrors) -> PipelineDefinition {
        let (definition, errors) = read(root)
        if !errors.isEmpty { throw ConfigErrors(errors) }
        return definition
    }

    /// Everything that could be read, and every structural problem: `validate` goes on to check
    /// the options of the components that were readable.
    public static func read(_ root: ConfigNode) -> (PipelineDefinition, [ConfigError]) {
        let file = root.location.file
        var errors: [ConfigError] = []
        var components: [ComponentDefinition] = []
        var settings: [(key: ConfigNode, value: ConfigNode)] = []
        guard let sections = root.mapping else {
            let error = ConfigError(root.location, "a pipeline file must be a mapping with sources, transforms and sinks")
            return (PipelineDefinition(file: file, components: [], settings: []), [error])
        }
        for (key, value) in sections {
            let name = key.scalar ?? ""
            guard let kind = ComponentKind.allCases.first(where: { $0.section == name }) else {
                if topLevelKeys.contains(name) {
                    settings.append((key, value))
                } else {
                    errors.append(ConfigError(key.location, "unknown top-level key '\(name)' (expected sources, transforms, sinks, shutdown_timeout, channel_capacity, state_dir, database_url, checkpoints, agent, jobs, tests)"))
                }
                continue
            }
            if case .null = value.value { continue }
            guard let entries = value.mapping else {
                errors.append(ConfigError(value.location, "'\(name)' must be a mapping of component ids to components"))
                continue
            }
            for (idNode, body) in entries {
                let id = idNode.scalar ?? ""
                if let component = parseComponent(id: id, idLocation: idNode.location, kind: kind, body: body, errors: &errors) {
                    if let other = components.first(where: { $0.id == id }) {
                        errors.append(ConfigError(idNode.location, "component id '\(id)' is already used by \(other.kind) at \(other.location)"))
                        continue
                    }
                    components.append(component)
                }
            }
        }
        // A file of jobs alone is a job file: it needs no streaming components.
        if components.isEmpty && errors.isEmpty && !settings.contains(where: { $0.key.scalar == "jobs" }) {
            errors.append(ConfigError(root.location, "the pipeline has no components"))
        }
        let definition = PipelineDefinition(file: file, components: components, settings: settings)
        errors += definition.graphErrors()
        return (definition, errors)
    }

    private static func parseComponent(
        id: String, idLocation: SourceLocation, kind: ComponentKind, body: ConfigNode, errors: inout [ConfigError]
    ) -> ComponentDefinition? {
        guard Self.isValidID(id) else {
            errors.append(ConfigError(idLocation, "component id '\(id)' must match [A-Za-z0-9_-]+"))
            return nil
        }
        guard let pairs = body.mapping else {
            errors.append(ConfigError(body.location, "\(kind) '\(id)' must be a mapping with a 'type'"))
            return nil
        }
        var type: String?
        var typeLocation = idLocation
        var inputs: [String] = []
        var inputLocations: [SourceLocation] = []
        var hasInputs = false
        var options: [(key: ConfigNode, value: ConfigNode)] = []
        for (key, value) in pairs {
            switch key.scalar {
            case "type":
                typeLocation = value.location
                if let text = value.scalar { type = text } else {
                    errors.append(ConfigError(value.location, "'type' of '\(id)' must be a string"))
                    return nil
                }
            case "inputs":
                hasInputs = true
                if kind == .source {
                    errors.append(ConfigError(key.location, "source '\(id)' cannot have inputs"))
                    continue
                }
                let items = value.scalar.map { _ in [value] } ?? value.sequence
                guard let items else {
                    errors.append(ConfigError(value.location, "'inputs' of '\(id)' must be a list of component ids"))
                    continue
                }
                for item in items {
                    guard let name = item.scalar else {
                        errors.append(ConfigError(item.location, "'inputs' of '\(id)' must be a list of component ids"))
                        continue
                    }
                    inputs.append(name)
                    inputLocations.append(item.location)
                }
            default:
                options.append((key, value))
            }
        }
        guard let type else {
            errors.append(ConfigError(idLocation, "\(kind) '\(id)' has no 'type'"))
            return nil
        }
        if kind != .source && inputs.isEmpty {
            errors.append(ConfigError(idLocation, hasInputs ? "\(kind) '\(id)' has an empty 'inputs' list" : "\(kind) '\(id)' has no 'inputs'"))
        }
        return ComponentDefinition(
            id: id, kind: kind, type: type, inputs: inputs, location: idLocation, typeLocation: typeLocation,
            inputLocations: inputLocations, options: options
        )
    }

    static func isValidID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }

    /// Missing inputs, inputs that are sinks, sources nobody reads, cycles.
    func graphErrors() -> [ConfigError] {
        var errors: [ConfigError] = []
        let byID = Dictionary(components.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var consumed: Set<String> = []
        for component in components {
            for (input, location) in zip(component.inputs, component.inputLocations) {
                guard let upstream = byID[input] else {
                    errors.append(ConfigError(location, "input '\(input)' of '\(component.id)' is not a source or transform in this file"))
                    continue
                }
                if upstream.kind == .sink {
                    errors.append(ConfigError(location, "input '\(input)' of '\(component.id)' is a sink; sinks have no output"))
                }
                if input == component.id {
                    errors.append(ConfigError(location, "'\(component.id)' cannot be its own input"))
                }
                consumed.insert(input)
            }
            if Set(component.inputs).count != component.inputs.count, let location = component.inputLocations.last {
                errors.append(ConfigError(location, "'\(component.id)' lists the same input twice"))
            }
        }
        for component in components where component.kind != .sink && !consumed.contains(component.id) {
            errors.append(ConfigError(component.location, "\(component.kind) '\(component.id)' is not an input of any transform or sink"))
        }
        // Cycles among transforms: depth-first search, reporting the component that closes the loop.
        var state: [String: Int] = [:]  // 1 = on the stack, 2 = done
        func visit(_ id: String, path: [String]) {
            guard let component = byID[id], state[id] != 2 else { return }
            state[id] = 1
            for (input, location) in zip(component.inputs, component.inputLocations) where input != id {
                if state[input] == 1 {
                    let cycle = (path + [id, input]).drop { $0 != input }.joined(separator: " -> ")
                    errors.append(ConfigError(location, "inputs form a cycle: \(cycle)"))
                } else {
                    visit(input, path: path + [id])
                }
            }
            state[id] = 2
        }
        for component in components { visit(component.id, path: []) }
        return errors
    }

    /// Components ordered so every component comes after its inputs (file order for any
    /// left in a cycle, which `parse` reports).
    public var topologicalOrder: [ComponentDefinition] {
        var ordered: [ComponentDefinition] = []
        var placed: Set<String> = []
        var remaining = components
        while !remaining.isEmpty {
            let ready = remaining.filter { component in component.inputs.allSatisfy(placed.contains) }
            guard !ready.isEmpty else { return ordered + remaining }
            ordered += ready
            placed.formUnion(ready.map(\.id))
            remaining.removeAll { placed.contains($0.id) }
        }
        return ordered
    }
}

extension ComponentDefinition {
    /// A component made on the command line (`replay`, `record`) rather than read from a file.
    public static func synthetic(
        id: String, kind: ComponentKind, type: String, inputs: [String] = [], options: [(String, String)] = []
    ) -> ComponentDefinition {
        let location = SourceLocation(file: "<command line>", line: 1, column: 1)
        return ComponentDefinition(
            id: id, kind: kind, type: type, inputs: inputs, location: location, typeLocation: location,
            inputLocations: inputs.map { _ in location },
            options: options.map { (ConfigNode(.scalar($0.0), at: location), ConfigNode(.scalar($0.1), at: location, isQuoted: true)) }
        )
    }
}

extension PipelineDefinition {
    public init(file: String, components: [ComponentDefinition]) {
        self.init(file: file, components: components, settings: [])
    }

    /// Checks a definition assembled in code the way `parse` checks a file.
    public func checked() throws(ConfigErrors) -> PipelineDefinition {
        let errors = graphErrors()
        if !errors.isEmpty { throw ConfigErrors(errors) }
        return self
    }
}
