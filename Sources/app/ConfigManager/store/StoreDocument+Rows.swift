import PipelineConfig
import TargetStore

extension StoreDocument {
    /// Reads the rows of a store file, collecting every problem with its position. A row
    /// without an id gets id 0 here and a fresh one from `numbered`.
    struct Rows {
        var errors: [ConfigError]

        mutating func list(_ node: ConfigNode?, named name: String) -> [Fields] {
            guard let node else { return [] }
            if case .null = node.value { return [] }
            guard let items = node.sequence else {
                errors.append(ConfigError(node.location, "\(name) must be a list"))
                return []
            }
            return items.compactMap { item in
                guard let pairs = item.mapping else {
                    errors.append(ConfigError(item.location, "each of \(name) must be a mapping, not \(item.kindName)"))
                    return nil
                }
                var fields = Fields(location: item.location)
                for (key, value) in pairs {
                    guard let key = key.scalar else { continue }
                    switch value.value {
                    case .scalar(let text): fields.values[key] = (text, value.location)
                    case .null: break
                    default: errors.append(ConfigError(value.location, "'\(key)' must be a single value, not \(value.kindName)"))
                    }
                }
                return fields
            }
        }

        struct Fields {
            var location: SourceLocation
            var values: [String: (String, SourceLocation)] = [:]

            func string(_ key: String) -> String? { values[key]?.0 }
        }

        mutating func unknownKeys(_ fields: Fields, allowed: Set<String>) {
            for (key, (_, location)) in fields.values where !allowed.contains(key) {
                errors.append(ConfigError(location, "unknown key '\(key)' (expected \(allowed.sorted().joined(separator: ", ")))"))
            }
        }

        mutating func int(_ fields: Fields, _ key: String, default value: Int) -> Int {
            guard let (text, location) = fields.values[key] else { return value }
            guard let number = Int(text) else {
                errors.append(ConfigError(location, "'\(key)' must be a whole number, not '\(text)'"))
                return value
            }
            return number
        }

        mutating func bool(_ fields: Fields, _ key: String, default value: Bool) -> Bool {
            guard let (text, location) = fields.values[key] else { return value }
            switch text.lowercased() {
            case "true", "yes", "1", "t": return true
            case "false", "no", "0", "f": return false
            default:
                errors.append(ConfigError(location, "'\(key)' must be true or false, not '\(text)'"))
                return value
            }
        }

        mutating func required(_ fields: Fields, _ key: String) -> String? {
            guard let value = fields.string(key), !value.isEmpty else {
                errors.append(ConfigError(fields.location, "'\(key)' is required"))
                return nil
            }
            return value
        }

        mutating func target(_ fields: Fields, now: String) -> StoredTarget? {
            let keys = Set(TargetRecord.columns + TargetRecord.probeOnlyColumns + TargetRecord.managedColumns)
            unknownKeys(fields, allowed: keys)
            guard let name = required(fields, "name"), let host = required(fields, "host") else { return nil }
            let record = TargetRecord(
                name: name, host: host, title: fields.string("title") ?? "", isActive: bool(fields, "active", default: true),
                category: fields.string("category"), probe: fields.string("probe"), site: fields.string("site"),
                cachegroup: fields.string("cachegroup"), lookup: fields.string("lookup"),
                record: fields.string("record"), alerts: fields.string("alerts")
            )
            return StoredTarget(
                id: int(fields, "id", default: 0), record: record,
                createdAt: fields.string("created_at") ?? now, updatedAt: fields.string("updated_at") ?? now
            )
        }

        mutating func category(_ fields: Fields) -> StoredCategory? {
            unknownKeys(fields, allowed: ["id", "name", "display_name", "description"])
            guard let name = required(fields, "name") else { return nil }
            let record = CategoryRecord(name: name, displayName: fields.string("display_name") ?? "", description: fields.string("description") ?? "")
            return StoredCategory(id: int(fields, "id", default: 0), record: record)
        }

        mutating func probe(_ fields: Fields) -> StoredProbe? {
            unknownKeys(fields, allowed: ["id", "name", "module", "binary_path", "step_seconds", "pings", "forks", "is_default"])
            guard let name = required(fields, "name") else { return nil }
            let record = ProbeRecord(
                name: name, binaryPath: fields.string("binary_path"), stepSeconds: int(fields, "step_seconds", default: 300),
                pings: int(fields, "pings", default: 20), forks: int(fields, "forks", default: 5),
                isDefault: bool(fields, "is_default", default: false), module: fields.string("module")
            )
            return StoredProbe(id: int(fields, "id", default: 0), record: record)
        }

        /// Rows without an id, or with one used twice, get fresh ids above the largest.
        static func numbered<Row>(_ rows: [Row]) -> [Row] where Row: Identified {
            var next = (rows.map(\.id).max() ?? 0) + 1
            var seen: Set<Int> = []
            return rows.map { row in
                guard row.id <= 0 || !seen.insert(row.id).inserted else { return row }
                var row = row
                row.id = next
                next += 1
                return row
            }
        }
    }
}

/// A stored row with its id, for numbering rows read from a file.
protocol Identified { var id: Int { get set } }
extension StoredTarget: Identified {}
extension StoredCategory: Identified {}
extension StoredProbe: Identified {}
