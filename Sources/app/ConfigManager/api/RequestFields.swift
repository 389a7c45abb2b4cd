import TargetStore

/// Request bodies into store operations; each problem names its field.
enum RequestFields {
    static let targetKeys: Set<String> = [
        "name", "host", "title", "category", "probe", "lookup", "record", "alerts", "site", "cachegroup", "is_active", "category_id", "probe_id",
    ]

    /// A target's fields; `category_id`/`probe_id` (the replaced API's) resolve against `snapshot`.
    static func target(_ fields: JSONFields, creating: Bool, catalog: StoreSnapshot) throws(APIError) -> TargetFields {
        try fields.rejectUnknown(targetKeys)
        var target = TargetFields()
        target.name = try creating ? fields.required("name", fields.string) : fields.string("name")
        target.host = try creating ? fields.required("host", fields.string) : fields.string("host")
        target.title = try fields.string("title")
        target.isActive = try fields.bool("is_active")
        target.category = try fields.nullableString("category")
        target.probe = try fields.nullableString("probe")
        target.site = try fields.nullableString("site")
        target.cachegroup = try fields.nullableString("cachegroup")
        target.lookup = try fields.nullableString("lookup")
        target.record = try fields.nullableString("record")
        target.alerts = try fields.nullableString("alerts")
        if let id = try fields.int("category_id") {
            guard let category = catalog.categories.first(where: { $0.id == id }) else {
                throw APIError(status: .unprocessableContent, message: "unknown category_id \(id)", field: "category_id")
            }
            target.category = .some(category.record.name)
        }
        if let id = try fields.int("probe_id") {
            guard let probe = catalog.probes.first(where: { $0.id == id }) else {
                throw APIError(status: .unprocessableContent, message: "unknown probe_id \(id)", field: "probe_id")
            }
            target.probe = .some(probe.record.name)
        }
        return target
    }

    static let categoryKeys: Set<String> = ["name", "display_name", "description"]

    static func category(_ fields: JSONFields, creating: Bool) throws(APIError) -> CategoryFields {
        try fields.rejectUnknown(categoryKeys)
        var category = CategoryFields()
        category.name = try creating ? fields.required("name", fields.string) : fields.string("name")
        category.displayName = try fields.string("display_name")
        category.description = try fields.string("description")
        return category
    }

    static let probeKeys: Set<String> = ["name", "binary_path", "step_seconds", "pings", "forks", "is_default", "module"]

    static func probe(_ fields: JSONFields, creating: Bool) throws(APIError) -> ProbeFields {
        try fields.rejectUnknown(probeKeys)
        var probe = ProbeFields()
        probe.name = try creating ? fields.required("name", fields.string) : fields.string("name")
        probe.binaryPath = try fields.nullableString("binary_path")
        probe.stepSeconds = try fields.int("step_seconds")
        probe.pings = try fields.int("pings")
        probe.forks = try fields.int("forks")
        probe.isDefault = try fields.bool("is_default")
        probe.module = try fields.nullableString("module")
        return probe
    }

    static func newProbe(_ fields: ProbeFields) -> ProbeRecord {
        fields.applied(to: ProbeRecord(name: ""))
    }

    static func newCategory(_ fields: CategoryFields) -> CategoryRecord {
        fields.applied(to: CategoryRecord(name: ""))
    }
}
