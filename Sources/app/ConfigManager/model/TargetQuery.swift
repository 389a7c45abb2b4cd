/// The filters of `GET /targets`, applied the same way by every store and by stale reads.
public struct TargetQuery: Sendable, Equatable {
    /// One target by id (`GET /targets/{id}`).
    public var id: Int?
    public var activeOnly = false
    /// The inactive targets alone (the web admin's filter).
    public var inactiveOnly = false
    public var category: String?
    public var site: String?
    public var probe: String?
    /// Case-insensitive substring of the name, host or title.
    public var text: String?
    public var limit: Int?
    public var offset = 0
    /// The order of the page; ties (and `.id`) go by id, so paging is stable.
    public var sort: TargetSort = .id
    public var descending = false

    public init() {}

    public static let maximumLimit = 100_000

    /// The page of `targets` (ordered by id) that the filters select, and how many matched.
    public func page(of targets: [StoredTarget]) -> (targets: [StoredTarget], total: Int) {
        let needle = text?.lowercased()
        let matching = targets.filter { target in
            let record = target.record
            if let id, target.id != id { return false }
            if activeOnly, !record.isActive { return false }
            if inactiveOnly, record.isActive { return false }
            if let category, record.category != category { return false }
            if let site, record.site != site { return false }
            if let probe, record.probe != probe { return false }
            if let needle {
                return [record.name, record.host, record.title].contains { $0.lowercased().contains(needle) }
            }
            return true
        }.sorted { sort.orders($0, before: $1, descending: descending) }
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

/// The columns a target list can be sorted by (the web admin's table headers).
public enum TargetSort: String, Sendable, CaseIterable {
    case id, name, host, title, category, probe, site

    func key(_ target: StoredTarget) -> String {
        switch self {
        case .id: ""
        case .name: target.record.name.lowercased()
        case .host: target.record.host.lowercased()
        case .title: target.record.title.lowercased()
        case .category: target.record.category?.lowercased() ?? ""
        case .probe: target.record.probe?.lowercased() ?? ""
        case .site: target.record.site?.lowercased() ?? ""
        }
    }

    func orders(_ lhs: StoredTarget, before rhs: StoredTarget, descending: Bool) -> Bool {
        let (left, right) = (key(lhs), key(rhs))
        if left != right { return descending ? left > right : left < right }
        return descending ? lhs.id > rhs.id : lhs.id < rhs.id
    }
}
