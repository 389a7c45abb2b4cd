/// Typed, position-aware access to one component's options.
///
/// Each accessor records a `ConfigError` (at the value's line and column) instead of throwing,
/// so `validate` reports every problem at once; `finish()` adds an error for each key nobody
/// asked for and throws them all.
public struct OptionsReader: Sendable {
    public let componentID: String
    public let location: SourceLocation
    private var options: [String: ConfigNode] = [:]
    private var keyLocations: [String: SourceLocation] = [:]
    private var keyOrder: [String] = []
    private var used: Set<String> = []
    public private(set) var errors: [ConfigError] = []

    public init(componentID: String, location: SourceLocation, pairs: [(key: ConfigNode, value: ConfigNode)]) {
        self.componentID = componentID
        self.location = location
        for (key, value) in pairs {
            guard let name = key.scalar else { continue }
            options[name] = value
            keyLocations[name] = key.location
            keyOrder.append(name)
        }
    }

    public mutating func fail(_ location: SourceLocation, _ message: String) {
        errors.append(ConfigError(location, message))
    }

    /// The raw node, for options with a shape of their own (rules, lists of mappings).
    public mutating func node(_ key: String) -> ConfigNode? {
        used.insert(key)
        guard let node = options[key], case .null = node.value else { return options[key] }
        return nil
    }

    public mutating func has(_ key: String) -> Bool { options[key] != nil }

    public mutating func string(_ key: String) -> String? {
        guard let node = node(key) else { return nil }
        guard let text = node.scalar else {
            fail(node.location, "option '\(key)' must be a string, not \(node.kindName)")
            return nil
        }
        return text
    }

    public mutating func requiredString(_ key: String) -> String {
        guard let text = string(key) else {
            if options[key] == nil { fail(location, "'\(componentID)' needs option '\(key)'") }
            return ""
        }
        return text
    }

    public mutating func secret(_ key: String) -> Secret? {
        string(key).map(Secret.init)
    }

    public mutating func int(_ key: String, default fallback: Int, range: ClosedRange<Int>? = nil) -> Int {
        guard let node = node(key) else { return fallback }
        guard let text = node.scalar, !node.isQuoted, let value = Int(text) else {
            fail(node.location, "option '\(key)' must be an integer")
            return fallback
        }
        if let range, !range.contains(value) {
            fail(node.location, "option '\(key)' must be between \(range.lowerBound) and \(range.upperBound)")
            return fallback
        }
        return value
    }

    public mutating func double(_ key: String) -> Double? {
        guard let node = node(key) else { return nil }
        guard let text = node.scalar, !node.isQuoted, let value = Double(text), value.isFinite else {
            fail(node.location, "option '\(key)' must be a number")
            return nil
        }
        return value
    }

    public mutating func bool(_ key: String, default fallback: Bool) -> Bool {
        guard let node = node(key) else { return fallback }
        switch node.isQuoted ? nil : node.scalar {
        case "true", "True", "TRUE", "yes", "on": return true
        case "false", "False", "FALSE", "no", "off": return false
        default:
            fail(node.location, "option '\(key)' must be true or false")
            return fallback
        }
    }

    /// `300ms`, `10s`, `5m`, `1h`, `1d`, or a bare number of seconds.
    public mutating func duration(_ key: String, default fallback: Duration) -> Duration {
        guard let node = node(key) else { return fallback }
        guard let text = node.scalar, let value = Self.parseDuration(text) else {
            fail(node.location, "option '\(key)' must be a duration such as 500ms, 10s, 5m, 1h")
            return fallback
        }
        return value
    }

    public mutating func oneOf<T: RawRepresentable & CaseIterable>(_ key: String, default fallback: T) -> T
    where T.RawValue == String {
        guard let node = node(key) else { return fallback }
        guard let text = node.scalar, let value = T(rawValue: text) else {
            let names = T.allCases.map(\.rawValue).joined(separator: ", ")
            fail(node.location, "option '\(key)' must be one of: \(names)")
            return fallback
        }
        return value
    }

    public mutating func stringList(_ key: String) -> [String]? {
        guard let node = node(key) else { return nil }
        if let text = node.scalar { return [text] }
        guard let items = node.sequence else {
            fail(node.location, "option '\(key)' must be a list of strings")
            return nil
        }
        var values: [String] = []
        for item in items {
            guard let text = item.scalar else {
                fail(item.location, "option '\(key)' must be a list of strings")
                continue
            }
            values.append(text)
        }
        return values
    }

    public mutating func stringMap(_ key: String) -> [(String, String)]? {
        guard let node = node(key) else { return nil }
        guard let pairs = node.mapping else {
            fail(node.location, "option '\(key)' must be a mapping of names to strings")
            return nil
        }
        var values: [(String, String)] = []
        for (name, value) in pairs {
            guard let name = name.scalar, let text = value.scalar else {
                fail(value.location, "option '\(key)' must be a mapping of names to strings")
                continue
            }
            values.append((name, text))
        }
        return values
    }

    /// Unknown keys become errors (`unknown option 'x' for 'id'`, or another word for what the
    /// keys are, such as `rule key`); throws everything recorded.
    public mutating func finish(keysAre noun: String = "option") throws(ConfigErrors) {
        for key in keyOrder where !used.contains(key) {
            fail(keyLocations[key] ?? location, "unknown \(noun) '\(key)' for '\(componentID)'")
        }
        if !errors.isEmpty { throw ConfigErrors(errors) }
    }

    public static func parseDuration(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        for (suffix, seconds) in units where text.hasSuffix(suffix) {
            guard let number = Double(text.dropLast(suffix.count)), number >= 0, number.isFinite else { return nil }
            return .milliseconds(Int64((number * seconds * 1000).rounded()))
        }
        guard let number = Double(text), number >= 0, number.isFinite else { return nil }
        return .milliseconds(Int64((number * 1000).rounded()))
    }
}

/// A value that must never be printed: logs and errors see `<redacted>`.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    public let value: String

    public init(_ value: String) { self.value = value }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
}
