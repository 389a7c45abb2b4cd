import Foundation
import PipelineConfig

/// Reads one rule of `classify` (or its `default`) from the file, errors with line and column.
enum ClassifyRuleReader {
    static let actionKeys = [
        "measurement", "probe_type", "add_tags", "rename_tags", "copy_tags", "drop_tags", "copy_fields", "rename_fields", "drop_fields",
    ]

    static func read(_ node: ConfigNode, name fallback: String, componentID: String, into options: inout OptionsReader) -> ClassifyRule? {
        guard let pairs = node.mapping else {
            options.fail(node.location, "a rule of '\(componentID)' must be a mapping with 'match' and actions")
            return nil
        }
        var reader = OptionsReader(componentID: componentID, location: node.location, pairs: pairs)
        var rule = ClassifyRule(name: reader.string("name") ?? fallback)
        if let match = reader.node("match") {
            readMatch(match, into: &rule, options: &options)
        }
        rule.setMeasurement = reader.string("measurement")
        rule.setProbeType = reader.string("probe_type")
        rule.addTags = reader.stringMap("add_tags") ?? []
        rule.renameTags = reader.stringMap("rename_tags") ?? []
        rule.copyTags = reader.stringMap("copy_tags") ?? []
        rule.dropTags = reader.stringList("drop_tags") ?? []
        rule.copyFields = reader.stringMap("copy_fields") ?? []
        rule.renameFields = reader.stringMap("rename_fields") ?? []
        rule.dropFields = reader.stringList("drop_fields") ?? []
        for (key, value) in rule.addTags where key.isEmpty || value.isEmpty || value.contains("\n") {
            options.fail(node.location, "tag '\(key)' of a rule of '\(componentID)' is empty or has a newline")
        }
        do throws(ConfigErrors) {
            try reader.finish(keysAre: "rule key")
        } catch {
            for problem in error.errors { options.fail(problem.location, problem.message) }
        }
        return rule
    }

    static func readMatch(_ node: ConfigNode, into rule: inout ClassifyRule, options: inout OptionsReader) {
        guard let pairs = node.mapping else {
            options.fail(node.location, "'match' must be a mapping (measurement, tags, missing_tags, fields, source)")
            return
        }
        for (key, value) in pairs {
            switch key.scalar {
            case "measurement":
                rule.measurement = matcher(value, options: &options)
            case "tags":
                for (tag, condition) in value.mapping ?? [] {
                    if let matcher = matcher(condition, options: &options) { rule.tags.append((tag.scalar ?? "", matcher)) }
                }
                if value.mapping == nil { options.fail(value.location, "'tags' must map tag names to conditions") }
            case "missing_tags":
                rule.missingTags = strings(value, options: &options)
            case "fields":
                rule.fieldsPresent = strings(value, options: &options)
            case "source":
                rule.sources = strings(value, options: &options)
            default:
                options.fail(key.location, "unknown key '\(key.scalar ?? "")' in 'match' (measurement, tags, missing_tags, fields, source)")
            }
        }
    }

    /// `value` (exact), `{ glob: "DNS/**" }` or `{ regex: "^v6" }`.
    static func matcher(_ node: ConfigNode, options: inout OptionsReader) -> StringMatcher? {
        if let text = node.scalar { return .exact(text) }
        guard let pairs = node.mapping, pairs.count == 1, let kind = pairs[0].key.scalar, let pattern = pairs[0].value.scalar else {
            options.fail(node.location, "a condition is a string, { glob: PATTERN } or { regex: PATTERN }")
            return nil
        }
        switch kind {
        case "glob": return .glob(Glob(pattern))
        case "regex":
            guard let regex = try? NSRegularExpression(pattern: pattern) else {
                options.fail(pairs[0].value.location, "invalid regular expression")
                return nil
            }
            return .regex(regex)
        case "exact": return .exact(pattern)
        default:
            options.fail(pairs[0].key.location, "a condition is a string, { glob: PATTERN } or { regex: PATTERN }")
            return nil
        }
    }

    static func strings(_ node: ConfigNode, options: inout OptionsReader) -> [String] {
        if let text = node.scalar { return [text] }
        guard let items = node.sequence else {
            options.fail(node.location, "expected a name or a list of names")
            return []
        }
        return items.compactMap { item in
            guard let text = item.scalar else {
                options.fail(item.location, "expected a name or a list of names")
                return nil
            }
            return text
        }
    }
}
