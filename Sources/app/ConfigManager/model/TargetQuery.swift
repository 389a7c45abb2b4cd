/// The filters of `GET /targets`, applied the same way by every store and by stale reads.
public struct TargetQuery: Sendable, Equatable {
    /// One target by id (`GET /targets/{id}`).
    public var id: Int?
    public var activeOnly = false
    public var category: String?
    public var site: String?
    public var probe: String?
    /// Case-insensitive substring of the name, host or title.
    public var text: String?
    public var limit: Int?
    public var offset = 0

    public init() {}

    public static let maximumLimit = 100_000

    /// The page of `targets` (ordered by id) that the filters select, and how many matched.
    public func page(of targets: [StoredTarget]) -> (targets: [StoredTarget], total: Int) {
        let needle = text?.lowercased()
        let matching = targets.filter { target in
            let record = target.record
            if let id, target.id != id { return false }
            if activeOnly, !record.isActive { return false }
            if let category, record.category != category { return false }
            if let site, record.site != site { return false }
            if let probe, record.probe != probe { return false }
            if let needle {
                return [record.name, record.host, record.title].contains { $0.lowercased().contains(needle) }
            }
            return true
        }.sorted { $0.id < $1.id }
        let start = min(offset, matching.count)
        let end = limit.map { min(matching.count, start + $0) } ?? matching.count
        return (Array(matching[start..<end]), matching.count)
    }
}

public struct TargetPage: Sendable, Equatable {
    public var targets: [StoredTarget]
    public var total: Int
    /// True when the database was unreachable and the page comes from the last snapshot.
    public var stale: Bool

    public init(targets: [StoredTarget], total: Int, stale: Bool = false) {
        self.targets = targets
        self.total = total
        self.stale = stale
    }
}
