public import Foundation
public import EventModel
public import PipelineConfig

/// How a `classify` rule matches a string: exactly, by a path glob (`DNS/**`), or by a regular
/// expression (whose groups `$1`… a new measurement name may use).
public enum StringMatcher: Sendable {
    case exact(String)
    case glob(Glob)
    case regex(NSRegularExpression)

    public func matches(_ text: String) -> Bool {
        switch self {
        case .exact(let value): return text == value
        case .glob(let glob): return glob.matches(text)
        case .regex(let regex):
            return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
        }
    }
}

/// One rule: every condition given must hold; then its actions apply, in the order listed
/// on `ClassifyRule.apply`.
public struct ClassifyRule: Sendable {
    public var name: String
    public var measurement: StringMatcher?
    public var tags: [(key: String, matcher: StringMatcher)] = []
    /// Tags that must be absent.
    public var missingTags: [String] = []
    public var fieldsPresent: [String] = []
    public var sources: [String] = []

    public var setMeasurement: String?
    public var setProbeType: String?
    public var addTags: [(String, String)] = []
    public var renameTags: [(String, String)] = []
    /// Copies a tag's value to another tag that is absent (e.g. `target` to `resolver`).
    public var copyTags: [(String, String)] = []
    public var dropTags: [String] = []
    public var copyFields: [(String, String)] = []
    public var renameFields: [(String, String)] = []
    public var dropFields: [String] = []

    public init(name: String) { self.name = name }

    public func matches(_ point: Point, origin: String?) -> Bool {
        if let measurement, !measurement.matches(point.measurement) { return false }
        for (key, matcher) in tags {
            guard let value = point.tag(key), matcher.matches(value) else { return false }
        }
        for key in missingTags where point.tag(key) != nil { return false }
        for field in fieldsPresent where point.field(field) == nil { return false }
        if !sources.isEmpty, !sources.contains(origin ?? "") { return false }
        return true
    }

    /// Measurement, then tags (rename, copy, drop, add, probe_type), then fields (copy, rename, drop).
    public func apply(_ point: inout Point) {
        if let setMeasurement {
            if setMeasurement.contains("$"), case .regex(let regex)? = measurement {
                let name = point.measurement
                point.measurement = regex.stringByReplacingMatches(
                    in: name, range: NSRange(name.startIndex..., in: name), withTemplate: setMeasurement)
            } else {
                point.measurement = setMeasurement
            }
        }
        for (old, new) in renameTags {
            if let value = point.tag(old) {
                point.removeTag(old)
                point.setTag(new, value)
            }
        }
        for (from, to) in copyTags {
            if let value = point.tag(from), point.tag(to) == nil { point.setTag(to, value) }
        }
        for key in dropTags { point.removeTag(key) }
        for (key, value) in addTags { point.setTag(key, value) }
        if let setProbeType { point.setTag(LatencySchema.Tag.probeType, setProbeType) }
        for (from, to) in copyFields {
            if let value = point.field(from), point.field(to) == nil { point.fields.append(.init(to, value)) }
        }
        for (old, new) in renameFields {
            if let index = point.fields.firstIndex(where: { $0.key == old }) { point.fields[index].key = new }
        }
        if !dropFields.isEmpty { point.fields.removeAll { dropFields.contains($0.key) } }
    }
}
