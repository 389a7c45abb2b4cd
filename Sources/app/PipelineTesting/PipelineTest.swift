import LineProtocol
public import PipelineConfig
public import EventModel

/// One entry of a pipeline file's `tests:` (in the style of Vector's unit tests): points fed
/// into one transform, and what must come out.
///
/// ```yaml
/// tests:
///   - name: DNS rounds become dns_latency
///     transform: classify
///     source: recorded            # the input's origin, for rules that match on `source`
///     precision: s                # of the line protocol below (default ns)
///     input: |
///       latency,path=DNS/a,probe_type=fping,target=a median=3,pings=5i 1764374453
///     expect: |                   # exactly these points, in any order
///       dns_latency,path=DNS/a,probe_type=dns,resolver=a,target=a median=3,pings=5i,resolution_time=3 1764374453
///     conditions:                 # each matched by at least one output point
///       - { measurement: dns_latency, tags: { probe_type: dns }, fields: { median: 3 } }
///     count: 1                    # number of output points
/// ```
public struct PipelineTest: Sendable {
    public struct Condition: Sendable {
        public var location: SourceLocation
        public var measurement: String?
        public var tags: [(String, String?)] = []
        /// Floats compare to 1e-9 relative; other values exactly.
        public var fields: [(String, FieldValue?)] = []
    }

    public var name: String
    public var location: SourceLocation
    public var transform: String
    public var transformLocation: SourceLocation
    public var origin: String?
    public var input: [Point]
    public var expected: [Point]?
    public var expectedLocation: SourceLocation?
    public var conditions: [Condition]
    public var count: Int?
    public var countLocation: SourceLocation?
}

extension PipelineTest {
    /// The `tests:` of a pipeline file; every problem with its line and column.
    public static func read(_ definition: PipelineDefinition) throws(ConfigErrors) -> [PipelineTest] {
        guard let node = definition.settings.first(where: { $0.key.scalar == "tests" })?.value else { return [] }
        var errors: [ConfigError] = []
        var tests: [PipelineTest] = []
        guard let items = node.sequence else {
            throw ConfigErrors([ConfigError(node.location, "'tests' must be a list of tests")])
        }
        for (index, item) in items.enumerated() {
            if let test = read(item, index: index, definition: definition, errors: &errors) { tests.append(test) }
        }
        if !errors.isEmpty { throw ConfigErrors(errors) }
        return tests
    }

    static func read(_ node: ConfigNode, index: Int, definition: PipelineDefinition, errors: inout [ConfigError]) -> PipelineTest? {
        guard let pairs = node.mapping else {
            errors.append(ConfigError(node.location, "a test must be a mapping with 'transform' and 'input'"))
            return nil
        }
        var reader = OptionsReader(componentID: "test \(index + 1)", location: node.location, pairs: pairs)
        let name = reader.string("name") ?? "test \(index + 1)"
        let transform = reader.requiredString("transform")
        let transformLocation = reader.node("transform")?.location ?? node.location
        if !transform.isEmpty, definition.component(transform)?.kind != .transform {
            reader.fail(transformLocation, "test '\(name)': '\(transform)' is not a transform of this file")
        }
        let precision: Precision = reader.oneOf("precision", default: .nanoseconds)
        let origin = reader.string("source")
        let input = points(reader.node("input"), precision: precision, required: true, test: name, reader: &reader) ?? []
        let expectedNode = reader.node("expect")
        let expected = points(expectedNode, precision: precision, required: false, test: name, reader: &reader)
        var conditions: [Condition] = []
        if let node = reader.node("conditions") {
            for item in node.sequence ?? [node] {
                if let condition = Self.condition(item, test: name, reader: &reader) { conditions.append(condition) }
            }
        }
        let countNode = reader.node("count")
        let count = countNode.map { _ in reader.int("count", default: 0, range: 0...10_000_000) }
        if expected == nil && conditions.isEmpty && count == nil {
            reader.fail(node.location, "test '\(name)' needs 'expect', 'conditions' or 'count'")
        }
        do throws(ConfigErrors) { try reader.finish() } catch { errors += error.errors }
        return PipelineTest(
            name: name, location: node.location, transform: transform, transformLocation: transformLocation, origin: origin, input: input,
            expected: expected, expectedLocation: expectedNode?.location, conditions: conditions, count: count,
            countLocation: countNode?.location
        )
    }

    static func points(_ node: ConfigNode?, precision: Precision, required: Bool, test: String, reader: inout OptionsReader) -> [Point]? {
        guard let node else {
            if required { reader.fail(reader.location, "test '\(test)' needs 'input' (line protocol)") }
            return nil
        }
        let text = node.scalar ?? node.sequence?.compactMap(\.scalar).joined(separator: "\n")
        guard let text else {
            reader.fail(node.location, "test '\(test)': points are line protocol, a block (|) or a list of lines")
            return nil
        }
        do {
            return try LineProtocolParser.parse(text + "\n", precision: precision)
        } catch {
            // A block scalar (`|`, which keeps its final newline) starts on the line after the key.
            let line = node.location.line + (node.sequence == nil && text.hasSuffix("\n") ? error.line : error.line - 1)
            reader.fail(SourceLocation(file: node.location.file, line: line, column: 1), "test '\(test)': \(error.message)")
            return nil
        }
    }

    static func condition(_ node: ConfigNode, test: String, reader: inout OptionsReader) -> Condition? {
        guard let pairs = node.mapping else {
            reader.fail(node.location, "test '\(test)': a condition is a mapping of measurement, tags and fields")
            return nil
        }
        var condition = Condition(location: node.location)
        for (key, value) in pairs {
            switch key.scalar {
            case "measurement": condition.measurement = value.scalar
            case "tags":
                condition.tags = (value.mapping ?? []).map { ($0.key.scalar ?? "", present($0.value)) }
            case "fields":
                condition.fields = (value.mapping ?? []).map { ($0.key.scalar ?? "", present($0.value).map(fieldValue)) }
            default:
                reader.fail(key.location, "test '\(test)': unknown key in a condition (measurement, tags, fields)")
            }
        }
        return condition
    }

    /// The value a condition asks for; nil for `~`/`null` (unquoted): the tag or field must be absent.
    static func present(_ node: ConfigNode) -> String? {
        guard let text = node.scalar, node.isQuoted || !["~", "null"].contains(text) else { return nil }
        return text
    }

    /// `3.5`, `12i`, `true`, `"text"` as in line protocol.
    static func fieldValue(_ text: String) -> FieldValue {
        if text.hasSuffix("i"), let value = Int64(text.dropLast()) { return .int(value) }
        if let value = Double(text) { return .float(value) }
        if text == "true" || text == "false" { return .bool(text == "true") }
        return .string(text)
    }
}
