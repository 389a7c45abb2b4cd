import Yams

/// Reads YAML into `ConfigNode`s, keeping each node's line and column and interpolating
/// `${VAR}` inside scalar values only (keys are never interpolated), so positions stay exact
/// and no environment value can change the document's structure.
public struct YAMLLoader: Sendable {
    public var interpolation: Interpolation

    public init(environment: [String: String]) {
        interpolation = Interpolation(environment: environment)
    }

    public func load(text: String, file: String) throws(ConfigErrors) -> ConfigNode {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigErrors([Self.describe(error, file: file)])
        } catch {
            throw ConfigErrors([ConfigError(SourceLocation(file: file, line: 1, column: 1), "cannot read YAML")])
        }
        guard let root else { return ConfigNode(.mapping([]), at: SourceLocation(file: file, line: 1, column: 1)) }
        var errors: [ConfigError] = []
        let node = convert(root, file: file, errors: &errors)
        if !errors.isEmpty { throw ConfigErrors(errors) }
        return node
    }

    private func convert(_ node: Node, file: String, errors: inout [ConfigError]) -> ConfigNode {
        let location = SourceLocation(file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
        switch node {
        case .scalar(let scalar):
            let quoted = scalar.style == .singleQuoted || scalar.style == .doubleQuoted
            if !quoted && scalar.tag.description == Tag.Name.null.rawValue || !quoted && scalar.string.isEmpty && scalar.style == .plain {
                return ConfigNode(.null, at: location)
            }
            switch interpolation.apply(to: scalar.string) {
            case .success(let (text, substituted)):
                return ConfigNode(.scalar(text), at: location, isInterpolated: substituted, isQuoted: quoted)
            case .failure(.unset(let name, _)):
                errors.append(ConfigError(location, "environment variable '\(name)' is not set and has no default"))
            case .failure(.malformed):
                errors.append(ConfigError(location, "malformed ${...} interpolation (use ${NAME} or ${NAME:-default}; $$ for a literal $)"))
            }
            return ConfigNode(.null, at: location)
        case .sequence(let sequence):
            return ConfigNode(.sequence(sequence.map { convert($0, file: file, errors: &errors) }), at: location)
        case .mapping(let mapping):
            var pairs: [(key: ConfigNode, value: ConfigNode)] = []
            var seen: Set<String> = []
            for (key, value) in mapping {
                let keyLocation = SourceLocation(file: file, line: key.mark?.line ?? 1, column: key.mark?.column ?? 1)
                guard case .scalar(let keyScalar) = key else {
                    errors.append(ConfigError(keyLocation, "mapping keys must be plain names"))
                    continue
                }
                if !seen.insert(keyScalar.string).inserted {
                    errors.append(ConfigError(keyLocation, "duplicate key '\(keyScalar.string)'"))
                    continue
                }
                pairs.append((ConfigNode(.scalar(keyScalar.string), at: keyLocation), convert(value, file: file, errors: &errors)))
            }
            return ConfigNode(.mapping(pairs), at: location)
        case .alias:
            errors.append(ConfigError(location, "YAML aliases are not supported in pipeline files"))
            return ConfigNode(.null, at: location)
        }
    }

    static func describe(_ error: YamlError, file: String) -> ConfigError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return ConfigError(SourceLocation(file: file, line: mark.line, column: mark.column), "invalid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ConfigError(
                SourceLocation(file: file, line: context.mark.line, column: context.mark.column),
                "duplicate key '\(duplicates.first ?? "")'"
            )
        case .reader(let problem, let offset, _, _):
            return ConfigError(SourceLocation(file: file, line: 1, column: (offset ?? 0) + 1), "invalid YAML text: \(problem)")
        default:
            return ConfigError(SourceLocation(file: file, line: 1, column: 1), "invalid YAML")
        }
    }
}
