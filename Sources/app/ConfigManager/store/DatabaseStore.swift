public import Postgres
import TargetStore

/// Database mode: the tables of `smokeflow db migrate`, through a bounded pool. Nothing is
/// kept between requests, so several servers can share one database. A list of operations
/// runs in one transaction; expected refusals (a name taken, an id not found) are found with
/// `ON CONFLICT DO NOTHING` and `RETURNING` rather than errors, so every item's problem is
/// collected before the transaction is rolled back.
public struct DatabaseStore: ConfigStore {
    public let mode = StoreMode.database
    public let pool: PostgresPool

    public init(pool: PostgresPool) { self.pool = pool }

    static let targetColumns = SQLFragment("""
        t.id, t.name, t.host, t.title, t.is_active, c.name, p.name, t.site, t.cachegroup, t.lookup,
        to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        to_char(t.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        t.record, t.alerts
        """)
    /// How many columns `targetColumns` has: a page query's `count(*) OVER ()` comes after them.
    static let targetColumnCount = 14
    static let timestamps = SQLFragment("""
        to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
        """)
    static let targetTables = SQLFragment("""
        FROM targets t LEFT JOIN categories c ON c.id = t.category_id LEFT JOIN probes p ON p.id = t.probe_id
        """)

    static func target(_ row: PostgresRow) throws -> StoredTarget {
        StoredTarget(
            id: try row.decode(0),
            record: TargetRecord(
                name: try row.decode(1), host: try row.decode(2), title: try row.decode(3), isActive: try row.decode(4),
                category: try row.decode(5, as: String?.self), probe: try row.decode(6, as: String?.self),
                site: try row.decode(7, as: String?.self), cachegroup: try row.decode(8, as: String?.self),
                lookup: try row.decode(9, as: String?.self), record: try row.decode(12, as: String?.self),
                alerts: try row.decode(13, as: String?.self)
            ),
            createdAt: try row.decode(10), updatedAt: try row.decode(11)
        )
    }

    public func snapshot() async throws -> StoreSnapshot {
        try await pool.withConnection { connection in
            try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            do {
                let targets = try await connection.query("SELECT \(Self.targetColumns) \(Self.targetTables) ORDER BY t.id").map(Self.target)
                let catalog = try await Catalog.load(connection)
                try await connection.query("COMMIT")
                return StoreSnapshot(targets: targets, categories: catalog.categories, probes: catalog.probes)
            } catch {
                _ = try? await connection.query("ROLLBACK")
                throw error
            }
        }
    }

    public func catalog() async throws -> StoreSnapshot {
        let catalog = try await pool.withConnection { try await Catalog.load($0) }
        return StoreSnapshot(categories: catalog.categories, probes: catalog.probes)
    }

    public func targets(matching query: TargetQuery) async throws -> TargetPage {
        try await pool.withConnection { connection in
            let rows = try await connection.query("""
                SELECT \(Self.targetColumns), count(*) OVER () \(Self.targetTables)
                WHERE (\(query.id)::integer IS NULL OR t.id = \(query.id))
                  AND (NOT \(query.activeOnly) OR t.is_active)
                  AND (NOT \(query.inactiveOnly) OR NOT t.is_active)
                  AND (\(query.category)::text IS NULL OR c.name = \(query.category))
                  AND (\(query.site)::text IS NULL OR t.site = \(query.site))
                  AND (\(query.probe)::text IS NULL OR p.name = \(query.probe))
                  AND (\(query.text)::text IS NULL
                       OR position(lower(\(query.text)::text) in lower(t.name)) > 0
                       OR position(lower(\(query.text)::text) in lower(t.host)) > 0
                       OR position(lower(\(query.text)::text) in lower(t.title)) > 0)
                ORDER BY \(Self.order(query.sort, descending: query.descending)) LIMIT \(query.limit) OFFSET \(query.offset)
                """)
            let targets = try rows.map(Self.target)
            if let first = rows.first { return TargetPage(targets: targets, total: try first.decode(Self.targetColumnCount)) }
            guard query.offset > 0 else { return TargetPage(targets: [], total: 0) }
            // A page past the end has no row to carry the count.
            var all = query
            all.offset = 0
            all.limit = nil
            return TargetPage(targets: [], total: try await self.targets(matching: all).total)
        }
    }

    /// ORDER BY for a sort: fixed SQL per column (never text from the request), ties by id.
    static func order(_ sort: TargetSort, descending: Bool) -> SQLFragment {
        switch (sort, descending) {
        case (.id, false): SQLFragment("t.id")
        case (.id, true): SQLFragment("t.id DESC")
        case (.name, false): SQLFragment("lower(t.name), t.id")
        case (.name, true): SQLFragment("lower(t.name) DESC, t.id DESC")
        case (.host, false): SQLFragment("lower(t.host), t.id")
        case (.host, true): SQLFragment("lower(t.host) DESC, t.id DESC")
        case (.title, false): SQLFragment("lower(t.title), t.id")
        case (.title, true): SQLFragment("lower(t.title) DESC, t.id DESC")
        case (.category, false): SQLFragment("lower(coalesce(c.name, '')), t.id")
        case (.category, true): SQLFragment("lower(coalesce(c.name, '')) DESC, t.id DESC")
        case (.probe, false): SQLFragment("lower(coalesce(p.name, '')), t.id")
        case (.probe, true): SQLFragment("lower(coalesce(p.name, '')) DESC, t.id DESC")
        case (.site, false): SQLFragment("lower(coalesce(t.site, '')), t.id")
        case (.site, true): SQLFragment("lower(coalesce(t.site, '')) DESC, t.id DESC")
        }
    }

    public func apply(_ operations: [StoreOperation]) async throws -> [OperationResult] {
        try await pool.withConnection { connection in
            try await connection.transaction { connection in
                var catalog = try await Catalog.load(connection)
                var results: [OperationResult] = []
                var problems: [StoreRejection.Problem] = []
                for (index, operation) in operations.enumerated() {
                    do {
                        results.append(try await apply(operation, index: index, catalog: &catalog, on: connection))
                    } catch let rejection as StoreRejection {
                        problems += rejection.problems
                    } catch let error as PostgresError where error.kind == .server && error.sqlState?.hasPrefix("23") == true {
                        // A constraint another writer's commit broke since the checks ran: the
                        // transaction is aborted, so later items cannot be checked.
                        problems.append(.init(index: index, kind: .conflict, message: "a concurrent change conflicts with this item; retry"))
                        break
                    }
                }
                if !problems.isEmpty { throw StoreRejection(problems) }
                return results
            }
        }
    }
}
