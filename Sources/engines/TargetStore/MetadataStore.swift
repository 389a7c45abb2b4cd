public import Postgres

/// The configuration store's queries: targets with their category and probe by name.
public struct MetadataStore: Sendable {
    public let connection: PostgresConnection

    public init(connection: PostgresConnection) { self.connection = connection }

    /// Every target, ordered by name (what the join caches and `targets export` writes).
    public func targets() async throws -> [TargetRecord] {
        let rows = try await connection.query("""
            SELECT t.name, t.host, t.title, t.is_active, c.name, p.name, t.site, t.cachegroup, t.lookup, t.record, t.alerts
            FROM targets t
            LEFT JOIN categories c ON c.id = t.category_id
            LEFT JOIN probes p ON p.id = t.probe_id
            ORDER BY t.name
            """)
        var records: [TargetRecord] = []
        records.reserveCapacity(rows.count)
        for row in rows {
            records.append(TargetRecord(
                name: try row.decode(0), host: try row.decode(1), title: try row.decode(2), isActive: try row.decode(3),
                category: try row.decode(4, as: String?.self), probe: try row.decode(5, as: String?.self),
                site: try row.decode(6, as: String?.self), cachegroup: try row.decode(7, as: String?.self),
                lookup: try row.decode(8, as: String?.self), record: try row.decode(9, as: String?.self),
                alerts: try row.decode(10, as: String?.self)
            ))
        }
        return records
    }

    public func names(of table: NamedTable) async throws -> Set<String> {
        let rows = switch table {
        case .categories: try await connection.query("SELECT name FROM categories")
        case .probes: try await connection.query("SELECT name FROM probes")
        }
        return Set(try rows.map { try $0.decode(0, as: String.self) })
    }

    /// Every category, ordered by name.
    public func categories() async throws -> [CategoryRecord] {
        let rows = try await connection.query("SELECT name, display_name, description FROM categories ORDER BY name")
        return try rows.map { CategoryRecord(name: try $0.decode(0), displayName: try $0.decode(1), description: try $0.decode(2)) }
    }

    /// Every probe, ordered by name.
    public func probes() async throws -> [ProbeRecord] {
        let rows = try await connection.query(
            "SELECT name, binary_path, step_seconds, pings, forks, is_default, module FROM probes ORDER BY name"
        )
        return try rows.map {
            ProbeRecord(
                name: try $0.decode(0), binaryPath: try $0.decode(1, as: String?.self), stepSeconds: try $0.decode(2),
                pings: try $0.decode(3), forks: try $0.decode(4), isDefault: try $0.decode(5),
                module: try $0.decode(6, as: String?.self)
            )
        }
    }

    public enum NamedTable: Sendable { case categories, probes }

    /// Inserts or updates (by name) every record in one statement; the caller's transaction
    /// decides atomicity. A target without a probe gets the default probe. Returns the rows
    /// inserted or changed.
    @discardableResult
    public func upsert(_ records: [TargetRecord]) async throws -> Int {
        guard !records.isEmpty else { return 0 }
        let names = PostgresTextArray(records.map(\.name))
        let hosts = PostgresTextArray(records.map(\.host))
        let titles = PostgresTextArray(records.map(\.title))
        let active = PostgresTextArray(records.map { $0.isActive ? "t" : "f" })
        let categories = PostgresTextArray(records.map(\.category))
        let probes = PostgresTextArray(records.map(\.probe))
        let sites = PostgresTextArray(records.map(\.site))
        let cachegroups = PostgresTextArray(records.map(\.cachegroup))
        let lookups = PostgresTextArray(records.map(\.lookup))
        let recordTypes = PostgresTextArray(records.map(\.record))
        let alerts = PostgresTextArray(records.map(\.alerts))
        let result = try await connection.query("""
            INSERT INTO targets (name, host, title, is_active, category_id, probe_id, site, cachegroup, lookup, record, alerts)
            SELECT i.name, i.host, i.title, i.is_active, c.id,
                   coalesce(p.id, (SELECT id FROM probes WHERE is_default)), i.site, i.cachegroup, i.lookup, i.record, i.alerts
            FROM unnest(\(names)::text[], \(hosts)::text[], \(titles)::text[], \(active)::boolean[],
                        \(categories)::text[], \(probes)::text[], \(sites)::text[], \(cachegroups)::text[],
                        \(lookups)::text[], \(recordTypes)::text[], \(alerts)::text[])
                 AS i(name, host, title, is_active, category, probe, site, cachegroup, lookup, record, alerts)
            LEFT JOIN categories c ON c.name = i.category
            LEFT JOIN probes p ON p.name = i.probe
            ON CONFLICT (name) DO UPDATE SET
                host = EXCLUDED.host, title = EXCLUDED.title, is_active = EXCLUDED.is_active,
                category_id = EXCLUDED.category_id, probe_id = EXCLUDED.probe_id,
                site = EXCLUDED.site, cachegroup = EXCLUDED.cachegroup, lookup = EXCLUDED.lookup,
                record = EXCLUDED.record, alerts = EXCLUDED.alerts
            -- An unchanged row keeps its updated_at.
            WHERE (targets.host, targets.title, targets.is_active, targets.category_id, targets.probe_id, targets.site,
                   targets.cachegroup, targets.lookup, targets.record, targets.alerts)
                IS DISTINCT FROM (EXCLUDED.host, EXCLUDED.title, EXCLUDED.is_active, EXCLUDED.category_id,
                   EXCLUDED.probe_id, EXCLUDED.site, EXCLUDED.cachegroup, EXCLUDED.lookup, EXCLUDED.record, EXCLUDED.alerts)
            """)
        return result.affectedRows
    }

    /// Inserts or updates (by name) every category in one statement.
    @discardableResult
    public func upsert(_ categories: [CategoryRecord]) async throws -> Int {
        guard !categories.isEmpty else { return 0 }
        let names = PostgresTextArray(categories.map(\.name))
        let displayNames = PostgresTextArray(categories.map(\.displayName))
        let descriptions = PostgresTextArray(categories.map(\.description))
        let result = try await connection.query("""
            INSERT INTO categories (name, display_name, description)
            SELECT * FROM unnest(\(names)::text[], \(displayNames)::text[], \(descriptions)::text[])
            ON CONFLICT (name) DO UPDATE SET display_name = EXCLUDED.display_name, description = EXCLUDED.description
            """)
        return result.affectedRows
    }

    /// Inserts or updates (by name) every probe in one statement. When one of them is the
    /// default, the previous default stops being it first (at most one default, an index says).
    @discardableResult
    public func upsert(_ probes: [ProbeRecord]) async throws -> Int {
        guard !probes.isEmpty else { return 0 }
        if let newDefault = probes.first(where: \.isDefault) {
            try await connection.query("UPDATE probes SET is_default = false WHERE is_default AND name <> \(newDefault.name)")
        }
        let names = PostgresTextArray(probes.map(\.name))
        let binaries = PostgresTextArray(probes.map(\.binaryPath))
        let steps = PostgresTextArray(probes.map { String($0.stepSeconds) })
        let pings = PostgresTextArray(probes.map { String($0.pings) })
        let forks = PostgresTextArray(probes.map { String($0.forks) })
        let defaults = PostgresTextArray(probes.map { $0.isDefault ? "t" : "f" })
        let modules = PostgresTextArray(probes.map(\.module))
        let result = try await connection.query("""
            INSERT INTO probes (name, binary_path, step_seconds, pings, forks, is_default, module)
            SELECT * FROM unnest(\(names)::text[], \(binaries)::text[], \(steps)::integer[], \(pings)::integer[],
                                 \(forks)::integer[], \(defaults)::boolean[], \(modules)::text[])
            ON CONFLICT (name) DO UPDATE SET
                binary_path = EXCLUDED.binary_path, step_seconds = EXCLUDED.step_seconds, pings = EXCLUDED.pings,
                forks = EXCLUDED.forks, is_default = EXCLUDED.is_default, module = EXCLUDED.module
            """)
        return result.affectedRows
    }
}
