public import TargetStore

/// A change to the store. Every write of the API is a list of these, applied all or nothing:
/// a single `POST /targets` is one, `POST /targets/bulk` many, `PUT /config/targets` one.
public enum StoreOperation: Sendable, Equatable {
    case createTarget(TargetFields)
    case updateTarget(id: Int, TargetFields)
    case deleteTarget(id: Int)
    case toggleTarget(id: Int)
    case createCategory(CategoryRecord)
    case updateCategory(id: Int, CategoryFields)
    case deleteCategory(id: Int)
    case createProbe(ProbeRecord)
    case updateProbe(id: Int, ProbeFields)
    case deleteProbe(id: Int)
    /// The whole target list: kept by name (ids stay), added, or removed.
    case replaceTargets([TargetRecord])
    /// The whole probe list, the same way; a probe still used by a target cannot go.
    case replaceProbes([ProbeRecord])
}

/// A target's fields as a request gives them: nil is "not given" (PATCH keeps the value);
/// `.some(nil)` clears an optional field.
public struct TargetFields: Sendable, Equatable {
    public var name: String?
    public var host: String?
    public var title: String?
    public var isActive: Bool?
    public var category: String??
    public var probe: String??
    public var site: String??
    public var cachegroup: String??
    public var lookup: String??
    public var record: String??
    public var alerts: String??

    public init() {}

    /// `record` with these fields laid over it.
    public func applied(to record: TargetRecord) -> TargetRecord {
        var record = record
        if let name { record.name = name }
        if let host { record.host = host }
        if let title { record.title = title }
        if let isActive { record.isActive = isActive }
        if let category { record.category = category }
        if let probe { record.probe = probe }
        if let site { record.site = site }
        if let cachegroup { record.cachegroup = cachegroup }
        if let lookup { record.lookup = lookup }
        if let recordType = self.record { record.record = recordType }
        if let alerts { record.alerts = alerts }
        return record
    }

    /// A new target from these fields (name and host were checked to be present).
    public var newRecord: TargetRecord {
        applied(to: TargetRecord(name: "", host: ""))
    }
}

public struct CategoryFields: Sendable, Equatable {
    public var name: String?
    public var displayName: String?
    public var description: String?

    public init() {}

    public func applied(to record: CategoryRecord) -> CategoryRecord {
        var record = record
        if let name { record.name = name }
        if let displayName { record.displayName = displayName }
        if let description { record.description = description }
        return record
    }
}

public struct ProbeFields: Sendable, Equatable {
    public var name: String?
    public var binaryPath: String??
    public var stepSeconds: Int?
    public var pings: Int?
    public var forks: Int?
    public var isDefault: Bool?
    public var module: String??

    public init() {}

    public func applied(to record: ProbeRecord) -> ProbeRecord {
        var record = record
        if let name { record.name = name }
        if let binaryPath { record.binaryPath = binaryPath }
        if let stepSeconds { record.stepSeconds = stepSeconds }
        if let pings { record.pings = pings }
        if let forks { record.forks = forks }
        if let isDefault { record.isDefault = isDefault }
        if let module { record.module = module }
        return record
    }
}

/// What one operation did.
public enum OperationResult: Sendable, Equatable {
    case target(StoredTarget)
    case category(StoredCategory)
    case probe(StoredProbe)
    case deleted(id: Int)
    case replaced(count: Int)
}
