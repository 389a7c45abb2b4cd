import TargetStore

/// The JSON shapes of the API (docs/openapi.yaml), with every optional field present as null
/// so clients see one shape.
struct TargetJSON: Encodable {
    let target: StoredTarget

    enum Keys: String, CodingKey {
        case id, name, host, title, category, probe, lookup, record, alerts, site, cachegroup, is_active, created_at, updated_at
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        let record = target.record
        try container.encode(target.id, forKey: .id)
        try container.encode(record.name, forKey: .name)
        try container.encode(record.host, forKey: .host)
        try container.encode(record.title, forKey: .title)
        try container.encode(record.category, forKey: .category)
        try container.encode(record.probe, forKey: .probe)
        try container.encode(record.lookup, forKey: .lookup)
        try container.encode(record.record, forKey: .record)
        try container.encode(record.alerts, forKey: .alerts)
        try container.encode(record.site, forKey: .site)
        try container.encode(record.cachegroup, forKey: .cachegroup)
        try container.encode(record.isActive, forKey: .is_active)
        try container.encode(target.createdAt, forKey: .created_at)
        try container.encode(target.updatedAt, forKey: .updated_at)
    }
}

struct CategoryJSON: Encodable {
    let category: StoredCategory
    var targetCount: Int?

    enum Keys: String, CodingKey { case id, name, display_name, description, target_count }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(category.id, forKey: .id)
        try container.encode(category.record.name, forKey: .name)
        try container.encode(category.record.displayName, forKey: .display_name)
        try container.encode(category.record.description, forKey: .description)
        try container.encodeIfPresent(targetCount, forKey: .target_count)
    }
}

struct ProbeJSON: Encodable {
    let probe: StoredProbe
    var targetCount: Int?

    enum Keys: String, CodingKey { case id, name, module, binary_path, step_seconds, pings, forks, is_default, target_count }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        let record = probe.record
        try container.encode(probe.id, forKey: .id)
        try container.encode(record.name, forKey: .name)
        try container.encode(record.module, forKey: .module)
        try container.encode(record.binaryPath, forKey: .binary_path)
        try container.encode(record.stepSeconds, forKey: .step_seconds)
        try container.encode(record.pings, forKey: .pings)
        try container.encode(record.forks, forKey: .forks)
        try container.encode(record.isDefault, forKey: .is_default)
        try container.encodeIfPresent(targetCount, forKey: .target_count)
    }
}

/// What a write answers: `{"success": true, "message": ..., "target": {...}}` (the replaced
/// API's shape), with the record under its kind's key.
struct WriteAnswer: Encodable {
    var success = true
    var message: String
    var target: TargetJSON?
    var category: CategoryJSON?
    var probe: ProbeJSON?
    var deleted_id: Int?

    init(message: String, result: OperationResult?) {
        self.message = message
        switch result {
        case .target(let value)?: target = TargetJSON(target: value)
        case .category(let value)?: category = CategoryJSON(category: value)
        case .probe(let value)?: probe = ProbeJSON(probe: value)
        case .deleted(let id)?: deleted_id = id
        case .replaced?, nil: break
        }
    }
}
