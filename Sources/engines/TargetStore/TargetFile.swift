public import Foundation
public import PipelineConfig

/// Targets read from a YAML or CSV file, each with the line it came from, so every problem
/// is reported as `FILE:LINE: message` and a file with any bad row imports nothing.
public struct TargetFile: Sendable {
    public struct Entry: Sendable {
        public var record: TargetRecord
        public var location: SourceLocation
    }

    public var entries: [Entry]

    public enum Format: String, Sendable, CaseIterable { case yaml, csv }

    public static func format(ofPath path: String) -> Format {
        path.lowercased().hasSuffix(".csv") ? .csv : .yaml
    }

    /// Reads and checks every row (names, hosts, duplicates); errors list every bad row.
    public static func read(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigErrors) -> TargetFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigErrors([ConfigError(SourceLocation(file: path, line: 0, column: 0), "cannot read the file")])
        }
        return try parse(String(decoding: data, as: UTF8.self), file: path, format: format(ofPath: path), environment: environment)
    }

    /// Reads a file for import: the rows that passed, and every problem found so far.
    public static func check(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigErrors) -> (TargetFile, [ConfigError]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigErrors([ConfigError(SourceLocation(file: path, line: 0, column: 0), "cannot read the file")])
        }
        return try check(String(decoding: data, as: UTF8.self), file: path, format: format(ofPath: path), environment: environment)
    }

    public static func parse(_ text: String, file: String, format: Format, environment: [String: String] = [:]) throws(ConfigErrors) -> TargetFile {
        let (file, errors) = try check(text, file: file, format: format, environment: environment)
        if !errors.isEmpty { throw ConfigErrors(errors) }
        return file
    }

    /// The rows that passed, and a problem per row that did not (for callers that add their own checks).
    public static func check(_ text: String, file: String, format: Format, environment: [String: String] = [:]) throws(ConfigErrors) -> (TargetFile, [ConfigError]) {
        var errors: [ConfigError] = []
        let rows: [(fields: [String: (String, SourceLocation)], location: SourceLocation)]
        switch format {
        case .yaml: rows = try YAMLRows.read(text, file: file, environment: environment, errors: &errors)
        case .csv: rows = CSVRows.read(text, file: file, errors: &errors)
        }
        var entries: [Entry] = []
        var seen: [String: SourceLocation] = [:]
        for row in rows {
            if let entry = validate(row.fields, at: row.location, errors: &errors) {
                if let first = seen[entry.record.name] {
                    errors.append(ConfigError(row.location, "target '\(entry.record.name)' is listed twice (first at line \(first.line))"))
                    continue
                }
                seen[entry.record.name] = row.location
                entries.append(entry)
            }
        }
        return (TargetFile(entries: entries), errors)
    }

    static func validate(_ fields: [String: (String, SourceLocation)], at location: SourceLocation, errors: inout [ConfigError]) -> Entry? {
        let before = errors.count
        for (key, (_, keyLocation)) in fields where !TargetRecord.columns.contains(key) && !TargetRecord.probeOnlyColumns.contains(key)
            && !TargetRecord.managedColumns.contains(key) {
            errors.append(ConfigError(keyLocation, "unknown column '\(key)' (expected \(TargetRecord.columns.joined(separator: ", ")))"))
        }
        func value(_ key: String) -> String? { fields[key].flatMap { $0.0.isEmpty ? nil : $0.0 } }
        let name = value("name") ?? ""
        let host = value("host") ?? ""
        if name.isEmpty {
            errors.append(ConfigError(location, "target has no name"))
        } else if !TargetValidation.isValidName(name) {
            errors.append(ConfigError(fields["name"]!.1, "target name '\(name)' must match [-_0-9a-zA-Z]+ (SmokePing's rule)"))
        }
        let subject = name.isEmpty ? "target" : "target '\(name)'"
        if host.isEmpty {
            errors.append(ConfigError(location, "\(subject) has no host"))
        } else if !TargetValidation.isValidHost(host) {
            errors.append(ConfigError(fields["host"]!.1, "\(subject): host '\(host)' is neither an IP address nor a valid host name"))
        }
        var isActive = true
        if let text = value("active") {
            switch text.lowercased() {
            case "true", "yes", "1", "t": isActive = true
            case "false", "no", "0", "f": isActive = false
            default: errors.append(ConfigError(fields["active"]!.1, "\(subject): active must be true or false, not '\(text)'"))
            }
        }
        let recordType = value("record").map { $0.uppercased() }
        if let recordType, !TargetValidation.dnsRecordTypes.contains(recordType) {
            errors.append(ConfigError(
                fields["record"]!.1,
                "\(subject): record must be one of \(TargetValidation.dnsRecordTypes.joined(separator: ", ")), not '\(recordType)'"
            ))
        }
        var alerts: String?
        if let text = value("alerts") {
            do { alerts = try TargetValidation.normalizedAlerts(text) } catch {
                errors.append(ConfigError(fields["alerts"]!.1, "\(subject): \(error)"))
            }
        }
        guard errors.count == before else { return nil }
        let record = TargetRecord(
            name: name, host: host, title: fields["title"]?.0 ?? "", isActive: isActive, category: value("category"),
            probe: value("probe"), site: value("site"), cachegroup: value("cachegroup"), lookup: value("lookup"),
            record: recordType, alerts: alerts
        )
        return Entry(record: record, location: location)
    }
}

/// `targets:` (or a bare list) of mappings.
enum YAMLRows {
    static func read(
        _ text: String, file: String, environment: [String: String], errors: inout [ConfigError]
    ) throws(ConfigErrors) -> [(fields: [String: (String, SourceLocation)], location: SourceLocation)] {
        let root = try YAMLLoader(environment: environment).load(text: text, file: file)
        var list = root.sequence
        if list == nil, let pairs = root.mapping, let targets = pairs.first(where: { $0.key.scalar == "targets" }) {
            list = targets.value.sequence ?? (targets.value.scalar == nil && targets.value.mapping == nil ? [] : nil)
        }
        guard let list else {
            errors.append(ConfigError(root.location, "expected a list of targets, or 'targets:' with a list"))
            return []
        }
        return list.compactMap { item in
            guard let pairs = item.mapping else {
                errors.append(ConfigError(item.location, "a target must be a mapping (name:, host:, …), not \(item.kindName)"))
                return nil
            }
            var fields: [String: (String, SourceLocation)] = [:]
            for (key, value) in pairs {
                guard let name = key.scalar else { continue }
                switch value.value {
                case .scalar(let text): fields[name] = (text, value.location)
                case .null: fields[name] = ("", value.location)
                default: errors.append(ConfigError(value.location, "'\(name)' must be a single value, not \(value.kindName)"))
                }
            }
            return (fields, item.location)
        }
    }
}
