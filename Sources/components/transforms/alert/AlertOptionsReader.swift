import Foundation
import Alerting
import PipelineConfig

/// Reads `alert`'s `rules`, `targets` and `notify`, errors at the value's line and column.
enum AlertOptionsReader {
    static func rules(_ node: ConfigNode?, edgeTrigger inherited: Bool, componentID: String, into options: inout OptionsReader) -> [AlertRule] {
        guard let node else { return [] }
        guard let pairs = node.mapping else {
            options.fail(node.location, "'\(componentID)': rules maps rule names to { type, pattern, comment, edgetrigger, priority }")
            return []
        }
        var rules: [AlertRule] = []
        for (key, value) in pairs {
            let name = key.scalar ?? ""
            // SmokePing's section names: `/[^\s,]+/`.
            guard !name.isEmpty, !name.contains(where: { $0.isWhitespace || $0 == "," }) else {
                options.fail(key.location, "'\(componentID)': a rule name has no spaces or commas")
                continue
            }
            guard let fields = value.mapping else {
                options.fail(value.location, "'\(componentID)': rule '\(name)' must be a mapping { type, pattern, … }")
                continue
            }
            var reader = OptionsReader(componentID: componentID, location: value.location, pairs: fields)
            let kindNode = reader.node("type")
            let kind: AlertKind = reader.oneOf("type", default: .loss)
            if kindNode == nil { options.fail(value.location, "'\(componentID)': rule '\(name)' needs a type (loss or rtt)") }
            let patternNode = reader.node("pattern")
            let comment = reader.string("comment") ?? ""
            let edgeTrigger = reader.bool("edgetrigger", default: inherited)
            let priority = reader.has("priority") ? reader.int("priority", default: 1, range: 1...1_000_000) : nil
            finish(&reader, keysAre: "rule key", into: &options)
            guard let patternNode, let text = patternNode.scalar else {
                options.fail(patternNode?.location ?? value.location, "'\(componentID)': rule '\(name)' needs a pattern (a string)")
                continue
            }
            do throws(AlertPatternError) {
                let pattern = try AlertPattern(text, kind: kind)
                rules.append(AlertRule(name: name, pattern: pattern, comment: comment, edgeTrigger: edgeTrigger, priority: priority))
            } catch {
                options.fail(patternNode.location, "'\(componentID)': rule '\(name)': \(error)")
            }
        }
        return rules
    }

    /// A YAML file of `edgetrigger` and `rules` (what `targets import --alert-rules` writes),
    /// read while the pipeline file is: its errors name its own lines. A path relative to the
    /// working directory, as `targets_file` is.
    static func rulesFile(_ path: String, at location: SourceLocation, componentID: String, into options: inout OptionsReader) -> [AlertRule] {
        guard let data = FileManager.default.contents(atPath: path) else {
            options.fail(location, "'\(componentID)': cannot read rules_file \(path)")
            return []
        }
        let root: ConfigNode
        do {
            root = try YAMLLoader(environment: [:]).load(text: String(decoding: data, as: UTF8.self), file: path)
        } catch {
            for problem in error.errors { options.fail(problem.location, problem.message) }
            return []
        }
        guard let pairs = root.mapping else {
            options.fail(root.location, "'\(componentID)': rules_file \(path) is a mapping of edgetrigger and rules")
            return []
        }
        var reader = OptionsReader(componentID: componentID, location: root.location, pairs: pairs)
        let edgeTrigger = reader.bool("edgetrigger", default: false)
        let rules = Self.rules(reader.node("rules"), edgeTrigger: edgeTrigger, componentID: componentID, into: &reader)
        finish(&reader, keysAre: "rules_file key", into: &options)
        return rules
    }

    static func targets(
        _ node: ConfigNode?, rules: [AlertRule], componentID: String, into options: inout OptionsReader
    ) -> [(glob: Glob, rules: [String])] {
        guard let node else { return [] }
        guard let pairs = node.mapping else {
            options.fail(node.location, "'\(componentID)': targets maps path or category globs to lists of rule names")
            return []
        }
        let known = Set(rules.map(\.name))
        var targets: [(glob: Glob, rules: [String])] = []
        for (key, value) in pairs {
            guard let pattern = key.scalar, !pattern.isEmpty else {
                options.fail(key.location, "'\(componentID)': a targets key is a path or category glob")
                continue
            }
            let names = value.scalar.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
                ?? value.sequence?.compactMap(\.scalar)
            guard let names, value.sequence.map({ $0.allSatisfy { $0.scalar != nil } }) ?? true else {
                options.fail(value.location, "'\(componentID)': targets '\(pattern)' lists rule names")
                continue
            }
            for name in names where !known.contains(name) {
                options.fail(value.location, "'\(componentID)': targets '\(pattern)' names rule '\(name)', which 'rules' does not define")
            }
            targets.append((Glob(pattern), names.filter(known.contains)))
        }
        return targets
    }

    static func notifiers(_ node: ConfigNode?, componentID: String, into options: inout OptionsReader) -> [NotifierConfiguration] {
        guard let node else { return [] }
        guard let items = node.sequence else {
            options.fail(node.location, "'\(componentID)': notify is a list of { type: webhook, url } or { type: exec, command }")
            return []
        }
        var notifiers: [NotifierConfiguration] = []
        for (index, item) in items.enumerated() {
            guard let fields = item.mapping else {
                options.fail(item.location, "'\(componentID)': a notifier is a mapping { type: webhook, url } or { type: exec, command }")
                continue
            }
            var reader = OptionsReader(componentID: componentID, location: item.location, pairs: fields)
            let type = reader.string("type") ?? ""
            let name = reader.string("name") ?? "\(type)-\(index + 1)"
            let timeout = reader.duration("timeout", default: .seconds(type == "exec" ? 30 : 10))
            switch type {
            case "webhook":
                let url = reader.secret("url")
                let headers = (reader.stringMap("headers") ?? []).map { ($0.0, Secret($0.1)) }
                if let url, !(url.value.hasPrefix("http://") || url.value.hasPrefix("https://")) {
                    options.fail(item.location, "'\(componentID)': notifier '\(name)': url must start with http:// or https://")
                } else if url == nil {
                    options.fail(item.location, "'\(componentID)': notifier '\(name)' needs a url")
                }
                for (header, _) in headers where header.isEmpty || header.contains(where: { $0 == ":" || $0.isWhitespace }) {
                    options.fail(item.location, "'\(componentID)': notifier '\(name)': '\(header)' is not a header name")
                }
                if let url { notifiers.append(NotifierConfiguration(name: name, timeout: timeout, kind: .webhook(url: url, headers: headers))) }
            case "exec":
                let commandNode = reader.node("command")
                let command = commandNode?.sequence?.compactMap(\.scalar) ?? []
                if command.isEmpty || command.count != commandNode?.sequence?.count {
                    options.fail(commandNode?.location ?? item.location, "'\(componentID)': notifier '\(name)' needs a command: [program, arguments…] (no shell)")
                } else if !command[0].hasPrefix("/") {
                    options.fail(commandNode?.location ?? item.location, "'\(componentID)': notifier '\(name)': the program is an absolute path (no shell, no PATH search)")
                }
                for argument in command {
                    for placeholder in CommandTemplate.placeholders(in: argument) where !CommandTemplate.names.contains(placeholder) {
                        options.fail(commandNode?.location ?? item.location,
                            "'\(componentID)': notifier '\(name)': unknown placeholder {\(placeholder)} (\(CommandTemplate.names.map { "{\($0)}" }.joined(separator: ", ")))")
                    }
                }
                if !command.isEmpty { notifiers.append(NotifierConfiguration(name: name, timeout: timeout, kind: .exec(command: command))) }
            default:
                options.fail(item.location, "'\(componentID)': a notifier's type is webhook or exec")
            }
            finish(&reader, keysAre: "notifier key", into: &options)
        }
        var seen: Set<String> = []
        for notifier in notifiers where !seen.insert(notifier.name).inserted {
            options.fail(node.location, "'\(componentID)': two notifiers are named '\(notifier.name)'")
        }
        return notifiers
    }

    static func finish(_ reader: inout OptionsReader, keysAre noun: String, into options: inout OptionsReader) {
        do throws(ConfigErrors) {
            try reader.finish(keysAre: noun)
        } catch {
            for problem in error.errors { options.fail(problem.location, problem.message) }
        }
    }
}
