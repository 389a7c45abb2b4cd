public import PipelineConfig
import TargetStore

/// File mode's one YAML file: `categories:`, `probes:` and `targets:` with their ids. The
/// `targets:` list is the targets file the probe source, the join and `targets import` read
/// (the extra keys `id`, `created_at`, `updated_at` are accepted there). A hand-written file
/// without `categories:` or `probes:` gets the seeded ones plus every name its targets use.
public enum StoreDocument {
    public static func render(_ snapshot: StoreSnapshot) -> String {
        var text = "# The target store of `smokeflow serve` (file mode). Written atomically; hand edits are read back.\n"
        text += "categories:\n"
        for category in snapshot.categories.sorted(by: { $0.id < $1.id }) {
            text += "  - id: \(category.id)\n"
            text += "    name: \(quoted(category.record.name))\n"
            text += "    display_name: \(quoted(category.record.displayName))\n"
            text += "    description: \(quoted(category.record.description))\n"
        }
        text += "probes:\n"
        for probe in snapshot.probes.sorted(by: { $0.id < $1.id }) {
            let record = probe.record
            text += "  - id: \(probe.id)\n"
            text += "    name: \(quoted(record.name))\n"
            if let module = record.module { text += "    module: \(quoted(module))\n" }
            if let binary = record.binaryPath { text += "    binary_path: \(quoted(binary))\n" }
            text += "    step_seconds: \(record.stepSeconds)\n    pings: \(record.pings)\n    forks: \(record.forks)\n"
            text += "    is_default: \(record.isDefault)\n"
        }
        text += snapshot.targets.isEmpty ? "targets: []\n" : "targets:\n"
        for target in snapshot.targets.sorted(by: { $0.id < $1.id }) {
            let record = target.record
            text += "  - id: \(target.id)\n"
            text += "    name: \(quoted(record.name))\n    host: \(quoted(record.host))\n    title: \(quoted(record.title))\n"
            text += "    active: \(record.isActive)\n"
            for (key, value) in [("category", record.category), ("probe", record.probe), ("site", record.site),
                                 ("cachegroup", record.cachegroup), ("lookup", record.lookup),
                                 ("record", record.record), ("alerts", record.alerts)] {
                if let value { text += "    \(key): \(quoted(value))\n" }
            }
            text += "    created_at: \(quoted(target.createdAt))\n    updated_at: \(quoted(target.updatedAt))\n"
        }
        return text
    }

    static func quoted(_ value: String) -> String { TargetExport.yamlQuoted(value) }

    /// Reads a store file; every problem is `FILE:LINE:COLUMN: message`.
    public static func parse(_ text: String, file: String, now: String) throws(ConfigErrors) -> StoreSnapshot {
        let root = try YAMLLoader(environment: [:]).load(text: text, file: file)
        var errors: [ConfigError] = []
        guard let pairs = root.mapping else {
            throw ConfigErrors([ConfigError(root.location, "a store file is a mapping with targets:, categories: and probes:")])
        }
        var sections: [String: ConfigNode] = [:]
        for (key, value) in pairs {
            guard let name = key.scalar, ["targets", "categories", "probes"].contains(name) else {
                errors.append(ConfigError(key.location, "unknown key '\(key.scalar ?? "?")' (expected targets, categories, probes)"))
                continue
            }
            sections[name] = value
        }
        var rows = Rows(errors: errors)
        let targets = rows.list(sections["targets"], named: "targets").compactMap { rows.target($0, now: now) }
        var categories = rows.list(sections["categories"], named: "categories").compactMap { rows.category($0) }
        var probes = rows.list(sections["probes"], named: "probes").compactMap { rows.probe($0) }
        if !rows.errors.isEmpty { throw ConfigErrors(rows.errors) }
        if sections["categories"] == nil {
            categories = StoreModel.seeded.snapshot.categories
            for name in Set(targets.compactMap(\.record.category)).sorted() where !categories.contains(where: { $0.record.name == name }) {
                categories.append(StoredCategory(id: (categories.map(\.id).max() ?? 0) + 1, record: CategoryRecord(name: name)))
            }
        }
        if sections["probes"] == nil {
            probes = StoreModel.seeded.snapshot.probes
            for name in Set(targets.compactMap(\.record.probe)).sorted() where !probes.contains(where: { $0.record.name == name }) {
                probes.append(StoredProbe(id: (probes.map(\.id).max() ?? 0) + 1, record: ProbeRecord(name: name)))
            }
        }
        return StoreSnapshot(targets: Rows.numbered(targets), categories: Rows.numbered(categories), probes: Rows.numbered(probes))
    }
}
