/// A YAML node after interpolation, with where it came from.
public struct ConfigNode: Sendable {
    public indirect enum Value: Sendable {
        case scalar(String)
        case null
        case sequence([ConfigNode])
        /// Keys in file order.
        case mapping([(key: ConfigNode, value: ConfigNode)])
    }

    public var value: Value
    public var location: SourceLocation
    /// True when the text came (partly) from the environment: such values may be secrets.
    public var isInterpolated: Bool
    /// The scalar was quoted in the file, so `"123"` stays a string where a string is expected.
    public var isQuoted: Bool

    public init(_ value: Value, at location: SourceLocation, isInterpolated: Bool = false, isQuoted: Bool = false) {
        self.value = value
        self.location = location
        self.isInterpolated = isInterpolated
        self.isQuoted = isQuoted
    }

    public var scalar: String? {
        if case .scalar(let text) = value { return text }
        return nil
    }

    public var mapping: [(key: ConfigNode, value: ConfigNode)]? {
        if case .mapping(let pairs) = value { return pairs }
        return nil
    }

    public var sequence: [ConfigNode]? {
        if case .sequence(let items) = value { return items }
        return nil
    }

    /// A word for error messages: what the node is, never what it holds.
    public var kindName: String {
        switch value {
        case .scalar: return "a scalar"
        case .null: return "null"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }
}
