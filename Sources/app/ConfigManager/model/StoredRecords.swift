public import TargetStore

/// A target as the API shows it: the store's record with its id and timestamps.
public struct StoredTarget: Sendable, Equatable, Codable {
    public var id: Int
    public var record: TargetRecord
    /// ISO 8601, UTC (`2026-12-02T06:14:00.123456Z`).
    public var createdAt: String
    public var updatedAt: String

    public init(id: Int, record: TargetRecord, createdAt: String, updatedAt: String) {
        self.id = id
        self.record = record
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

public struct StoredCategory: Sendable, Equatable, Codable {
    public var id: Int
    public var record: CategoryRecord

    public init(id: Int, record: CategoryRecord) {
        self.id = id
        self.record = record
    }
}

public struct StoredProbe: Sendable, Equatable, Codable {
    public var id: Int
    public var record: ProbeRecord

    public init(id: Int, record: ProbeRecord) {
        self.id = id
        self.record = record
    }
}

/// Everything the store holds, as one consistent read: what stale reads are answered from,
/// what file mode keeps, what SmokePing's files are generated from.
public struct StoreSnapshot: Sendable, Equatable, Codable {
    public var targets: [StoredTarget]
    public var categories: [StoredCategory]
    public var probes: [StoredProbe]

    public init(targets: [StoredTarget] = [], categories: [StoredCategory] = [], probes: [StoredProbe] = []) {
        self.targets = targets
        self.categories = categories
        self.probes = probes
    }

    public var activeCount: Int { targets.count(where: \.record.isActive) }

    public var defaultProbe: StoredProbe? { probes.first(where: \.record.isDefault) }
}

/// The store's two modes; which one a server uses is explicit and shown everywhere.
public enum StoreMode: String, Sendable, Codable {
    /// PostgreSQL via `DATABASE_URL` (the schema of `smokeflow db migrate`).
    case database
    /// One YAML file (`targets:`, `categories:`, `probes:`), written atomically.
    case file
}
