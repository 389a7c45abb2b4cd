import Yams

/// Reads YAML into `ConfigNode`s, keeping each node's line and column and interpolating
/// `${VAR}` inside scalar values only (keys are never interpolated), so positions stay exact
/// and no environment value can change the document's structure.
public struct YAMLLoader: Sendable {
    public var interpolation: Interpolation

    public init(environment: [String: String]) {
        interpolation = Interpolation(environment: environment)
    }

    /// Deeper nesting than this is refused before Yams reads the text, with one clear line:
    /// Yams' libyaml stops at 1,000 levels itself, with a message naming its C setter, and Yams'
    /// composer and `convert` recurse once per level. No pipeline file comes near 100.
    public static let maximumDepth = 100

    public func load(text: String, file: String) throws(ConfigErrors) -> ConfigNode {
        if let (line, column) = Self.tooDeep(text, limit: Self.maximumDepth) {
            throw ConfigErrors([ConfigError(SourceLocation(file: file, line: line, column: column),
                "YAML nested deeper than \(Self.maximumDepth) levels")])
        }
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

    /// Where the nesting first goes deeper than `limit` (1-based line and column), by a scan
    /// that counts at least every level Yams would: flow brackets outside quotes and comments,
    /// plus the block levels that indentation and leading `- ` open. It may count a level that
    /// is not one (brackets inside a block scalar), never miss one.
    static func tooDeep(_ text: String, limit: Int) -> (line: Int, column: Int)? {
        var indents: [Int] = []
        var flow = 0
        var line = 1
        var quote: UInt8?
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            // At the start of a line (outside flow collections and quotes): its block levels.
            var column = 1
            if flow == 0, quote == nil {
                var indent = 0
                while index + indent < bytes.count, bytes[index + indent] == UInt8(ascii: " ") { indent += 1 }
                var dashes = 0
                var cursor = index + indent
                while cursor + 1 < bytes.count, bytes[cursor] == UInt8(ascii: "-"), bytes[cursor + 1] == UInt8(ascii: " ") {
                    dashes += 1
                    cursor += 2
                    while cursor < bytes.count, bytes[cursor] == UInt8(ascii: " ") { cursor += 1 }
                }
                let blank = index + indent >= bytes.count || [UInt8(ascii: "\n"), UInt8(ascii: "#"), UInt8(ascii: "\r")].contains(bytes[index + indent])
                if !blank {
                    while let last = indents.last, last >= indent { indents.removeLast() }
                    indents.append(indent)
                    if indents.count + dashes > limit { return (line, indent + 1) }
                }
                column += cursor - index
                index = cursor
            }
            // The rest of the line: flow brackets, quotes, a comment.
            while index < bytes.count, bytes[index] != UInt8(ascii: "\n") {
                let byte = bytes[index]
                if let open = quote {
                    if byte == UInt8(ascii: "\\"), open == UInt8(ascii: "\"") {
                        index += 1
                        column += 1
                    } else if byte == open {
                        quote = nil
                    }
                } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'"),
                    index == 0 || [UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "["), UInt8(ascii: "{"), UInt8(ascii: ",")].contains(bytes[index - 1])
                {
                    // A quote opens a quoted scalar only where a token starts (`don't` is plain).
                    quote = byte
                } else if byte == UInt8(ascii: "#"), index == 0 || [UInt8(ascii: " "), UInt8(ascii: "\t")].contains(bytes[index - 1]) {
                    while index < bytes.count, bytes[index] != UInt8(ascii: "\n") { index += 1 }
                    break
                } else if byte == UInt8(ascii: "[") || byte == UInt8(ascii: "{") {
                    flow += 1
                    if indents.count + flow > limit { return (line, column) }
                } else if byte == UInt8(ascii: "]") || byte == UInt8(ascii: "}") {
                    flow = max(flow - 1, 0)
                }
                index += 1
                column += 1
            }
            index += 1
            line += 1
        }
        return nil
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
